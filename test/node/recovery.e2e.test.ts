/** The node daemon dies (kill -9) mid-session; when it comes back, the session resumes with its id and transcript. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { mainTranscriptPath } from '../../src/session/cost/index.js';
import { testNode } from '../helpers/node.js';

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
});
