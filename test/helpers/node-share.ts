/**
 * What a fleet node's user runs from this checkout, copied to a folder every user can read: the checkout
 * itself may be private to its owner (a clone under /root, say), and it is left as it is. The end-to-end
 * tier's setup makes one share per run and names its folder in AGENCY_TEST_NODE_SHARE for the test
 * processes; a benchmark makes its own.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLAUDE_BIN } from './claude.js';

const PROJECT = fileURLToPath(new URL('../..', import.meta.url));
export const NODE_SHARE_VAR = 'AGENCY_TEST_NODE_SHARE';

export interface NodeShare {
  dir: string;
  /** the Claude Code CLI, one self-contained program */
  claudeBin: string;
  /** a copy of test/fixtures */
  fixtures: string;
  /** a copy of test/fixtures/registry-min */
  registry: string;
}

const shareIn = (dir: string): NodeShare => ({
  dir,
  claudeBin: join(dir, 'claude'),
  fixtures: join(dir, 'fixtures'),
  registry: join(dir, 'fixtures', 'registry-min'),
});

/** The share of this run, made by test/e2e-setup.ts (or by a benchmark). */
export function nodeShare(): NodeShare {
  const dir = process.env[NODE_SHARE_VAR];
  if (!dir)
    throw new Error(
      `no node share (${NODE_SHARE_VAR}): fleet tests are *.e2e.test.ts files, set up by test/e2e-setup.ts`,
    );
  return shareIn(dir);
}

/** The Claude Code version a working CLI at `bin` prints, or why it does not work. */
export function claudeVersion(bin: string): { version: string } | { error: string } {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const m = /^(\d+\.\d+\.\d+) \(Claude Code\)$/m.exec(r.stdout ?? '');
  if (r.status === 0 && m) return { version: m[1]! };
  return { error: r.error ? r.error.message : `exit ${r.status}: ${out.slice(0, 200)}` };
}

/** Files every user may read (and run, where their owner may), in folders every user may enter. */
function openUp(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) openUp(join(path, name));
  } else chmodSync(path, st.mode & 0o100 ? 0o755 : 0o644);
}

/**
 * The Claude Code CLI (one self-contained program) and the test fixtures (registry-min, the MCP notes
 * server), copied to a fresh folder in /tmp: /tmp is open to every user, whatever TMPDIR says.
 */
export function makeNodeShare(): NodeShare {
  const share = shareIn(mkdtempSync('/tmp/agency-e2e-share-'));
  const dir = share.dir;
  try {
    copyFileSync(realpathSync(CLAUDE_BIN), share.claudeBin);
    cpSync(join(PROJECT, 'test', 'fixtures'), share.fixtures, { recursive: true });
    openUp(dir);
    const copied = claudeVersion(share.claudeBin);
    if ('error' in copied)
      throw new Error(
        `the Claude Code CLI copied from ${realpathSync(CLAUDE_BIN)} does not run on its own (${copied.error}): reinstall @anthropic-ai/claude-code with its install script, which puts the real program there`,
      );
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return share;
}

/** Removes a share made by makeNodeShare. */
export function removeNodeShare(share: NodeShare): void {
  rmSync(share.dir, { recursive: true, force: true });
}
