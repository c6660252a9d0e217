/**
 * A session's workers in the cockpit: on the tiles (by state and model, within 80×24 and 160×48 with many
 * tiles), in the node and session views (a table that fits the width, in list order, scrolling with its
 * cursor), a worker's output opened with Enter (its lines, then its result), asked for again while it is
 * shown, and stopping a worker or its run after a question.
 */
import { describe, expect, it } from 'vitest';
import type { CockpitEvent } from '../../src/cockpit/client.js';
import type { WorkerOutput, WorkerSummary } from '../../src/protocol/messages.js';
import { stringWidth } from '../../src/terminal/index.js';
import { topLayer } from '../../src/tui/layers.js';
import { at, fleetEvents, link, nodeEvent, session, sessionEvent } from '../cockpit/fixtures.js';
import { workerSummary } from '../helpers/workers.js';
import { type Cockpit, KEY, mountEach } from './harness.js';

const app = mountEach();

const usage = (tokens: number, costUsd: number) => ({
  inputTokens: tokens,
  outputTokens: 0,
  cacheCreationTokens: 0,
  cacheReadTokens: 0,
  costUsd,
  unpricedModels: [],
});
const MODELS = ['haiku', 'sonnet', 'opus'] as const;
const STATES = ['running', 'queued', 'done', 'failed', 'stopped'] as const;

/** `n` workers of a session, through every state and model in turn: worker i is STATES[i % 5] on MODELS[i % 3]. */
function workers(node: string, sessionId: string, n: number, patch: Partial<WorkerSummary> = {}): WorkerSummary[] {
  return Array.from({ length: n }, (_, i) =>
    workerSummary({
      id: `w-${i}`,
      name: `task-${i}`,
      node,
      session: sessionId,
      state: STATES[i % 5]!,
      model: MODELS[i % 3]!,
      task: `review part ${i}`,
      activity: `Read file${i}.ts`,
      usage: usage(1000 * i, 0.01 * i),
      createdAt: at(i * 1000),
      startedAt: i % 5 === 1 ? null : at(i * 1000 + 10),
      endedAt: i % 5 > 1 ? at(100_000 + i) : null,
      updatedAt: at(100_000 + i),
      ...patch,
    }),
  );
}
const events = (ws: WorkerSummary[]): CockpitEvent[] => ws.map((worker) => ({ kind: 'worker', worker }));

const SIZES = [
  [80, 24],
  [160, 48],
] as const;

function fits(c: Cockpit, columns: number, rows: number): void {
  const lines = c.lines();
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(columns);
}

const top = (c: Cockpit) => topLayer(c.controller.getSnapshot().stack);
/** The row of the table the cursor is on. */
const cursorRow = (c: Cockpit) => c.lines().find((l) => /^› task-\d+ /.test(l)) ?? '';

describe('workers on the tiles', () => {
  for (const [columns, rows] of SIZES)
    it(`at ${columns}×${rows}, 16 tiles each say their node's workers by state and model, within the terminal`, async () => {
      const all: CockpitEvent[] = [...fleetEvents(16, 2)];
      // node n has 10 + n workers: 12 gives 3 running, 3 queued, 2 failed; the models of the live ones, 2 each
      for (let n = 1; n <= 16; n++) {
        const name = `studio-${String(n).padStart(2, '0')}`;
        all.push(...events(workers(name, `s-${n}001`, n === 2 ? 12 : 0)));
      }
      const c = await app({ columns, rows, events: all });
      fits(c, columns, rows);
      const line = columns === 80 ? 'no decisions · w 3/6 ✗2 h2 s2 o2' : 'workers 3 run 3 queued ✗2 h2 s2 o2';
      expect(c.lines().filter((l) => l.includes(line))).toHaveLength(1);
      // a node without workers says so where it has room
      if (columns === 80) expect(c.lines().some((l) => l.includes('no decisions · 0 workers'))).toBe(true);
      expect(c.lines()[0]).toContain(columns === 80 ? '16/16 nodes' : 'workers 3/6');
    });
});

