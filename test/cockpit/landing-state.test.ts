/**
 * What the store keeps of landing: sessions ready to land counted per node and for the fleet, a report that
 * says the same as the last one is no news, a removed session dropped (its cost kept), and the one rule for
 * the node a task goes to when none is named.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { leastLoaded } from '../../src/cockpit/placement.js';
import { FleetStore } from '../../src/cockpit/store.js';
import { at, landing, link, nodeEvent, session, sessionEvent } from './fixtures.js';

const stores: FleetStore[] = [];
function store(): FleetStore {
  const s = new FleetStore({ tickMs: 0 });
  stores.push(s);
  return s;
}
afterEach(() => {
  while (stores.length) stores.pop()!.dispose();
});

const cost = (costUsd: number) => ({
  inputTokens: 10,
  outputTokens: 20,
  cacheCreationTokens: 0,
  cacheReadTokens: 0,
  costUsd,
  unpricedModels: [],
});

describe('landing in the fleet store', () => {
  it('counts the sessions ready to land: ended, ahead of their base, not merged', () => {
    const s = store();
    for (const e of [
      nodeEvent(link('a')),
      nodeEvent(link('b')),
      sessionEvent(session('a', 's-1', { state: 'exited', landing: landing() })),
      sessionEvent(session('a', 's-2', { state: 'failed', landing: landing({ ahead: 3 }) })),
      sessionEvent(session('a', 's-3', { state: 'exited', landing: landing({ merged: true }) })),
      sessionEvent(session('a', 's-4', { state: 'exited', landing: landing({ ahead: 0 }) })),
      sessionEvent(session('a', 's-5', { state: 'idle', landing: landing() })),
      sessionEvent(session('b', 's-6', { state: 'exited', landing: null })),
      sessionEvent(session('b', 's-7', { state: 'exited', landing: landing() })),
    ])
      s.ingest(e);
    s.flush();
    const st = s.getSnapshot();
    expect(st.nodes.get('a')!.readyToLand).toBe(2);
    expect(st.nodes.get('b')!.readyToLand).toBe(1);
    expect(st.health.readyToLand).toBe(3);
  });

  it('a report that says the same as the last one (its landing a new but equal object) is no news; a change is', () => {
    const s = store();
    s.ingest(nodeEvent(link('a')));
    s.ingest(sessionEvent(session('a', 's-1', { state: 'exited', landing: landing() })));
    s.flush();
    const before = s.getSnapshot();
    s.ingest(sessionEvent(session('a', 's-1', { state: 'exited', landing: landing() })));
    s.flush();
    expect(s.getSnapshot()).toBe(before);
    s.ingest(
      sessionEvent(session('a', 's-1', { state: 'exited', landing: landing({ merged: true }), updatedAt: at(9) })),
    );
    s.flush();
    expect(s.getSnapshot().version).toBe(before.version + 1);
    expect(s.getSnapshot().health.readyToLand).toBe(0);
  });

  it('drops a session its node removed, keeping what it cost; a later report of it brings it back', () => {
    const s = store();
    s.ingest(nodeEvent(link('a')));
    s.ingest(sessionEvent(session('a', 's-1', { state: 'exited', usage: cost(1.5), landing: landing() })));
    s.ingest(sessionEvent(session('a', 's-2', { usage: cost(0.5) })));
    s.flush();
    expect(s.getSnapshot().health.costUsd).toBeCloseTo(2);
    s.ingest({ kind: 'removed', node: 'a', session: 's-1' });
    s.flush();
    const st = s.getSnapshot();
    expect(st.sessions.get('a')!.map((x) => x.id)).toEqual(['s-2']);
    expect(st.health.readyToLand).toBe(0);
    expect(st.health.costUsd).toBeCloseTo(2);
    expect(st.nodes.get('a')!.tokens).toBe(60);
    // the removal of one it does not hold changes nothing
    s.ingest({ kind: 'removed', node: 'a', session: 's-9' });
    s.flush();
    expect(s.getSnapshot()).toBe(st);
    // the node still reports it (it kept it): the node is right
    s.ingest(sessionEvent(session('a', 's-1', { state: 'exited', updatedAt: at(9) })));
    s.flush();
    expect(
      s
        .getSnapshot()
        .sessions.get('a')!
        .map((x) => x.id),
    ).toEqual(['s-1', 's-2']);
  });
});

describe('least loaded', () => {
  it('is the node up with the fewest live sessions, the first by name on a tie; null when none is up', () => {
    const nodes = [
      { name: 'c', state: 'up' },
      { name: 'a', state: 'up' },
      { name: 'b', state: 'up' },
      { name: 'd', state: 'down' },
    ];
    const sessions = [
      session('a', 's-1'),
      session('a', 's-2', { state: 'idle' }),
      session('b', 's-3', { state: 'exited' }),
      session('b', 's-4', { state: 'failed' }),
      session('c', 's-5', { state: 'paused' }),
    ];
    expect(leastLoaded(nodes, sessions)).toBe('b');
    expect(leastLoaded(nodes, [...sessions, session('b', 's-6')])).toBe('b'); // b and c tie at one
    expect(leastLoaded(nodes, [...sessions, session('b', 's-6'), session('b', 's-7')])).toBe('c');
    expect(leastLoaded([{ name: 'd', state: 'down' }], [])).toBeNull();
  });
});
