/** The bell rings once for a batch in which a decision opened, only when it is on, and not for ones already open. */
import { describe, expect, it } from 'vitest';
import { FleetStore } from '../../src/cockpit/store.js';
import { ringOnNewDecision } from '../../src/tui/bell.js';
import { decision, decisionEvent } from '../cockpit/fixtures.js';

describe('bell', () => {
  it('rings for new decisions only, when enabled', () => {
    const store = new FleetStore({ tickMs: 0 });
    store.ingest(decisionEvent(decision('a', 'd-0', 's-1')));
    store.flush();
    let on = true;
    let rings = 0;
    const stop = ringOnNewDecision(
      store,
      () => on,
      () => rings++,
    );
    store.ingest(decisionEvent(decision('a', 'd-1', 's-1')));
    store.ingest(decisionEvent(decision('b', 'd-1', 's-2')));
    store.flush();
    expect(rings).toBe(1);
    store.ingest(decisionEvent(decision('a', 'd-1', 's-1', { state: 'approved' })));
    store.flush();
    expect(rings).toBe(1);
    on = false;
    store.ingest(decisionEvent(decision('a', 'd-2', 's-1')));
    store.flush();
    expect(rings).toBe(1);
    stop();
    store.dispose();
  });
});
