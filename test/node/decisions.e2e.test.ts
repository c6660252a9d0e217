/** What policy cannot decide waits for the operator: `agency decisions`, `approve`, `deny`. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { testNode, type TestNode } from '../helpers/node.js';

const defer = deferAfterEach();
async function node(...args: Parameters<typeof testNode>): Promise<TestNode> {
  const n = await testNode(...args);
  defer(() => n.cleanup());
  return n;
}

async function openDecision(n: TestNode, id: string) {
  const w = await n.agency(['wait', id, '--until', 'input', '--timeout', '60']);
  expect(w.code, w.stdout + w.stderr).toBe(3);
  const list = JSON.parse((await n.agency(['decisions', '--json'])).stdout).decisions;
  expect(list).toHaveLength(1);
  return list[0];
}

describe('decisions', () => {
  it(
    'an escalated call waits for the operator; approved it runs, denied Claude is told why, and the session finishes',
    { timeout: 120_000 },
    async () => {
      const n = await node({
        steps: [
          { tool: 'Bash', input: { command: 'cp README.md copy.md', description: 'copy' } },
          { tool: 'Bash', input: { command: 'cp README.md second.md', description: 'copy again' } },
          { text: 'finished' },
        ],
      });
      const run = await n.agency(['run', 'copy the readme', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session, worktree } = JSON.parse(run.stdout);

      const first = await openDecision(n, session);
      expect(first).toMatchObject({
        session,
        tool: 'Bash',
        summary: 'cp README.md copy.md',
        state: 'open',
        source: 'hook',
      });
      const status = JSON.parse((await n.agency(['status', '--json'])).stdout);
      expect(status.sessions[0]).toMatchObject({ id: session, state: 'needs-input', openDecisions: 1 });
      expect(existsSync(join(worktree, 'copy.md'))).toBe(false);
      const ok = await n.agency(['approve', first.id, '--json']);
      expect(JSON.parse(ok.stdout)).toMatchObject({ id: first.id, state: 'approved' });

      const second = await openDecision(n, session);
      expect(second.summary).toBe('cp README.md second.md');
      expect(existsSync(join(worktree, 'copy.md'))).toBe(true);
      const no = await n.agency(['deny', second.id, '--reason', 'one copy is enough']);
      expect(no.code).toBe(0);

      const done = await n.agency(['wait', session, '--timeout', '60']);
      expect(done.code, done.stdout + done.stderr).toBe(0);
      expect(existsSync(join(worktree, 'second.md'))).toBe(false);
      expect(n.api.toolResults()[1]?.content).toMatch(/The operator denied this: one copy is enough/);
      const again = await n.agency(['approve', first.id]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already approved/);
      const unknown = await n.agency(['approve', 'd-nope']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe('agency: no decision "d-nope" on any reachable node\n');
    },
  );

  it('a line sent to an idle session becomes its next prompt', { timeout: 120_000 }, async () => {
    const n = await node({
      steps: [
        { text: 'first turn done' },
        { tool: 'Bash', input: { command: 'touch second.txt', description: 'make' } },
        { text: 'second turn done' },
      ],
    });
    const { session, worktree } = JSON.parse(
      (await n.agency(['run', 'first', '--discipline', 'backend', '--json'])).stdout,
    );
    expect((await n.agency(['wait', session, '--timeout', '60'])).code).toBe(0);
    const sent = await n.agency(['send', session, 'now make the second file']);
    expect(sent.code, sent.stderr).toBe(0);
    await n.api.waitForStep(1, 60_000);
    const last = n.api.requests.filter((r) => r.kind === 'main').at(-1)!;
    expect(JSON.stringify(last.body.messages)).toContain('now make the second file');
    await n.api.waitForStep(2, 60_000); // the request that carries the touch's result: it has run
    expect((await n.agency(['wait', session, '--timeout', '60'])).code).toBe(0);
    expect(existsSync(join(worktree, 'second.txt'))).toBe(true);
  });

  it(
    'started with no prepared state, the session gets through the trust dialog on the screen, and no API-key dialog comes',
    { timeout: 120_000 },
    async () => {
      const n = await node(
        { steps: [{ tool: 'Bash', input: { command: 'touch made.txt', description: 'make' } }, { text: 'made it' }] },
        { env: { AGENCY_PREPARE_CLAUDE: '0' } },
      );
      const run = await n.agency(['run', 'make a file', '--discipline', 'backend', '--json']);
      const { session, worktree } = JSON.parse(run.stdout);
      const done = await n.agency(['wait', session, '--timeout', '90']);
      expect(done.code, done.stdout + done.stderr + (await n.agency(['screen', session])).stdout).toBe(0);
      expect(existsSync(join(worktree, 'made.txt'))).toBe(true);
      // Claude Code recorded the answer the screen rules gave: the folder trusted. The key came from the
      // node's key helper, not from the environment, so there was no key to approve
      const state = JSON.parse(readFileSync(join(n.home.configDir, '.claude.json'), 'utf8'));
      const trusted = Object.entries(state.projects ?? {}).filter(
        ([, p]) => (p as { hasTrustDialogAccepted?: boolean }).hasTrustDialogAccepted,
      );
      expect(trusted.length).toBeGreaterThan(0);
      expect(state.customApiKeyResponses?.approved ?? []).toEqual([]);
      expect(n.api.requests.filter((r) => r.kind === 'main').every((r) => r.headers['x-api-key'] === n.key)).toBe(true);
    },
  );
});
