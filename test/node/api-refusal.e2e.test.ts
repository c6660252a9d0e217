/**
 * The real Claude Code CLI against a scripted API that refuses it: a node with no key is refused by `run`
 * before anything is made; a key the API rejects (401) ends the session `failed`, and a rate limit (429)
 * leaves it waiting for the operator, each with its own reason, within seconds, and `agency wait` returns. An
 * overload that passes is ridden out: the node sends the session on by itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEND_ON_LINE } from '../../src/node/api-refusals.js';
import { API_ERRORS, type ApiError, type Scenario } from '../fixtures/messages-api.js';
import { deferAfterEach } from '../helpers/defer.js';
import { FAKE_API_KEY } from '../helpers/claude.js';
import { testNode, type TestNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();

/** What a refused `run` must not have made: a worktree, a branch, a session. */
async function nothingMade(n: TestNode): Promise<void> {
  const worktrees = join(n.agencyHome, 'worktrees');
  expect(existsSync(worktrees) ? readdirSync(worktrees) : []).toEqual([]);
  const branches = execFileSync('git', ['branch', '--list', 'agency/*'], { cwd: n.repo, encoding: 'utf8' });
  expect(branches.trim()).toBe('');
  expect(execFileSync('git', ['worktree', 'list'], { cwd: n.repo, encoding: 'utf8' }).trim().split('\n')).toHaveLength(
    1,
  );
  const status = await n.agency(['status', '--json']);
  expect(JSON.parse(status.stdout).sessions).toEqual([]);
}

async function status(n: TestNode, id: string) {
  const snap = JSON.parse((await n.agency(['status', '--json'])).stdout);
  return snap.sessions.find((s: { id: string }) => s.id === id);
}

