/**
 * The node's check of a session's compiled context: whatever a session did to `.claude`, `CLAUDE.md` or
 * `.mcp.json` in its worktree, the check brings back what the node compiled, byte for byte and mode for
 * mode, and sets aside (never deletes) what was in the way. A real compile into a real git worktree.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileInto, POLICY_FILE } from '../../src/compiler/index.js';
import { ContextCheck } from '../../src/node/context-check.js';
import { loadRegistry } from '../../src/registry/index.js';
import { deferAfterEach } from '../helpers/defer.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = fileURLToPath(new URL('../fixtures/registry-min', import.meta.url));
const ID = 's-c0ffee';
const defer = deferAfterEach();

function setUp() {
  const home = tempDir('agency-ctx-');
  defer(home.remove);
  const sessions = join(home.path, 'sessions');
  const wt = join(home.path, 'worktrees', 'repo-0a1b2c3d', ID);
  mkdirSync(wt, { recursive: true });
  execFileSync('git', ['init', '-q', wt]);
  const programs = {
    node: process.execPath,
    guard: '/opt/agency/guard.cjs',
    lifecycle: '/opt/agency/hook.cjs',
    session: { socket: join(home.path, 'run', 'node.sock'), id: ID, token: 'ab'.repeat(32) },
  };
  compileInto(wt, loadRegistry(MIN), { discipline: 'backend', task: 'fix the api' }, { programs });
  const check = new ContextCheck(sessions);
  check.keep(ID, wt);
  return { wt, sessions, check, compiled: tree(wt) };
}

/** Files and links under dir (but .git), with contents, link targets and modes. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name === '.git') continue;
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = relative(dir, p);
      if (st.isSymbolicLink()) out[rel] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) walk(p);
      else out[rel] = `${(st.mode & 0o777).toString(8)} ${readFileSync(p, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}

const settings = (wt: string) => join(wt, '.claude', 'settings.json');

describe('the context check', () => {
  it('finds nothing to do in a worktree as it was compiled', () => {
    const { wt, check, compiled } = setUp();
    expect(check.verify(ID, wt)).toEqual({ ok: true, restored: [], setAside: null });
    expect(tree(wt)).toEqual(compiled);
  });

  it.each<[string, (wt: string) => void, { path: string; was: string }[]]>([
    ['rm -rf .claude', (wt) => rmSync(join(wt, '.claude'), { recursive: true }), []],
    ['mv .claude x', (wt) => renameSync(join(wt, '.claude'), join(wt, 'x')), []],
    [
      'settings.json edited to disable all hooks',
      (wt) => {
        const s = JSON.parse(readFileSync(settings(wt), 'utf8'));
        writeFileSync(settings(wt), JSON.stringify({ ...s, disableAllHooks: true }));
      },
      [{ path: '.claude/settings.json', was: 'changed' }],
    ],
    [
      'settings.json made unreadable',
      (wt) => chmodSync(settings(wt), 0o000),
      [{ path: '.claude/settings.json', was: 'changed' }],
    ],
    [
      '.claude replaced by a link to a folder of the session',
      (wt) => {
        renameSync(join(wt, '.claude'), join(wt, 'mine'));
        symlinkSync('mine', join(wt, '.claude'));
      },
      [],
    ],
    [
      'CLAUDE.md replaced by a folder',
      (wt) => {
        rmSync(join(wt, 'CLAUDE.md'));
        mkdirSync(join(wt, 'CLAUDE.md'));
        writeFileSync(join(wt, 'CLAUDE.md', 'note'), 'x');
      },
      [{ path: 'CLAUDE.md', was: 'changed' }],
    ],
    [
      'an agent of its own, and a skill',
      (wt) => {
        writeFileSync(join(wt, '.claude', 'agents', 'helper.md'), '---\nname: helper\ndescription: x\n---\nhooks\n');
        mkdirSync(join(wt, '.claude', 'skills', 'run'), { recursive: true });
        writeFileSync(join(wt, '.claude', 'skills', 'run', 'SKILL.md'), 'run anything\n');
      },
      [
        { path: '.claude/agents/helper.md', was: 'added' },
        { path: '.claude/skills/run/SKILL.md', was: 'added' },
      ],
    ],
    [
      'the policy loosened and .mcp.json removed',
      (wt) => {
        writeFileSync(join(wt, POLICY_FILE), '{}');
        rmSync(join(wt, '.mcp.json'));
      },
      [
        { path: '.claude/agency/policy.json', was: 'changed' },
        { path: '.mcp.json', was: 'missing' },
      ],
    ],
  ])('restores what the node compiled after %s', (_, tamper, expected) => {
    const { wt, check, compiled } = setUp();
    tamper(wt);
    const r = check.verify(ID, wt);
    if (!r.ok) throw new Error(r.problem);
    // where a whole .claude went, every file of it is restored
    const all = Object.keys(compiled).filter((p) => p.startsWith('.claude/'));
    if (expected.length === 0) expect(r.restored).toEqual(all.sort().map((path) => ({ path, was: 'missing' })));
    else expect(r.restored).toEqual(expect.arrayContaining(expected));
    const after = tree(wt);
    for (const [path, contents] of Object.entries(compiled)) expect(after[path], path).toBe(contents);
    // nothing else is where the context is; the rest of the worktree (x/, mine/) is the session's own
    expect(
      Object.keys(after).filter((p) => !(p in compiled) && /^(\.claude\/|CLAUDE\.md|\.mcp\.json)/.test(p)),
    ).toEqual([]);
    expect(check.verify(ID, wt)).toEqual({ ok: true, restored: [], setAside: null });
  });

  it('sets aside what was in the way, for the operator to inspect', () => {
    const { wt, check, sessions } = setUp();
    const edited = JSON.stringify({ disableAllHooks: true });
    writeFileSync(settings(wt), edited);
    writeFileSync(join(wt, '.claude', 'agents', 'helper.md'), 'mine\n');
    const r = check.verify(ID, wt);
    if (!r.ok) throw new Error(r.problem);
    expect(r.setAside).toMatch(new RegExp(`^${join(sessions, ID, 'set-aside')}/`));
    expect(readFileSync(join(r.setAside!, '.claude', 'settings.json'), 'utf8')).toBe(edited);
    expect(readFileSync(join(r.setAside!, '.claude', 'agents', 'helper.md'), 'utf8')).toBe('mine\n');
  });

  it('answers permission requests by the policy the node compiled, not the one in the worktree', () => {
    const { wt, check } = setUp();
    const compiled = check.policy(ID);
    writeFileSync(join(wt, POLICY_FILE), readFileSync(join(wt, POLICY_FILE), 'utf8').replace(/"curl/g, '"nocurl'));
    expect(check.policy(ID)).toEqual(compiled);
    expect(JSON.stringify(compiled)).toContain('Bash(curl *)');
  });

  it('refuses to vouch for a session it has no copy for, and for a worktree that is gone', () => {
    const { wt, check } = setUp();
    expect(check.verify('s-beef', wt)).toEqual({
      ok: false,
      problem:
        'the node has no copy of its compiled context to check its worktree against (it was started by an older agency); start the task again with agency run',
    });
    rmSync(wt, { recursive: true });
    expect(check.verify(ID, wt)).toEqual({ ok: false, problem: `its worktree ${wt} is gone` });
    expect(() => check.verify('../../x', wt)).toThrow('not a session id');
  });
});
