/**
 * Workers in the fleet store: from a node's snapshot and its events, counted by state and model per node
 * and for the fleet, listed per session in the order the views show them, with their tokens and cost
 * counted exactly once: through repeats, late reports, the cap on ended workers and a session's removal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FleetStore } from '../../src/cockpit/store.js';
import type { WorkerSummary } from '../../src/protocol/messages.js';
import { workerSummary } from '../helpers/workers.js';
import { at, link, nodeEvent, session, sessionEvent } from './fixtures.js';

const stores: FleetStore[] = [];
function store(opts: ConstructorParameters<typeof FleetStore>[0] = {}): FleetStore {
  const s = new FleetStore({ tickMs: 0, ...opts });
  stores.push(s);
  return s;
}
afterEach(() => {
  while (stores.length) stores.pop()!.dispose();
});

const usage = (tokens: number, costUsd: number) => ({
  inputTokens: tokens,
  outputTokens: 0,
  cacheCreationTokens: 0,
  cacheReadTokens: 0,
  costUsd,
  unpricedModels: [],
});

type W = Parameters<typeof workerSummary>[0];
const worker = (w: W): WorkerSummary => workerSummary(w);
const ev = (w: W) => ({ kind: 'worker' as const, worker: worker(w) });

describe('workers in the fleet store', () => {
  it("takes a node's snapshot workers and their events; counts them by state and by model, per node and for the fleet", () => {
    const s = store();
    s.load({
      nodes: [
        { ...link('a'), sessions: 1 },
        { ...link('b'), sessions: 1 },
      ],
      sessions: [session('a', 's-1'), session('b', 's-2')],
      decisions: [],
      workers: [
        worker({ id: 'w-1', node: 'a', session: 's-1', state: 'running', model: 'haiku' }),
        worker({ id: 'w-2', node: 'a', session: 's-1', state: 'queued', model: 'sonnet' }),
        worker({ id: 'w-3', node: 'b', session: 's-2', state: 'running', model: 'opus' }),
      ],
    });
    s.flush();
    let st = s.getSnapshot();
    expect(st.nodes.get('a')!.workers).toEqual({ queued: 1, running: 1, done: 0, failed: 0, stopped: 0 });
    expect(st.nodes.get('a')!.workerModels.sonnet).toEqual({ queued: 1, running: 0, done: 0, failed: 0, stopped: 0 });
    expect(st.health.workers).toEqual({ queued: 1, running: 2, done: 0, failed: 0, stopped: 0 });
    expect(st.health.workerModels.opus.running).toBe(1);
    // w-2 starts, w-1 ends: the event moves each from one count to another
    s.ingest(ev({ id: 'w-1', node: 'a', session: 's-1', state: 'done', model: 'haiku', updatedAt: at(2) }));
    s.ingest(ev({ id: 'w-2', node: 'a', session: 's-1', state: 'running', model: 'sonnet', updatedAt: at(2) }));
    s.flush();
    st = s.getSnapshot();
    expect(st.nodes.get('a')!.workers).toEqual({ queued: 0, running: 1, done: 1, failed: 0, stopped: 0 });
    expect(st.health.workerModels).toEqual({
      haiku: { queued: 0, running: 0, done: 1, failed: 0, stopped: 0 },
      sonnet: { queued: 0, running: 1, done: 0, failed: 0, stopped: 0 },
      opus: { queued: 0, running: 1, done: 0, failed: 0, stopped: 0 },
    });
    expect(st.sessionWorkers.get('a')!.get('s-1')!.counts.states).toMatchObject({ running: 1, done: 1 });
  });

  it("lists a session's workers running first (longest running on top), then queued (next to start first), then ended newest first", () => {
    const s = store();
    const all = [
      ev({ id: 'w-ended-old', node: 'a', session: 's-1', state: 'done', endedAt: at(100), updatedAt: at(100) }),
      ev({ id: 'w-queued-2', node: 'a', session: 's-1', state: 'queued', createdAt: at(20) }),
      ev({ id: 'w-run-late', node: 'a', session: 's-1', state: 'running', startedAt: at(50) }),
      ev({ id: 'w-failed-new', node: 'a', session: 's-1', state: 'failed', endedAt: at(300), updatedAt: at(300) }),
      ev({ id: 'w-queued-1', node: 'a', session: 's-1', state: 'queued', createdAt: at(10) }),
      ev({ id: 'w-run-early', node: 'a', session: 's-1', state: 'running', startedAt: at(5) }),
      ev({ id: 'w-stopped', node: 'a', session: 's-1', state: 'stopped', endedAt: at(200), updatedAt: at(200) }),
      ev({ id: 'w-other', node: 'a', session: 's-2', state: 'running' }),
    ];
    for (const e of all) s.ingest(e);
    s.flush();
    expect(
      s
        .getSnapshot()
        .sessionWorkers.get('a')!
        .get('s-1')!
        .list.map((w) => w.id),
    ).toEqual(['w-run-early', 'w-run-late', 'w-queued-1', 'w-queued-2', 'w-failed-new', 'w-stopped', 'w-ended-old']);
    expect(s.getSnapshot().workers.get('a')).toHaveLength(8);
  });

  it("counts workers' tokens and cost in their session's and their node's, once, through repeats and late reports", () => {
    const s = store();
    s.ingest(nodeEvent(link('a')));
    s.ingest(sessionEvent(session('a', 's-1', { usage: usage(1000, 1) })));
    s.ingest(ev({ id: 'w-1', node: 'a', session: 's-1', state: 'running', usage: usage(200, 0.2), updatedAt: at(1) }));
    s.ingest(ev({ id: 'w-2', node: 'a', session: 's-1', state: 'running', usage: usage(300, 0.3), updatedAt: at(1) }));
    s.flush();
    const totals = () => {
      const st = s.getSnapshot();
      const c = st.sessionWorkers.get('a')!.get('s-1')!.counts;
      return { node: st.nodes.get('a')!.tokens, fleet: st.health.tokens, session: c.tokens, cost: c.costUsd };
    };
    expect(totals()).toEqual({ node: 1500, fleet: 1500, session: 500, cost: expect.closeTo(0.5, 6) });
    // the same report again, and an older one arriving late: nothing changes
    s.ingest(ev({ id: 'w-1', node: 'a', session: 's-1', state: 'running', usage: usage(200, 0.2), updatedAt: at(1) }));
    s.ingest(ev({ id: 'w-2', node: 'a', session: 's-1', state: 'queued', usage: usage(0, 0), updatedAt: at(0) }));
    s.flush();
    expect(totals()).toEqual({ node: 1500, fleet: 1500, session: 500, cost: expect.closeTo(0.5, 6) });
    expect(s.getSnapshot().nodes.get('a')!.workers.running).toBe(2);
    // a worker's usage grows: its growth is counted, not its whole usage again
    s.ingest(ev({ id: 'w-1', node: 'a', session: 's-1', state: 'done', usage: usage(250, 0.25), updatedAt: at(2) }));
    s.flush();
    expect(totals()).toEqual({ node: 1550, fleet: 1550, session: 550, cost: expect.closeTo(0.55, 6) });
    expect(s.getSnapshot().nodes.get('a')!.costUsd).toBeCloseTo(1.55, 6);
  });

  it('drops ended workers past the cap, oldest first, still counting what they spent; a late report does not bring one back', () => {
    const s = store({ maxEndedWorkers: 3 });
    s.ingest(nodeEvent(link('a')));
    s.ingest(ev({ id: 'w-live', node: 'a', session: 's-1', state: 'running', usage: usage(5, 0) }));
    for (let i = 0; i < 10; i++)
      s.ingest(
        ev({
          id: `w-${i}`,
          node: 'a',
          session: 's-1',
          state: i % 2 ? 'stopped' : 'done',
          endedAt: at(1000 + i),
          updatedAt: at(1000 + i),
          usage: usage(100, 0.1),
        }),
      );
    s.flush();
    const st = s.getSnapshot();
    const list = st.sessionWorkers
      .get('a')!
      .get('s-1')!
      .list.map((w) => w.id);
    expect(list).toEqual(['w-live', 'w-9', 'w-8', 'w-7']);
    expect(st.nodes.get('a')!.workers).toEqual({ queued: 0, running: 1, done: 1, failed: 0, stopped: 2 });
    expect(st.nodes.get('a')!.tokens).toBe(1005);
    expect(st.sessionWorkers.get('a')!.get('s-1')!.counts.tokens).toBe(1005);
    // a late report of a dropped worker, live or ended, is not taken (its usage is counted already)
    s.ingest(ev({ id: 'w-0', node: 'a', session: 's-1', state: 'running', updatedAt: at(1), usage: usage(50, 0) }));
    s.ingest(ev({ id: 'w-1', node: 'a', session: 's-1', state: 'done', endedAt: at(1001), updatedAt: at(5000) }));
    s.flush();
    expect(s.getSnapshot().workers.get('a')).toHaveLength(4);
    expect(s.getSnapshot().nodes.get('a')!.tokens).toBe(1005);
  });

  it("a removed session's workers go with it; what they spent stays in its node's total", () => {
    const s = store();
    s.ingest(nodeEvent(link('a')));
    s.ingest(sessionEvent(session('a', 's-1', { state: 'exited', endedAt: at(5), usage: usage(1000, 1) })));
    s.ingest(sessionEvent(session('a', 's-2', { usage: usage(10, 0.01) })));
    s.ingest(ev({ id: 'w-1', node: 'a', session: 's-1', state: 'done', usage: usage(100, 0.1) }));
    s.ingest(ev({ id: 'w-2', node: 'a', session: 's-1', state: 'failed', usage: usage(100, 0.1) }));
    s.ingest(ev({ id: 'w-3', node: 'a', session: 's-2', state: 'running', usage: usage(1, 0) }));
    s.flush();
    expect(s.getSnapshot().nodes.get('a')!.tokens).toBe(1211);
    s.ingest({ kind: 'removed', node: 'a', session: 's-1' });
    s.flush();
    const st = s.getSnapshot();
    expect(st.sessionWorkers.get('a')!.has('s-1')).toBe(false);
    expect(st.workers.get('a')!.map((w) => w.id)).toEqual(['w-3']);
    expect(st.nodes.get('a')!.workers).toEqual({ queued: 0, running: 1, done: 0, failed: 0, stopped: 0 });
    expect(st.nodes.get('a')!.tokens).toBe(1211);
    expect(st.nodes.get('a')!.costUsd).toBeCloseTo(1.21, 6);
    // its workers' reports after the removal do not bring them back
    s.ingest(ev({ id: 'w-1', node: 'a', session: 's-1', state: 'done', usage: usage(100, 0.1), updatedAt: at(9) }));
    s.flush();
    expect(s.getSnapshot().nodes.get('a')!.tokens).toBe(1211);
  });

  it("workers' usage growth counts in the fleet's tokens per hour", () => {
    let now = 0;
    const s = store({ now: () => now });
    s.ingest(ev({ id: 'w-1', node: 'a', session: 's-1', state: 'running', usage: usage(50_000, 5), updatedAt: at(0) }));
    s.flush();
    expect(s.getSnapshot().health.tokensPerHour).toBe(0); // first sight is history, not a rate
    for (let i = 1; i <= 6; i++) {
      now = i * 10_000;
      s.ingest(
        ev({
          id: 'w-1',
          node: 'a',
          session: 's-1',
          state: 'running',
          usage: usage(50_000 + i * 100, 5),
          updatedAt: at(now),
        }),
      );
      s.flush();
    }
    expect(s.getSnapshot().health.tokensPerHour).toBeCloseTo(36_000, -2);
  });

  it("one session's workers changing leaves another's list and every other node's summary as they were", () => {
    const s = store();
    s.ingest(nodeEvent(link('a')));
    s.ingest(nodeEvent(link('b')));
    s.ingest(ev({ id: 'w-1', node: 'a', session: 's-1', state: 'running' }));
    s.ingest(ev({ id: 'w-2', node: 'a', session: 's-2', state: 'running' }));
    s.ingest(ev({ id: 'w-3', node: 'b', session: 's-3', state: 'running' }));
    s.flush();
    const before = s.getSnapshot();
    s.ingest(ev({ id: 'w-1', node: 'a', session: 's-1', state: 'done', updatedAt: at(5) }));
    s.flush();
    const after = s.getSnapshot();
    expect(after.sessionWorkers.get('a')!.get('s-1')).not.toBe(before.sessionWorkers.get('a')!.get('s-1'));
    expect(after.sessionWorkers.get('a')!.get('s-2')).toBe(before.sessionWorkers.get('a')!.get('s-2'));
    expect(after.nodes.get('b')).toBe(before.nodes.get('b'));
    expect(after.nodes.get('a')).not.toBe(before.nodes.get('a'));
  });
});