describe("a session's workers", () => {
  const base = [nodeEvent(link('studio-01')), sessionEvent(session('studio-01', 's-1', { usage: usage(500, 1) }))];

  for (const [columns, rows] of SIZES)
    it(`at ${columns}×${rows}, the node view lists them under the sessions, running, queued, then ended newest first`, async () => {
      const ws = workers('studio-01', 's-1', 10);
      const c = await app({ columns, rows, events: [...base, ...events(ws)] });
      await c.press(KEY.enter, { shows: 'workers of s-1' });
      fits(c, columns, rows);
      const title = c.lines().find((l) => l.includes('workers of s-1'))!;
      expect(title).toContain('2 running · 2 queued · 2 done · 2 failed · 2 stopped');
      const names = c
        .lines()
        .map((l) => /^[ ›] (task-\d+) /.exec(l)?.[1])
        .filter(Boolean);
      // running by start, queued by creation, then ended newest first (task-9 ended last)
      const order = [
        'task-0',
        'task-5',
        'task-1',
        'task-6',
        'task-9',
        'task-8',
        'task-7',
        'task-4',
        'task-3',
        'task-2',
      ];
      expect(names).toEqual(order.slice(0, names.length));
      expect(names.length).toBeGreaterThanOrEqual(columns === 80 ? 3 : 10);
      const row5 = c.lines().find((l) => l.startsWith('  task-5 '))!;
      expect(row5).toMatch(/task-5 +running +opus +\d+d +/);
      expect(row5).toContain('$0.05');
      expect(row5).toContain('review part 5 — Read file5.ts');
      if (columns === 160) expect(row5).toContain(' 5.0k ');
      // the session's row counts what it and its workers spent: $1 of its own and $0.45 of theirs
      expect(c.lines().find((l) => l.startsWith('› s-1 '))).toContain('$1.45');
    });

  it('w moves into the list; ↓ moves the cursor and the list scrolls to keep it in view; Esc comes back out', async () => {
    const ws = workers('studio-01', 's-1', 30);
    const c = await app({ columns: 80, rows: 24, events: [...base, ...events(ws)] });
    await c.press(KEY.enter, { shows: 'workers of s-1' });
    await c.press('w', (c) => top(c).kind === 'workers');
    expect(cursorRow(c)).toMatch(/^› task-0 /);
    const list = c.store.getSnapshot().sessionWorkers.get('studio-01')!.get('s-1')!.list;
    for (let i = 1; i <= 20; i++) await c.press('j', (c) => cursorRow(c).startsWith(`› ${list[i]!.name} `));
    expect(c.lines().some((l) => / \d+–21 of 30/.test(l))).toBe(true);
    fits(c, 80, 24);
    await c.press('k', (c) => cursorRow(c).startsWith(`› ${list[19]!.name} `));
    await c.press(KEY.escape, (c) => top(c).kind === 'node');
    expect(cursorRow(c)).toBe('');
  });

  it('a session with no workers says so when w opens its list', async () => {
    const c = await app({ events: base });
    await c.press(KEY.enter, { shows: 's-1' });
    expect(c.frame()).not.toContain('workers of s-1');
    await c.press('w', { shows: 'no workers: a session starts them with its agency tools' });
    await c.press(KEY.enter, { shows: 'session s-1 has no workers' });
  });

  for (const [columns, rows] of SIZES)
    it(`at ${columns}×${rows}, the session view shows them above its screen, and w then Enter opens one's output`, async () => {
      const c = await app({ columns, rows, events: [...base, ...events(workers('studio-01', 's-1', 8))] });
      await c.press(KEY.enter, { shows: 'workers of s-1' });
      await c.press(KEY.enter, (c) => c.lines()[1]!.includes('› s-1'));
      await c.until({ shows: 'workers of s-1' });
      fits(c, columns, rows);
      expect(c.lines()[2]).toContain('$1.28 with its workers');
      const table = c.lines().findIndex((l) => l.includes('workers of s-1'));
      const pane = c.lines().findIndex((l) => l.startsWith('┌'));
      expect(table).toBeGreaterThan(0);
      expect(pane).toBeGreaterThan(table);
      c.port.answer['worker-output'] = () => ({ worker: 'w-0', lines: ['hello'], truncated: false, result: null });
      await c.press('w', (c) => top(c).kind === 'workers');
      await c.press(KEY.enter, { shows: 'no result yet' });
      fits(c, columns, rows);
    });
});

