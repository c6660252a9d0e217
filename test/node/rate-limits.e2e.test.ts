/**
 * Rate limits on a real node, with the real Claude Code CLI against the scripted Messages API: a VP's token
 * bucket of session starts (over it, sessions wait `queued` and start oldest first as it refills, by the
 * clock: these tests take the minute and a half a bucket of 2 a minute needs), queued sessions across a
 * restart of the node, and the API's 429 pausing new starts on the node; workers routed to their models by
 * the node's settings, and a worker's 429 naming its retry time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/protocol/connection.js';
import type { NodeInfo, NodeSettings, SessionSummary } from '../../src/protocol/messages.js';
import { API_ERRORS, firstUserText, type Scenario } from '../fixtures/messages-api.js';
import { deferAfterEach } from '../helpers/defer.js';
import { runApproving, testNode, type TestNode } from '../helpers/node.js';
import { managerScript, scenario, workerNameOf, workerRoute, type WorkerSpec } from '../helpers/worker-scripts.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();

/** A node with the operator's cockpit connected to it, watching its events. */
async function node(scenario: Scenario) {
  const n = await testNode(scenario);
  defer(() => n.cleanup());
  return { n, ...(await cockpit(n)) };
}

async function cockpit(n: TestNode) {
  // any command starts the node
  const up = await n.agency(['status']);
  expect(up.code, up.stderr).toBe(0);
  const socket = connect(join(n.agencyHome, 'run', 'node.sock'));
  defer(() => socket.destroy());
  const conn = new Connection(socket, { role: 'cockpit', agent: 'test' });
  await conn.ready;
  /** when each session was first seen past `queued`, in ms since the epoch */
  const started = new Map<string, number>();
  const sessions = new Map<string, SessionSummary>();
  let info: NodeInfo | null = null;
  conn.onEvent((e) => {
    if (e.kind === 'node-info') info = e.info;
    if (e.kind !== 'session') return;
    sessions.set(e.session.id, e.session);
    if (e.session.state !== 'queued' && !started.has(e.session.id)) started.set(e.session.id, Date.now());
  });
  const snap = await conn.request('watch', {});
  info = snap.node;
  const run = (task: string, vp?: string) =>
    conn.request('run', { task, repo: n.repo, discipline: 'backend', ...(vp ? { vp } : {}) });
  return { conn, started, sessions, run, info: () => info };
}