describe('a session the API refuses', () => {
  it(
    'no key and no login: run refuses before making anything, and says where the key goes; with the key in the shell but not in the daemon, it says that',
    { timeout: 120_000 },
    async () => {
      const n = await testNode({ steps: [{ text: 'done' }] }, { key: false });
      defer(() => n.cleanup());

      const run = await n.agency(['run', 'add an endpoint', '--discipline', 'backend']);
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('node local has no API key and no Claude Code login');
      expect(run.stderr).toContain(`ANTHROPIC_API_KEY=<your key> in ${join(n.agencyHome, 'node.env')}`);
      expect(run.stderr).toContain('agency node stop');
      await nothingMade(n);

      // the daemon is running without a key; the operator now exports one in their shell
      const withKey = { ...n.env, ANTHROPIC_API_KEY: FAKE_API_KEY };
      const again = await n.agency(['run', 'add an endpoint', '--discipline', 'backend'], { env: withKey });
      expect(again.code, again.stdout + again.stderr).toBe(1);
      expect(again.stderr).toContain("your shell has ANTHROPIC_API_KEY, but node local's daemon");
      expect(again.stderr).toContain('was started without a key');
      expect(again.stderr).toContain(`put ANTHROPIC_API_KEY=… in ${join(n.agencyHome, 'node.env')}`);
      expect(again.stderr).toContain('or run `agency node stop`');
      expect(again.stderr + again.stdout).not.toContain(FAKE_API_KEY);
      await nothingMade(n);

      // the fix it names works: the next command starts the daemon with the shell's key
      expect((await n.agency(['node', 'stop'])).code).toBe(0);
      const fixed = await n.agency(['run', 'add an endpoint', '--discipline', 'backend'], { env: withKey });
      expect(fixed.code, fixed.stderr).toBe(0);
      // the id alone on stdout; where the work goes and what comes next on stderr
      const id = fixed.stdout.trim();
      expect(id).toMatch(/^s-[a-z0-9]+$/);
      expect(fixed.stderr).toMatch(new RegExp(`^  worktree  ${n.agencyHome}/worktrees/repo-[0-9a-f]{8}/${id}$`, 'm'));
      expect(fixed.stderr).toContain(`  branch    agency/${id} (from main)\n`);
      expect(fixed.stderr).toContain(`  next      agency wait ${id}; then agency diff ${id}`);
      const done = await n.agency(['wait', id, '--timeout', '60']);
      expect(done.code, done.stdout + done.stderr).toBe(0);
    },
  );

  it(
    'a key the API rejects (401): the session fails within seconds, with why and what to do',
    { timeout: 120_000 },
    async () => {
      const n = await testNode({ steps: [{ text: 'done' }], error: API_ERRORS.unauthorized });
      defer(() => n.cleanup());
      const started = Date.now();
      const run = await n.agency(['run', 'add an endpoint', '--discipline', 'backend']);
      expect(run.code, run.stderr).toBe(0);
      const id = run.stdout.trim().split('\n')[0]!;
      const wait = await n.agency(['wait', id, '--timeout', '60', '--json']);
      const seconds = (Date.now() - started) / 1000;
      expect(wait.code, wait.stdout + wait.stderr).toBe(1);
      expect(seconds).toBeLessThan(30);
      const s = await status(n, id);
      expect(s.state).toBe('failed');
      expect(s.reason).toContain("the API refused node local's key");
      expect(s.reason).toMatch(/authentication_failed|401/);
      expect(s.reason).toContain(`set a valid ANTHROPIC_API_KEY in ${join(n.agencyHome, 'node.env')}`);
      expect(s.reason).toContain('agency node stop');
      expect(s.reason).not.toContain(n.key);
      expect(JSON.parse(wait.stdout)).toMatchObject({ session: id, state: 'failed', reason: s.reason, exit: 1 });
      // Claude Code's retries were bounded: a handful of requests, not ten
      const refused = n.api.requests.filter((r) => r.kind === 'main').length;
      expect(refused).toBeGreaterThan(0);
      expect(refused).toBeLessThanOrEqual(4);
    },
  );

  it(
    'a rate limit (429, retry-after): the session waits for the operator within seconds, wait returns 3, and it goes on when told to',
    { timeout: 120_000 },
    async () => {
      let error: ApiError | null = API_ERRORS.rateLimited(1);
      const scenario: Scenario = { steps: [{ text: 'done after the limit' }], error: () => error };
      const n = await testNode(scenario);
      defer(() => n.cleanup());
      const started = Date.now();
      const run = await n.agency(['run', 'add an endpoint', '--discipline', 'backend']);
      expect(run.code, run.stderr).toBe(0);
      const id = run.stdout.trim().split('\n')[0]!;
      // plain wait (--until done) returns: nothing but the operator will move this session on
      const wait = await n.agency(['wait', id, '--timeout', '60']);
      expect(wait.code, wait.stdout + wait.stderr).toBe(3);
      expect((Date.now() - started) / 1000).toBeLessThan(30);
      const s = await status(n, id);
      expect(s.state).toBe('needs-input');
      expect(s.openDecisions).toBe(0);
      expect(s.reason).toContain('the API rate-limited this session');
      expect(s.reason).toMatch(/rate_limit|429/);
      expect(s.reason).toContain(`agency send ${id} continue`);
      expect(wait.stdout).toContain(s.reason);
      // a retry-after of a second: the CLI waited it between its bounded retries
      const tries = n.api.requests.filter((r) => r.kind === 'main');
      expect(tries.length).toBeGreaterThan(1);
      expect(tries.length).toBeLessThanOrEqual(4);

      // the limit is over; the operator sends it on
      error = null;
      expect((await n.agency(['send', id, 'continue'])).code).toBe(0);
      const end = await n.agency(['wait', id, '--timeout', '60']);
      expect(end.code, end.stdout + end.stderr).toBe(0);
      const after = await status(n, id);
      expect(after).toMatchObject({ state: 'idle', reason: null });
    },
  );

  it(
    'an overload (529) that passes: the node sends the session on by itself, and it finishes',
    { timeout: 120_000 },
    async () => {
      // the first turn's request and Claude Code's 3 retries are refused; then the API is back
      let refused = 0;
      const scenario: Scenario = {
        steps: [{ text: 'done once the API was back' }],
        error: (r) => (r.kind === 'main' && refused++ < 4 ? API_ERRORS.overloaded : null),
      };
      const n = await testNode(scenario);
      defer(() => n.cleanup());
      const run = await n.agency(['run', 'add an endpoint', '--discipline', 'backend']);
      expect(run.code, run.stderr).toBe(0);
      const id = run.stdout.trim();
      let seen: { state: string; activity: string; reason: string | null } | undefined;
      await until(
        'the node says it will send the session on',
        async () => {
          seen = await status(n, id);
          return /agency sends it on at .* \(try 1 of 4\)$/.test(seen?.activity ?? '');
        },
        60_000,
        () => JSON.stringify(seen),
      );
      // at work meanwhile, not waiting for the operator: a plain wait waits on, to the end
      expect(seen).toMatchObject({ state: 'working', reason: null });
      expect(seen!.activity).toMatch(
        /^the API could not answer \(529 server_error: "API Error: Repeated 529 Overloaded/,
      );
      const done = await n.agency(['wait', id, '--timeout', '90']);
      expect(done.code, done.stdout + done.stderr).toBe(0);
      expect(await status(n, id)).toMatchObject({
        state: 'idle',
        reason: null,
        activity: 'done once the API was back',
      });
      const main = n.api.requests.filter((r) => r.kind === 'main');
      expect(main).toHaveLength(5);
      expect(JSON.stringify(main.at(-1)!.body.messages)).toContain(SEND_ON_LINE);
    },
  );
});