describe("a worker's output", () => {
  const base = [nodeEvent(link('studio-01')), sessionEvent(session('studio-01', 's-1'))];
  const running = workerSummary({ id: 'w-1', name: 'auth', node: 'studio-01', session: 's-1', state: 'running' });
  const output = (lines: string[], result: string | null): WorkerOutput => ({
    worker: 'w-1',
    lines,
    truncated: false,
    result,
  });

  async function openOutput(c: Cockpit): Promise<void> {
    await c.press(KEY.enter, { shows: 'workers of s-1' });
    await c.press('w', (c) => top(c).kind === 'workers');
    await c.press(KEY.enter, (c) => top(c).kind === 'output');
  }

  it('opens on Enter as a layer: its lines, then its result; Esc pops it back to the list', async () => {
    const c = await app({ columns: 100, rows: 30, events: [...base, { kind: 'worker', worker: running }] });
    c.port.answer['worker-output'] = () =>
      output(['I will read the auth module', 'Read src/auth.ts'], 'Found 2 issues.\n- a\n- b\nDONE\n');
    await openOutput(c);
    await c.until({ shows: '── result ──' });
    const lines = c.lines().map((l) => l.trimEnd());
    const from = lines.indexOf('I will read the auth module');
    expect(lines.slice(from, from + 7)).toEqual([
      'I will read the auth module',
      'Read src/auth.ts',
      '── result ──',
      'Found 2 issues.',
      '- a',
      '- b',
      'DONE',
    ]);
    expect(lines[2]).toContain('output of auth (w-1) running');
    expect(c.port.ops('worker-output')[0]).toEqual({ node: 'studio-01', op: 'worker-output', args: { worker: 'w-1' } });
    await c.press(KEY.escape, (c) => top(c).kind === 'workers');
    expect(c.frame()).not.toContain('── result ──');
  });

  it('is asked for again on each report of the worker, and shows what changed', async () => {
    const c = await app({ columns: 100, rows: 30, events: [...base, { kind: 'worker', worker: running }] });
    let said = ['first line'];
    let result: string | null = null;
    c.port.answer['worker-output'] = () => output(said, result);
    await openOutput(c);
    await c.until({ shows: 'first line' });
    said = ['first line', 'second line'];
    result = 'all done\nDONE';
    await c.feed([{ kind: 'worker', worker: { ...running, state: 'done', sentence: 'done', updatedAt: at(5000) } }], {
      shows: 'all done',
    });
    expect(c.frame()).toContain('second line');
    expect(c.lines()[2]).toContain('output of auth (w-1) done');
  });

  it('of a running worker is asked for again on a timer, when no report comes', async () => {
    const c = await app({ columns: 100, rows: 30, events: [...base, { kind: 'worker', worker: running }] });
    let n = 0;
    c.port.answer['worker-output'] = () => output([`answer ${++n}`], null);
    await openOutput(c);
    await c.until({ shows: 'answer 1' });
    await c.until({ shows: 'answer 2' });
    expect(c.port.ops('worker-output')).toHaveLength(2);
  });

  it('says why when its node refuses, or answers with something that is not an output', async () => {
    const c = await app({ columns: 100, rows: 30, events: [...base, { kind: 'worker', worker: running }] });
    c.port.answer['worker-output'] = () => {
      throw new Error('no worker "w-1" on node studio-01');
    };
    await openOutput(c);
    await c.until({ shows: 'could not get its output: no worker "w-1" on node studio-01' });
    c.port.answer['worker-output'] = () => ({ nonsense: true });
    await c.feed([{ kind: 'worker', worker: { ...running, activity: 'x', updatedAt: at(9) } }], {
      shows: "node studio-01 answered with something that is not a worker's output",
    });
  });

  it('scrolls: ↑ leaves the end, End follows it again', async () => {
    const c = await app({ columns: 80, rows: 24, events: [...base, { kind: 'worker', worker: running }] });
    c.port.answer['worker-output'] = () =>
      output(
        Array.from({ length: 100 }, (_, i) => `line ${i + 1}`),
        null,
      );
    await openOutput(c);
    await c.until({ shows: 'of 101 (following)' });
    expect(c.frame()).toContain('line 100');
    await c.press(KEY.pageUp, { gone: '(following)' });
    expect(c.frame()).not.toContain('line 100');
    await c.press('G', { shows: '(following)' });
    expect(c.frame()).toContain('line 100');
    fits(c, 80, 24);
  });
});

