/**
 * A session's compiled context is restored before every resume. `rm -rf .claude`, `mv .claude x` and a
 * settings.json edited to disable all hooks are done to a live session's worktree; the daemon dies and
 * comes back, and the operator sends the session (resumed idle, as it was) its next line; it still has its guard (a destructive command is blocked), its node's
 * policy answering its permission requests through its hooks, and its hooks reporting its state. The
 * real Claude Code CLI in the node's PTY, against the scripted Messages API.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { testNode, type TestNode } from '../helpers/node.js';
import type { Step } from '../fixtures/messages-api.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();

const TAMPERING: [string, (worktree: string) => void][] = [
  ['nothing', () => undefined],
  ['rm -rf .claude', (wt) => rmSync(join(wt, '.claude'), { recursive: true })],
  ['mv .claude x', (wt) => renameSync(join(wt, '.claude'), join(wt, 'x'))],
  [
    'settings.json edited to disable all hooks',
    (wt) => {
      const file = join(wt, '.claude', 'settings.json');
      const { hooks: _hooks, ...rest } = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, JSON.stringify({ ...rest, disableAllHooks: true }));
    },
  ],
];

/** What each resume is scripted to do: a command the guard blocks, one the node's policy denies, a last word. */
const round = (victim: string, i: number): Step[] => [
  { tool: 'Bash', input: { command: `rm -rf ${victim}`, description: 'clean up' } },
  { tool: 'Bash', input: { command: 'curl -s http://127.0.0.1:9/x', description: 'download' } },
  { text: `round ${i} done` },
];

async function restart(n: TestNode, session: string): Promise<void> {
  // the node writes its state a moment after a change: killed before, it would bring back a session still at work
  await until('the idle session written to the node state', () => {
    const state = JSON.parse(readFileSync(join(n.agencyHome, 'state.json'), 'utf8'));
    return state.sessions.some((x: { id: string; state: string }) => x.id === session && x.state === 'idle');
  });
  const pid = n.daemonPid();
  expect(pid).toBeGreaterThan(0);
  process.kill(pid!, 'SIGKILL');
  // any command brings the node back, and it resumes the session: idle, as it was, until it is told more
  const status = await n.agency(['status', '--json']);
  expect(status.code, status.stderr).toBe(0);
  expect(JSON.parse(status.stdout).nodes[0].info.pid).not.toBe(pid);
  const back = await n.agency(['wait', session, '--timeout', '60']);
  expect(back.code, back.stdout + back.stderr).toBe(0);
  expect((await n.agency(['send', session, 'go on'])).code).toBe(0);
}

describe('the compiled context of a session', () => {
  it(
    'is restored before each resume, whatever was done to it, and the resumed session keeps its guard, rules and hooks',
    { timeout: 240_000 },
    async () => {
      const victim = tempDir('agency-victim-');
      defer(victim.remove);
      writeFileSync(join(victim.path, 'keep.txt'), 'keep\n');
      const steps: Step[] = [
        { tool: 'Bash', input: { command: 'touch started.txt', description: 'start' } },
        { text: 'ready' },
        ...TAMPERING.flatMap((_, i) => round(victim.path, i + 1)),
      ];
      const n = await testNode({ steps });
      defer(() => n.cleanup());
      const run = await n.agency(['run', 'start and wait', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session, worktree } = JSON.parse(run.stdout);
      expect((await n.agency(['wait', session, '--timeout', '60'])).code).toBe(0);
      const settings = readFileSync(join(worktree, '.claude', 'settings.json'), 'utf8');
      const local = readFileSync(join(worktree, '.claude', 'settings.local.json'), 'utf8');
      expect(settings).toContain('hook.cjs');

      for (const [i, [what, tamper]] of TAMPERING.entries()) {
        tamper(worktree);
        await restart(n, session);
        // the request that gets the round's last word comes after both commands were answered
        await n.api.waitForStep(2 + 3 * i + 2, 90_000);
        const done = await n.agency(['wait', session, '--timeout', '90']);
        const status = JSON.parse((await n.agency(['status', '--json'])).stdout);
        const results = n.api.toolResults().map((r) => r.content);
        const explain = `${what}: ${done.stdout}${done.stderr}\n${JSON.stringify(results.slice(-2))}\n${readFileSync(join(n.agencyHome, 'node.log'), 'utf8')}`;
        expect(done.code, explain).toBe(0);
        expect(results.at(-2), explain).toMatch(/agency guard blocked this call: may not delete/);
        expect(results.at(-1), explain).toMatch(
          /agency policy denies this \(Bash\(curl \*\)\): downloads are not allowed/,
        );
        expect(readFileSync(join(victim.path, 'keep.txt'), 'utf8')).toBe('keep\n');
        // the hooks report again: the turn's end made the session idle, with its last words
        const s = status.sessions.find((x: { id: string }) => x.id === session);
        expect(s).toMatchObject({ state: 'idle', activity: `round ${i + 1} done` });
        expect(readFileSync(join(worktree, '.claude', 'settings.json'), 'utf8')).toBe(settings);
        expect(readFileSync(join(worktree, '.claude', 'settings.local.json'), 'utf8')).toBe(local);
        // the operator is told, and so is the node's log; a context left alone is left alone
        const warnings: string[] = status.nodes[0].info.warnings ?? [];
        if (i === 0) {
          expect(warnings).toEqual([]);
          continue;
        }
        expect(warnings.at(-1), what).toMatch(
          new RegExp(
            `^${session}: restored its compiled context before starting claude: .*\\.claude/settings\\.json \\((missing|changed)\\)`,
          ),
        );
        expect(readFileSync(join(n.agencyHome, 'node.log'), 'utf8')).toContain(warnings.at(-1));
      }
      // what mv left behind is the session's; the tampered settings went aside, where the operator can read them
      expect(existsSync(join(worktree, 'x', 'settings.json'))).toBe(true);
      expect(JSON.stringify(n.api.requests.map((r) => r.body))).not.toContain('disableAllHooks');
    },
  );
});
