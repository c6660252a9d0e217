/**
 * `agency workers <session>`, and the workers `status` and `watch` carry, run as a user runs them against a
 * real node (the node's server and session table over a temporary home, on its Unix socket). The node's
 * dispatcher lists no workers yet; what its snapshot and its watchers are told is set where the daemon
 * wires the dispatcher to the session table (`workerList`, `relay`). The table itself is checked on its own
 * with workers of every state, and with hostile text in them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workersText, WORKERS_HEADER } from '../../src/cli/worker-commands.js';
import { AGENCY_BIN } from '../helpers/agency.js';
import { offlineNode } from '../helpers/node-server.js';
import { agencyAsync } from '../helpers/operator.js';
import { sessionRecord } from '../helpers/state-records.js';
import { until } from '../helpers/until.js';
import { workerSummary } from '../helpers/workers.js';

const node = offlineNode('ag-wrk-', {
  state: (home) => ({
    version: 1,
    sessions: [sessionRecord(home, 's-aaa111', { state: 'idle' }), sessionRecord(home, 's-bbb222')],
    decisions: [],
  }),
});
const env = { ...process.env, AGENCY_HOME: node.dir.path, AGENCY_CONFIG: join(node.dir.path, 'config.json') };
const agency = (...args: string[]) => agencyAsync(args, env);

const usage = (tokens: number, costUsd: number) => ({
  inputTokens: tokens,
  outputTokens: 0,
  cacheCreationTokens: 0,
  cacheReadTokens: 0,
  costUsd,
  unpricedModels: [],
});
const T = '2026-01-02T03:04:05.000Z';

beforeAll(() => node.listen());
afterAll(() => node.close());

describe('agency workers', () => {
  it('lists a session with no workers: JSON with schema first, and a line that says so', async () => {
    const json = await agency('workers', 's-aaa111', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ schema: 1, session: 's-aaa111', node: 'local', workers: [] });
    expect(Object.keys(JSON.parse(json.stdout))[0]).toBe('schema');
    const text = await agency('workers', 'local/s-aaa111');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(
      's-aaa111 on local has no workers: a session starts them itself, with its agency tools (spawn_workers)\n',
    );
  });

  it('names a session that is not there, exits 2 and prints no JSON', async () => {
    for (const args of [['s-nope99'], ['s-nope99', '--json']]) {
      const r = await agency('workers', ...args);
      expect([r.code, r.stdout]).toEqual([2, '']);
      expect(r.stderr).toBe('agency: no session "s-nope99" on any reachable node\n');
    }
    const wrongNode = await agency('workers', 'studio-9/s-aaa111');
    expect(wrongNode.code).toBe(2);
    expect(wrongNode.stderr).toContain('studio-9');
    const none = await agency('workers');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("missing required argument 'session'");
  });
});

describe('workers in status and watch', () => {
  let p: ChildProcess | undefined;
  afterAll(() => p?.kill('SIGTERM'));

  it("status counts the node's workers by state and model, per node, per session and for the fleet", async () => {
    const usageOf = (doc: { sessions: { id: string; usage: unknown }[] }) =>
      doc.sessions.find((s) => s.id === 's-aaa111')!.usage;
    const before = usageOf(JSON.parse((await agency('status', '--json')).stdout));
    node.manager.workerList = () => [
      workerSummary({ id: 'w-1', node: 'edge', session: 's-aaa111', state: 'running', usage: usage(100, 0.5) }),
      workerSummary({ id: 'w-2', node: 'edge', session: 's-aaa111', state: 'queued', model: 'opus' }),
      workerSummary({
        id: 'w-3',
        node: 'edge',
        session: 's-bbb222',
        state: 'failed',
        model: 'sonnet',
        reason: 'no DONE',
      }),
    ];
    const r = await agency('status', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['schema', 'nodes', 'sessions', 'decisions', 'workers']);
    expect(doc.workers).toEqual({
      states: { queued: 1, running: 1, done: 0, failed: 1, stopped: 0 },
      models: {
        haiku: { queued: 0, running: 1, done: 0, failed: 0, stopped: 0 },
        sonnet: { queued: 0, running: 0, done: 0, failed: 1, stopped: 0 },
        opus: { queued: 1, running: 0, done: 0, failed: 0, stopped: 0 },
      },
      tokens: 100,
      costUsd: 0.5,
    });
    expect(doc.nodes[0].workers).toEqual(doc.workers);
    const bySession = Object.fromEntries(
      doc.sessions.map((s: { id: string; workers: { states: object; tokens: number } }) => [s.id, s.workers]),
    );
    expect(bySession['s-aaa111']).toMatchObject({ states: { running: 1, queued: 1 }, tokens: 100 });
    expect(bySession['s-bbb222']).toMatchObject({ states: { failed: 1 }, tokens: 0 });
    // a session's own usage stays its own: its workers' is in its workers' count, not added to it
    expect(usageOf(doc)).toEqual(before);
    const text = await agency('status');
    expect(text.stdout).toContain(
      '  workers: 1 running, 1 queued, 1 failed (not ended: haiku 1, opus 1) (agency workers <session> lists them)',
    );
  });

  it('watch starts from the counted snapshot, then prints each worker report that says something new, once', async () => {
    node.manager.workerList = () => [workerSummary({ id: 'w-1', node: 'edge', session: 's-aaa111', state: 'running' })];
    let out = '';
    let err = '';
    p = spawn(process.execPath, [AGENCY_BIN, 'watch', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (err += d));
    const lines = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    await until(
      'the snapshot',
      () => lines().length >= 1,
      30_000,
      () => err,
    );
    expect(lines()[0].snapshot.workers.states.running).toBe(1);
    expect(lines()[0].snapshot.nodes[0].workers.states.running).toBe(1);
    // what the snapshot said already (w-1 running) is not news; w-1 done and a new w-2 are, each once
    const w1 = workerSummary({ id: 'w-1', node: 'edge', session: 's-aaa111', state: 'running' });
    const done = { ...w1, state: 'done' as const, sentence: 'found 2 issues', updatedAt: '2026-01-01T00:01:00.000Z' };
    const w2 = workerSummary({
      id: 'w-2',
      node: 'edge',
      session: 's-aaa111',
      state: 'queued',
      task: 'x\x1b]52;c;aGk=\x07y',
    });
    for (const worker of [w1, done, done, w2]) node.manager.relay({ kind: 'worker', worker });
    // an event after them: once it is printed, whatever the node sent before it has been too
    node.manager.relay({ kind: 'removed', node: 'edge', session: 's-nothing' });
    await until(
      'the event after the workers',
      () => lines().some((l) => l.kind === 'removed'),
      10_000,
      () => out,
    );
    const workers = lines().filter((l) => l.kind === 'worker');
    expect(workers.map((l) => [l.worker.id, l.worker.state, l.worker.node])).toEqual([
      ['w-1', 'done', 'local'],
      ['w-2', 'queued', 'local'],
    ]);
    expect(Object.keys(workers[0])).toEqual(['schema', 'kind', 'at', 'worker']);
    // the OSC 52 in a task is escaped, never passed to the terminal
    expect(out).not.toContain('\x1b');
    expect(out).toContain('x\\u001b]52;c;aGk=\\u0007y');
  });
});

describe('the workers table', () => {
  const r = {
    session: 's-aaa111',
    node: 'studio-01',
    workers: [
      workerSummary({
        id: 'w-1',
        name: 'old-done',
        node: 'studio-01',
        session: 's-aaa111',
        state: 'done',
        endedAt: T,
        sentence: 'all good',
      }),
      workerSummary({ id: 'w-2', name: 'queued', node: 'studio-01', session: 's-aaa111', state: 'queued' }),
      workerSummary({
        id: 'w-3',
        name: 'runner',
        node: 'studio-01',
        session: 's-aaa111',
        state: 'running',
        model: 'sonnet',
        task: 'review \x1b[2Jauth\u202e',
        activity: 'Read \x9b2J login.ts',
        usage: usage(1500, 0.0123),
        createdAt: '2026-01-02T03:00:05.000Z',
      }),
      workerSummary({
        id: 'w-4',
        name: 'new-failed',
        node: 'studio-01',
        session: 's-aaa111',
        state: 'failed',
        endedAt: '2026-01-02T03:04:06.000Z',
        reason: 'ended without its result, twice',
        attempts: 2,
      }),
    ],
  };

  it('has a line about them, the header, then one line a worker: running, queued, then ended newest first', () => {
    const lines = workersText(r, Date.parse(T)).split('\n');
    expect(lines[0]).toBe(
      's-aaa111 on studio-01: 4 workers (1 running, 1 queued, 1 done, 1 failed); not ended: haiku 1, sonnet 1; 1.5k tokens, $0.01',
    );
    expect(lines[1]).toBe(WORKERS_HEADER);
    expect(lines.slice(2).map((l) => l.split(' ')[0])).toEqual(['runner', 'queued', 'new-failed', 'old-done']);
    expect(lines[2]).toBe('runner           running  sonnet     1    1.5k    $0.01   4m  review auth — Read  login.ts');
    expect(lines[4]).toContain('new-failed');
    expect(lines[4]).toContain(' 2 ');
    expect(lines[4]).toContain('— ended without its result, twice');
    expect(lines[5]).toContain('— all good');
    // nothing a node sent reaches the terminal as a control
    expect(lines.join('\n')).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
  });
});