describe('stopping workers', () => {
  const base = [nodeEvent(link('studio-01')), sessionEvent(session('studio-01', 's-1'))];
  const run = [
    workerSummary({ id: 'w-1', name: 'auth', node: 'studio-01', session: 's-1', state: 'running', model: 'sonnet' }),
    workerSummary({ id: 'w-2', name: 'db', node: 'studio-01', session: 's-1', state: 'queued' }),
    workerSummary({ id: 'w-3', name: 'ui', node: 'studio-01', session: 's-1', state: 'done' }),
    workerSummary({ id: 'w-4', name: 'other', node: 'studio-01', session: 's-1', state: 'running', run: 'r-2' }),
  ];

  it('s asks, then stops the selected worker; the message line says what the node did', async () => {
    const c = await app({ events: [...base, ...events(run)] });
    c.port.answer['worker-stop'] = () => ({ stopped: ['w-1'] });
    await c.press(KEY.enter, { shows: 'workers of s-1' });
    await c.press('w', (c) => top(c).kind === 'workers');
    await c.press('s', { shows: 'Stop worker auth (w-1) of s-1 on studio-01? It is running on sonnet' });
    expect(c.port.ops('worker-stop')).toEqual([]);
    await c.press('y', { shows: 'stopped worker auth' });
    expect(c.port.ops('worker-stop')).toEqual([{ node: 'studio-01', op: 'worker-stop', args: { worker: 'w-1' } }]);
    expect(top(c).kind).toBe('workers');
  });

  it('S asks, naming how many of the run have not ended, then stops the run; n stops nothing', async () => {
    const c = await app({ events: [...base, ...events(run)] });
    c.port.answer['worker-stop'] = () => ({ stopped: ['w-1', 'w-2'] });
    await c.press(KEY.enter, { shows: 'workers of s-1' });
    await c.press('w', (c) => top(c).kind === 'workers');
    const question = 'Stop run r-1 of s-1 on studio-01: its 2 workers not ended (1 running, 1 queued)?';
    await c.press('S', { shows: question });
    await c.press('n', { gone: question });
    expect(c.port.ops('worker-stop')).toEqual([]);
    await c.press('S', { shows: question });
    await c.press('y', { shows: 'stopped 2 workers of run r-1' });
    expect(c.port.ops('worker-stop')).toEqual([{ node: 'studio-01', op: 'worker-stop', args: { run: 'r-1' } }]);
  });

  it('s and S work from the output too; a worker that ended cannot be stopped, and the key says why', async () => {
    const c = await app({ events: [...base, ...events(run)] });
    c.port.answer['worker-output'] = () => ({ worker: 'w-3', lines: [], truncated: false, result: 'ok' });
    await c.press(KEY.enter, { shows: 'workers of s-1' });
    await c.press('w', (c) => top(c).kind === 'workers');
    // the ended one is listed after the live ones: w-1 (running), w-4 (running), w-2 (queued), w-3 (done)
    for (const next of ['w-4', 'w-2', 'w-3']) await c.press('j', (c) => c.controller.context().worker?.id === next);
    await c.press(KEY.enter, (c) => top(c).kind === 'output');
    await c.press('s', { shows: 's (stop the worker (asks first)): worker ui is done' });
    // its run still has workers going: S stops those
    await c.press('S', { shows: 'Stop run r-1 of s-1 on studio-01: its 2 workers not ended' });
  });
});
