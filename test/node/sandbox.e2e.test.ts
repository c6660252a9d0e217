/**
 * A node's session inside Claude Code's OS sandbox (bubblewrap and socat here), with the node's key in its
 * node.env only: scripted Bash steps look for the key and try to leave the worktree. Every call the node
 * escalates is approved, so what stops a step is the sandbox (or the guard), never a pending decision.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { runApproving, testNode, type TestNode } from '../helpers/node.js';
import { tempDir } from '../helpers/tmp.js';
import type { Reply, Step } from '../fixtures/messages-api.js';

const defer = deferAfterEach();

const bash = (command: string): Reply => ({ tool: 'Bash', input: { command, description: 'step' } });

/** Every file under dir, with its text. */
function texts(dir: string): [string, string][] {
  const out: [string, string][] = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    if (e.isFile() && statSync(p).size < 50_000_000) out.push([p, readFileSync(p, 'latin1')]);
  }
  return out;
}

describe('a session in the sandbox', () => {
  it(
    'finds no key by any route, cannot leave its worktree or change its compiled context, and still commits',
    { timeout: 240_000 },
    async () => {
      const outside = tempDir('agency-outside-');
      defer(outside.remove);
      let worktree = '';
      // the guard refuses env, printenv and /proc/*/environ as commands; a script the session wrote runs
      // them all the same, so the sandbox is what must keep the key from it
      const probe = [
        'env',
        'echo ---',
        'printenv',
        'echo ---',
        "cat /proc/self/environ /proc/$PPID/environ | tr '\\0' '\\n'",
        '',
      ].join('\n');
      const steps: Step[] = [
        () => ({ tool: 'Write', input: { file_path: join(worktree, 'probe.sh'), content: probe } }),
        bash('sh probe.sh'),
        bash(`cat /proc/*/environ | tr '\\0' '\\n'`),
        bash('cat ~/.agency/node.env'),
        bash(`python3 -c 'import os; print(os.environ)'`),
        bash('ls -a ~/.agency'),
        bash('cat ~/.ssh/id_ed25519'),
        bash(`cd ${outside.path} && touch written-from-the-sandbox`),
        bash('rm -rf .claude; mv .claude moved; echo "{}" > .mcp.json; echo injected > CLAUDE.md; ls -a'),
        bash('echo work > work.txt && git add -A && git commit -q -m "work from the sandbox" && git log --oneline'),
        // the scripted API itself, on this machine's loopback: the sandbox has no network of its own
        () => bash(`echo hello > /dev/tcp/127.0.0.1/${new URL(n.api.url).port} && echo CONNECTED`),
        // its own temporary folder, which Claude Code uses too (its claude-<uid> folder is in it)
        bash('echo "tmp=$TMPDIR"; touch "$TMPDIR/scratch" && ls "$TMPDIR"'),
        // the file tools run outside the sandbox: the guard keeps the node's secret files from them
        () => ({ tool: 'Read', input: { file_path: join(n.home.home, '.agency', 'node.env') } }),
        () => ({ tool: 'Read', input: { file_path: join(n.home.home, '.agency', 'run', 'api-key') } }),
        { text: 'all steps done' },
      ];
      const n: TestNode = await testNode({ steps }, { homeAgency: true });
      defer(() => n.cleanup());
      const ssh = join(n.home.home, '.ssh');
      mkdirSync(ssh);
      writeFileSync(join(ssh, 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\nsandbox-test-private-key\n');

      const run = await n.agency(['run', 'look around', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const started = JSON.parse(run.stdout);
      const { session, branch } = started;
      worktree = started.worktree;
      // the node found bubblewrap and socat, and bubblewrap works here
      expect(JSON.parse((await n.agency(['status', '--json'])).stdout).nodes[0].info.sandbox).toEqual({ mode: 'on' });
      await runApproving(n, session);
      const screen = (await n.agency(['screen', session])).stdout;

      // the key reached Claude Code (through its key helper): every conversation request carried it
      const main = n.api.requests.filter((r) => r.kind === 'main');
      expect(main.length).toBe(steps.length);
      expect(main.every((r) => r.headers['x-api-key'] === n.key)).toBe(true);
      expect(screen).not.toMatch(/Detected a custom API key|apiKeyHelper failed/);

      const results = n.api.toolResults();
      expect(results).toHaveLength(steps.length - 1);
      const out = (i: number) => results[i]!.content;
      // the environment steps ran, and found no key
      const dumps = out(1).split(/^---$/m);
      expect(dumps).toHaveLength(3);
      for (const d of dumps) expect(d).toMatch(/^HOME=/m);
      expect(out(4)).toContain("'HOME'");
      for (const r of results) expect(r.content).not.toContain(n.key);
      expect(out(3)).not.toContain('ANTHROPIC_API_KEY');
      // the node's home shows nothing of its own files (node.env, state, the socket)
      expect(out(5)).not.toMatch(/node\.env|state\.json|\brun\b/);
      expect(out(6)).not.toContain('sandbox-test-private-key');
      expect(out(10)).not.toContain('CONNECTED');
      expect(out(11)).toMatch(new RegExp(`^tmp=/.*/agency-${process.getuid!()}/[0-9a-f]{8}/${session}$`, 'm'));
      expect(out(11).split('\n')).toEqual(expect.arrayContaining(['scratch', `claude-${process.getuid!()}`]));
      expect(results[12]!.isError && results[13]!.isError).toBe(true);

      // nothing outside the worktree changed; the compiled context is as it was compiled
      expect(readdirSync(outside.path)).toEqual([]);
      for (const f of ['.claude/settings.json', '.claude/settings.local.json', '.mcp.json', 'CLAUDE.md'])
        expect(existsSync(join(worktree, f)), f).toBe(true);
      expect(readFileSync(join(worktree, 'CLAUDE.md'), 'utf8')).not.toContain('injected');
      expect(existsSync(join(worktree, 'moved'))).toBe(false);

      // a commit in the worktree works from inside the sandbox
      const log = execFileSync('git', ['log', '--format=%s', '-1', branch], { cwd: worktree, encoding: 'utf8' });
      expect(log.trim()).toBe('work from the sandbox');
      // `git add -A` took the work and nothing the sandbox mounts in the worktree while a command runs
      const files = execFileSync('git', ['show', '--name-only', '--format=', branch], {
        cwd: worktree,
        encoding: 'utf8',
      });
      expect(files.trim().split('\n').sort()).toEqual(['probe.sh', 'work.txt']);

      // and the key is nowhere the session's traces are kept: transcripts, output logs, state
      const keyHolders = [join(n.agencyHome, 'node.env'), join(n.agencyHome, 'run', 'api-key')];
      for (const [file, text] of [...texts(n.home.configDir), ...texts(n.agencyHome)])
        if (!keyHolders.includes(file)) expect(text.includes(n.key), file).toBe(false);
      expect(screen).not.toContain(n.key);
    },
  );
});
