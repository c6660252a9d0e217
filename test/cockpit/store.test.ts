/** The fleet store: recorded and synthetic event sequences in, batched and bounded state out. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FleetStore, type FleetState } from '../../src/cockpit/store.js';
import { workerSummary } from '../helpers/workers.js';
import {
  at,
  decision,
  decisionEvent,
  fleetEvents,
  link,
  nodeEvent,
  recorded,
  session,
  sessionEvent,
} from './fixtures.js';

const stores: FleetStore[] = [];
function store(opts: ConstructorParameters<typeof FleetStore>[0] = {}): FleetStore {
  const s = new FleetStore({ tickMs: 0, ...opts });
  stores.push(s);
  return s;
}
afterEach(() => {
  while (stores.length) stores.pop()!.dispose();
  vi.useRealTimers();
});

describe('fleet store', () => {
  it('replays a recorded session: the decision opens, counts in the tile and the header, and closes when approved', () => {
    const { snapshot, events } = recorded();
    const s = store();
    s.load(snapshot);
    s.flush();
    expect(s.getSnapshot().order).toEqual(['local']);
    expect(s.getSnapshot().health).toMatchObject({ nodesUp: 1, nodesTotal: 1, decisions: 0, live: 0 });

    const seen: FleetState[] = [];
    for (const e of events) {
      s.ingest(e);
      s.flush(); // one event per batch, as if each came more than a batch apart
      seen.push(s.getSnapshot());
    }
    const opened = seen.findIndex((st) => st.health.decisions === 1);
    expect(opened).toBeGreaterThan(0);
    const waiting = seen[opened]!;
    expect(waiting.nodes.get('local')).toMatchObject({ decisions: 1, doing: 'waiting: Bash cp README.md copy.md' });
    expect(waiting.decisions.map((d) => d.summary)).toEqual(['cp README.md copy.md']);
    const last = seen.at(-1)!;
    expect(last.health.decisions).toBe(0);
    expect(last.decisions).toEqual([]);
    const local = last.nodes.get('local')!;
    expect(local.sessions.idle).toBe(1);
    expect(local.live).toBe(1);
    expect(local.doing).toMatch(/^s-\w+: copied$/);
    expect(local.costUsd).toBeCloseTo(0.001925, 6);
    expect(local.tokens).toBeGreaterThan(0);
  });

  it('applies a burst as one batch: listeners hear once, after the batch time', () => {
    vi.useFakeTimers();
    const s = store({ batchMs: 40 });
    let calls = 0;
    s.subscribe(() => calls++);
    for (const e of fleetEvents(16, 8)) s.ingest(e);
    for (let i = 0; i < 50; i++)
      s.ingest(sessionEvent(session('studio-01', 's-1001', { activity: `step ${i}`, updatedAt: at(i + 1) })));
    expect(calls).toBe(0);
    vi.advanceTimersByTime(39);
    expect(calls).toBe(0);
    vi.advanceTimersByTime(1);
    expect(calls).toBe(1);
    const st = s.getSnapshot();
    expect(st.order).toHaveLength(16);
    expect(st.health.live).toBe(128);
    expect(st.sessions.get('studio-01')!.find((x) => x.id === 's-1001')!.activity).toBe('step 49'); // the last of the repeats
  });

  it('coalesces repeats: the same report again changes nothing and notifies no one', () => {
    const s = store();
    s.ingest(nodeEvent(link('a')));
    s.ingest(sessionEvent(session('a', 's-1')));
    s.flush();
    const before = s.getSnapshot();
    let calls = 0;
    s.subscribe(() => calls++);
    s.ingest(nodeEvent(link('a')));
    s.ingest(sessionEvent(session('a', 's-1')));
    s.ingest(sessionEvent(session('a', 's-1', { outputSeq: 5000 }))); // only bytes moved on
    s.flush();
    expect(calls).toBe(0);
    expect(s.getSnapshot()).toBe(before);
  });

  it('a tile summary keeps its identity while another node changes', () => {
    const s = store();
    for (const e of fleetEvents(3, 2)) s.ingest(e);
    s.flush();
    const one = s.getSnapshot().nodes.get('studio-01');
    const two = s.getSnapshot().nodes.get('studio-02');
    s.ingest(sessionEvent(session('studio-02', 's-2001', { activity: 'running tests', updatedAt: at(5) })));
    s.flush();
    expect(s.getSnapshot().nodes.get('studio-01')).toBe(one);
    expect(s.getSnapshot().nodes.get('studio-02')).not.toBe(two);
    expect(s.getSnapshot().nodes.get('studio-02')!.doing).toBe('s-2001: running tests');
  });

  it('keeps the newer report when an older one arrives late (a status() racing the watch)', () => {
    const s = store();
    s.ingest(sessionEvent(session('a', 's-1', { state: 'paused', updatedAt: at(2000) })));
    s.flush();
    s.load({
      nodes: [{ ...link('a'), sessions: 1 }],
      sessions: [session('a', 's-1', { state: 'working', updatedAt: at(1000) })],
      decisions: [],
      workers: [],
    });
    s.flush();
    expect(s.getSnapshot().sessions.get('a')![0]!.state).toBe('paused');
  });

  it('an answered decision does not come back from an older report', () => {
    const s = store();
    s.ingest(decisionEvent(decision('a', 'd-1', 's-1')));
    s.flush();
    expect(s.getSnapshot().health.decisions).toBe(1);
    s.ingest(decisionEvent(decision('a', 'd-1', 's-1', { state: 'approved', answeredAt: at(10) })));
    s.flush();
    s.ingest(decisionEvent(decision('a', 'd-1', 's-1'))); // the stale snapshot
    s.flush();
    expect(s.getSnapshot().decisions).toEqual([]);
    expect(s.getSnapshot().nodes.get('a')!.decisions).toBe(0);
  });

  it('is bounded: ended sessions past the cap are dropped oldest first, and their usage still counts', () => {
    const s = store({ maxEndedSessions: 10 });
    s.ingest(nodeEvent(link('a')));
    s.ingest(sessionEvent(session('a', 's-live', { state: 'working' })));
    for (let i = 0; i < 30; i++) {
      s.ingest(
        sessionEvent(
          session('a', `s-${i}`, {
            state: 'exited',
            endedAt: at(1000 + i),
            updatedAt: at(1000 + i),
            usage: {
              inputTokens: 100,
              outputTokens: 0,
              cacheCreationTokens: 0,
              cacheReadTokens: 0,
              costUsd: 0.5,
              unpricedModels: [],
            },
          }),
        ),
      );
      s.flush();
    }
    const list = s.getSnapshot().sessions.get('a')!;
    expect(list).toHaveLength(11);
    expect(list.some((x) => x.id === 's-live')).toBe(true);
    expect(
      list
        .filter((x) => x.state === 'exited')
        .map((x) => x.id)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `s-${20 + i}`).sort());
    const a = s.getSnapshot().nodes.get('a')!;
    expect(a.tokens).toBe(3000);
    expect(a.costUsd).toBeCloseTo(15);
    // a late report of a dropped session does not bring it back
    s.ingest(sessionEvent(session('a', 's-0', { state: 'exited', endedAt: at(1000), updatedAt: at(1000) })));
    s.flush();
    expect(s.getSnapshot().sessions.get('a')).toHaveLength(11);
  });

  it('tokens and cost per hour come from usage deltas over time, not from history a node already had', () => {
    let now = 0;
    const s = store({ now: () => now });
    const usage = (tokens: number, cost: number) => ({
      inputTokens: tokens,
      outputTokens: 0,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      costUsd: cost,
      unpricedModels: [],
    });
    // first sight: a day of history, not a rate
    s.ingest(sessionEvent(session('a', 's-1', { usage: usage(1_000_000, 100), updatedAt: at(0) })));
    s.flush();
    expect(s.getSnapshot().health.tokensPerHour).toBe(0);
    // then 1,000 tokens and $0.10 every 10 s for a minute: 360k tokens and $36 an hour
    for (let i = 1; i <= 6; i++) {
      now = i * 10_000;
      s.ingest(
        sessionEvent(session('a', 's-1', { usage: usage(1_000_000 + i * 1000, 100 + i * 0.1), updatedAt: at(now) })),
      );
      s.flush();
    }
    const h = s.getSnapshot().health;
    expect(h.tokensPerHour).toBeCloseTo(360_000, -3);
    expect(h.costPerHour).toBeCloseTo(36, 1);
    expect(h.tokens).toBe(1_006_000);
    // quiet for longer than the window: the rate falls to zero
    now += 10 * 60_000;
    s.tick();
    now += 1000;
    s.tick();
    expect(s.getSnapshot().health.tokensPerHour).toBe(0);
  });

  it('a node that goes down shows why, and is not counted as up', () => {
    const s = store();
    for (const e of fleetEvents(2, 1)) s.ingest(e);
    s.flush();
    s.ingest(nodeEvent(link('studio-02', 'down', 'connection reset by peer')));
    s.flush();
    const st = s.getSnapshot();
    expect(st.health).toMatchObject({ nodesUp: 1, nodesTotal: 2 });
    expect(st.nodes.get('studio-02')).toMatchObject({ link: 'down', doing: 'down: connection reset by peer' });
  });

  it('takes workers per node and session and counts them by state; ended ones are capped', () => {
    const s = store({ maxEndedWorkers: 5 });
    s.ingest(nodeEvent(link('a')));
    for (let i = 0; i < 20; i++) {
      s.ingest({
        kind: 'worker',
        worker: workerSummary({
          id: `w-${i}`,
          node: 'a',
          session: 's-1',
          state: i < 12 ? 'done' : i < 16 ? 'running' : 'queued',
          updatedAt: at(i),
        }),
      });
    }
    s.flush();
    expect(s.getSnapshot().nodes.get('a')!.workers).toEqual({ queued: 4, running: 4, done: 5, failed: 0, stopped: 0 });
    expect(s.getSnapshot().health.workers.running).toBe(4);
  });

  it('ignores pty-reset events (they are for a pane, not the fleet)', () => {
    const s = store();
    s.ingest({ kind: 'pty-reset', view: { session: 's-1', cols: 80, rows: 24, lines: [], outputSeq: 0 } });
    s.flush();
    expect(s.getSnapshot().version).toBe(0);
  });
});