async function statusOf(n: TestNode): Promise<{ nodes: { info: NodeInfo }[]; sessions: SessionSummary[] }> {
  const r = await n.agency(['status', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** The prompts the scripted API was asked to answer (each conversation's first user message). */
const prompts = (n: TestNode) =>
  new Set(n.api.requests.filter((r) => r.kind === 'main').map((r) => firstUserText(r.body)));

/**
 * The operator's config gives the node these settings (as `agency` sends them when a node's differ), and they
 * are sent at once: every later agency command finds the node's settings the config's and leaves them.
 */
async function configure(n: TestNode, conn: Connection, settings: NodeSettings): Promise<void> {
  const dir = join(n.env.HOME!, '.config', 'agency');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(settings)}\n`);
  await conn.request('settings-apply', settings);
}

describe('rate limits', () => {
  it(
    'a VP with a bucket of 2 starts a minute given 5 tasks: 2 start, 3 wait queued, and start as it refills, oldest first',
    { timeout: 240_000 },
    async () => {
      const { n, conn, started, run } = await node({ steps: [{ text: 'done' }] });
      await configure(n, conn, { rates: { vps: { research: { startsPerMinute: 2 } } } });
      const runs: SessionSummary[] = [];
      for (const i of [1, 2, 3, 4, 5]) runs.push(await run(`research task ${i}`, 'research'));
      const ids = runs.map((s) => s.id);
      expect(runs.map((s) => s.state)).toEqual(['starting', 'starting', 'queued', 'queued', 'queued']);
      expect(runs.slice(2).map((s) => [s.held, s.activity])).toEqual(
        ['1st', '2nd', '3rd'].map((place) => [
          'queued',
          expect.stringMatching(
            new RegExp(
              `^queued: VP research's starts \\(2/min\\); starts about \\d\\d:\\d\\d:\\d\\d UTC, ${place} in line$`,
            ),
          ),
        ]),
      );
      // the operator's status says which wait, and why
      const text = await n.agency(['status']);
      for (const id of ids.slice(2))
        expect(text.stdout, text.stdout).toMatch(
          new RegExp(`${id}\\s+queued\\s+backend .*queued: VP research's starts \\(2/min\\)`),
        );

      await until(
        'all five started',
        () => started.size === 5 && ids.every((id) => started.has(id)),
        150_000,
        () => JSON.stringify([...started]),
      );
      const at = ids.map((id) => started.get(id)!);
      // oldest first
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      // the 3rd, 4th and 5th as the bucket refilled: one every 30 s after the first two took it whole
      const after = at.slice(2).map((t) => (t - at[0]!) / 1000);
      after.forEach((s, k) => {
        expect(s).toBeGreaterThan(30 * (k + 1) - 2);
        expect(s).toBeLessThan(30 * (k + 1) + 8);
      });
      // each started with its task (its claude never ran before): the API was asked each one
      await until(
        'every task reached the API',
        () => ids.every((_, i) => prompts(n).has(`research task ${i + 1}`)),
        60_000,
      );
      const end = await statusOf(n);
      expect(end.sessions.filter((s) => s.state === 'queued')).toEqual([]);
    },
  );

  it(
    'queued sessions come back queued after a restart and start with their task; a stop takes one out of the line',
    { timeout: 180_000 },
    async () => {
      const first = await node({ steps: [{ text: 'done' }] });
      const { n } = first;
      await configure(n, first.conn, { rates: { vps: { research: { startsPerMinute: 1 } } } });
      const ids: string[] = [];
      for (const i of [1, 2, 3]) ids.push((await first.run(`queued task ${i}`, 'research')).id);
      const [s1, s2, s3] = ids as [string, string, string];
      expect((await n.agency(['wait', s1, '--timeout', '60'])).code).toBe(0);
      expect((await statusOf(n)).sessions.filter((s) => s.state === 'queued').map((s) => s.id)).toEqual([s2, s3]);
      first.conn.close();

      expect((await n.agency(['node', 'stop'])).code).toBe(0);
      // the node comes back with its settings; its buckets start full: the oldest queued starts, the next waits
      const back = await cockpit(n);
      const wait2 = await n.agency(['wait', s2, '--timeout', '60']);
      expect(wait2.code, wait2.stdout + wait2.stderr).toBe(0);
      expect(prompts(n)).toContain('queued task 2');
      const now = await statusOf(n);
      const third = now.sessions.find((s) => s.id === s3)!;
      expect(third).toMatchObject({ state: 'queued', held: 'queued' });
      expect(third.activity).toMatch(
        /^queued: VP research's starts \(1\/min\); starts about \d\d:\d\d:\d\d UTC, 1st in line$/,
      );

      const stop = await n.agency(['stop', s3, '--json']);
      expect(stop.code, stop.stderr).toBe(0);
      expect(JSON.parse(stop.stdout)).toMatchObject({ state: 'exited', held: null, reason: 'stopped by the operator' });
      // out of the line, and its claude never ran
      expect(back.started.has(s3)).toBe(false);
      expect(prompts(n)).not.toContain('queued task 3');
    },
  );

  it(
    'a 429 pauses new starts on the node: the node says until when, a new session waits queued and starts after',
    { timeout: 180_000 },
    async () => {
      const limited = (body: unknown) => firstUserText(body) === 'a limited task';
      const { n, started, run, info } = await node({
        steps: [{ text: 'done' }],
        error: (r) => (r.kind === 'main' && limited(r.body) ? API_ERRORS.rateLimited(1) : null),
      });
      const a = await run('a limited task');
      // Claude Code retries (waiting the second the API asked), then gives up: the session waits for the operator
      await until(
        'the session is rate-limited',
        async () => (await statusOf(n)).sessions[0]?.state === 'needs-input',
        60_000,
      );
      const hit = Date.now();
      await until('the node says it is rate-limited', () => Boolean(info()?.rateLimited), 10_000);
      const pause = info()!.rateLimited!;
      expect(pause.reason).toBe(
        `the API rate-limited session ${a.id} (429): it named no retry time, so new starts wait 60 s`,
      );
      const until_ = Date.parse(pause.until);
      expect(until_).toBeGreaterThan(hit + 50_000);
      expect((await statusOf(n)).nodes[0]!.info.rateLimited).toEqual(pause);
      const text = await n.agency(['status']);
      expect(text.stdout).toContain(`rate-limited by the API until ${pause.until.slice(11, 19)} UTC`);

      const b = await run('a task after the limit');
      expect(b).toMatchObject({ state: 'queued', held: 'queued' });
      expect(b.activity).toMatch(
        new RegExp(
          `^queued: the API rate-limited node local \\(429\\) until ${pause.until.slice(11, 19)} UTC; starts about \\d\\d:\\d\\d:\\d\\d UTC, 1st in line$`,
        ),
      );
      await until('the queued session started', () => started.has(b.id), 90_000);
      expect(started.get(b.id)!).toBeGreaterThanOrEqual(until_ - 50);
      const done = await n.agency(['wait', b.id, '--timeout', '60']);
      expect(done.code, done.stdout + done.stderr).toBe(0);
      await until('the pause is over in the node info', () => info()?.rateLimited === null, 10_000);
    },
  );
});

