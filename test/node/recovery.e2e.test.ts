/**
 * The node daemon dies (kill -9) mid-session; when it comes back, the session resumes with its id and
 * transcript. Only sessions that were at work get a new turn: idle ones come back costing nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { mainTranscriptPath } from '../../src/session/cost/index.js';
import type { Scenario } from '../fixtures/messages-api.js';
import { testNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();

describe('recovery', () => {
  it(
    'kill -9 of the daemon mid-session: after restart the session resumes, its id and transcript kept',
    { timeout: 150_000 },
    async () => {
      const n = await testNode({
        steps: [
          { tool: 'Bash', input: { command: 'cp README.md copy.md', description: 'copy (waits for the operator)' } },
          { tool: 'Bash', input: { command: 'touch after-restart.txt', description: 'make a file' } },
          { text: 'resumed and finished' },
        ],
      });
      defer(() => n.cleanup());
      const run = await n.agency(['run', 'copy and continue', '--discipline', 'backend', '--json']);
      const { session, worktree } = JSON.parse(run.stdout);
      expect((await n.agency(['wait', session, '--until', 'input', '--timeout', '60'])).code).toBe(3);
      const before = JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0];
      const transcript = mainTranscriptPath(n.home.configDir, worktree, before.claudeSession);
      const linesBefore = readFileSync(transcript, 'utf8').trim().split('\n').length;

      const pid = n.daemonPid();
      expect(pid).toBeGreaterThan(0);
      process.kill(pid!, 'SIGKILL');

      // any command brings the node back; it resumes the session with Claude Code's own resume
      const after = JSON.parse((await n.agency(['status', '--json'])).stdout);
      expect(after.nodes[0].info.pid).not.toBe(pid);
      const s = after.sessions.find((x: { id: string }) => x.id === session);
      expect(s).toMatchObject({ id: session, claudeSession: before.claudeSession, worktree });
      expect(s.outputSeq).toBeGreaterThanOrEqual(before.outputSeq);
      // the decision asked of the old daemon was withdrawn; the session goes on
      expect(after.decisions.find((d: { state: string }) => d.state === 'open')).toBeUndefined();
      const done = await n.agency(['wait', session, '--timeout', '90']);
      expect(done.code, done.stdout + done.stderr + (await n.agency(['screen', session])).stdout).toBe(0);
      expect(existsSync(join(worktree, 'after-restart.txt'))).toBe(true);
      const lines = readFileSync(transcript, 'utf8').trim().split('\n');
      expect(lines.length).toBeGreaterThan(linesBefore);
      expect(lines.some((l) => l.includes('agency restarted this session'))).toBe(true);
      expect(
        lines.filter((l) => l.includes('"sessionId"')).every((l) => JSON.parse(l).sessionId === before.claudeSession),
      ).toBe(true);
    },
  );

  it(
    'kill -9 with three sessions idle, one paused and one at work: after restart only the one at work gets a new turn',
    { timeout: 180_000 },
    async () => {
      const scenario: Scenario = { steps: [{ text: 'done' }] };
      const n = await testNode(scenario);
      defer(() => n.cleanup());
      const sessions: { id: string; claudeSession: string }[] = [];
      const start = async (task: string) => {
        const run = await n.agency(['run', task, '--discipline', 'backend', '--json']);
        expect(run.code, run.stderr).toBe(0);
        const id = JSON.parse(run.stdout).session as string;
        const snap = JSON.parse((await n.agency(['status', '--json'])).stdout);
        sessions.push({ id, claudeSession: snap.sessions.find((x: { id: string }) => x.id === id).claudeSession });
        return id;
      };
      for (const task of ['first task', 'second task', 'third task', 'fourth task']) {
        const id = await start(task);
        expect((await n.agency(['wait', id, '--timeout', '60'])).code).toBe(0);
      }
      const paused = sessions.at(-1)!.id;
      expect((await n.agency(['pause', paused])).code).toBe(0);
      // the fifth is at work: its request is still being answered when the node dies
      scenario.delayMs = 30_000;
      const busy = await start('fifth task');
      const busyClaude = sessions.at(-1)!.claudeSession;
      const asked = (claude: string) => (r: (typeof n.api.requests)[number]) =>
        r.headers['x-claude-code-session-id'] === claude && r.kind === 'main';
      await until('the fifth session asks the API', () => n.api.requests.some(asked(busyClaude)), 60_000);
      const state = (id: string) => (id === busy ? 'working' : id === paused ? 'paused' : 'idle');
      const before = JSON.parse((await n.agency(['status', '--json'])).stdout);
      expect(before.sessions.map((s: { id: string; state: string }) => [s.id, s.state])).toEqual(
        sessions.map((s) => [s.id, state(s.id)]),
      );

      process.kill(n.daemonPid()!, 'SIGKILL');
      scenario.delayMs = 0;
      const seen = n.api.requests.length;
      const after = JSON.parse((await n.agency(['status', '--json'])).stdout);
      expect(after.sessions).toHaveLength(5);
      const back = await n.agency(['wait', busy, '--timeout', '90']);
      expect(back.code, back.stdout + back.stderr + (await n.agency(['screen', busy])).stdout).toBe(0);

      // the idle ones come back idle once their claude is ready, the paused one paused, with no turn
      let now: { sessions: { id: string; state: string; activity: string }[] } = { sessions: [] };
      await until(
        'every session is idle but the paused one',
        async () => {
          now = JSON.parse((await n.agency(['status', '--json'])).stdout);
          return now.sessions.every((s) => s.state === (s.id === paused ? 'paused' : 'idle'));
        },
        60_000,
        () => JSON.stringify(now.sessions.map((s) => [s.id, s.state, s.activity])),
      );
      // the requests each session made since the node died
      const by = (claude: string) =>
        n.api.requests.slice(seen).filter((r) => r.headers['x-claude-code-session-id'] === claude);
      expect(by(busyClaude).filter((r) => r.kind === 'main').length).toBeGreaterThan(0);
      const lastPrompt = JSON.stringify(
        by(busyClaude)
          .filter((r) => r.kind === 'main')
          .at(-1)!.body.messages,
      );
      expect(lastPrompt).toContain('agency restarted this session');
      for (const s of sessions.filter((x) => x.id !== busy)) expect(by(s.claudeSession)).toEqual([]);
      // resumed, the paused one is idle too, still with no turn
      expect((await n.agency(['resume', paused])).code).toBe(0);
      expect((await n.agency(['wait', paused, '--timeout', '60'])).code).toBe(0);
      // the idle ones are back in claude (resumed, not left dead), waiting for input
      for (const s of sessions.filter((x) => x.id !== busy)) {
        const screen = await n.agency(['screen', s.id]);
        expect(screen.stdout).toContain('done');
        expect(by(s.claudeSession)).toEqual([]);
      }
    },
  );
});