describe('workers under the node’s settings', () => {
  it(
    "workers run on the models the settings route them to, and a worker's 429 with retry-after pauses the node's new starts",
    { timeout: 300_000 },
    async () => {
      const workers: WorkerSpec[] = [
        { id: 'task-a', prompt: 'Look into part a and report.' },
        { id: 'task-b', prompt: 'Look into part b and report.' },
        { id: 'task-c', prompt: 'Look into part c and report.', model: 'opus' },
      ];
      let refused = 0;
      const { n, conn, started, info, run } = await node(
        scenario(
          managerScript({ workers }),
          (ctx) => (ctx.prompt === 'a task during the pause' ? [{ text: 'done' }] : workerRoute({})(ctx)),
          {
            // task-a's first request is refused once, with a retry-after of 20 s
            error: (r) =>
              r.kind === 'main' && workerNameOf(firstUserText(r.body)) === 'task-a' && refused++ === 0
                ? API_ERRORS.rateLimited(20)
                : null,
          },
        ),
      );
      await configure(n, conn, { models: { worker: 'claude-sonnet-4-5' } });
      const manager = await run('survey the repository with workers');
      await until('the node is rate-limited', () => Boolean(info()?.rateLimited), 120_000);
      const pause = info()!.rateLimited!;
      expect(pause.reason).toMatch(/^the API rate-limited worker w-[0-9a-f]+ \(429\): it asked to retry in 20 s$/);
      // a session asked for meanwhile waits for the pause to end
      const later = await run('a task during the pause');
      expect(later).toMatchObject({ state: 'queued', held: 'queued' });
      await until('the queued session started', () => started.has(later.id), 60_000);
      expect(started.get(later.id)!).toBeGreaterThanOrEqual(Date.parse(pause.until) - 50);

      await runApproving(n, manager.id);
      const list = JSON.parse((await n.agency(['workers', manager.id, '--json'])).stdout).workers as {
        name: string;
        model: string;
        state: string;
      }[];
      expect(list.map((w) => [w.name, w.model, w.state]).sort()).toEqual([
        ['task-a', 'sonnet', 'done'],
        ['task-b', 'sonnet', 'done'],
        ['task-c', 'opus', 'done'],
      ]);
      // claude was given the full id the settings named; the spawn's own model won over them
      const modelOf = (name: string) =>
        new Set(
          n.api.requests
            .filter((r) => r.kind === 'main' && workerNameOf(firstUserText(r.body)) === name)
            .map((r) => String(r.body.model)),
        );
      expect(modelOf('task-a')).toEqual(new Set(['claude-sonnet-4-5']));
      expect(modelOf('task-b')).toEqual(new Set(['claude-sonnet-4-5']));
      expect([...modelOf('task-c')]).not.toContain('claude-sonnet-4-5');
      expect(refused).toBeGreaterThan(1);
    },
  );
});
