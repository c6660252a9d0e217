/** What a watcher was told: news passes, repeats and older reports do not, and a removed session is forgotten. */
import { describe, expect, it } from 'vitest';
import { Told } from '../../src/cockpit/client.js';
import { at, decision, decisionEvent, link, nodeEvent, session, sessionEvent } from './fixtures.js';

describe('what a watcher was told', () => {
  it('passes news once, and forgets a removed session with its decisions, keeping the rest', () => {
    const told = new Told();
    const s1 = session('a', 's-1', { updatedAt: at(1) });
    expect(told.news(sessionEvent(s1))).toBe(true);
    expect(told.news(sessionEvent(s1))).toBe(false);
    expect(told.news(sessionEvent({ ...s1, state: 'idle', updatedAt: at(0) }))).toBe(false);
    expect(told.news(decisionEvent(decision('a', 'd-1', 's-1')))).toBe(true);
    expect(told.news(sessionEvent(session('a', 's-2')))).toBe(true);
    expect(told.news(sessionEvent(session('b', 's-1')))).toBe(true);
    expect(told.news(nodeEvent(link('a')))).toBe(true);
    expect(told.size).toBe(5);

    expect(told.news({ kind: 'removed', node: 'a', session: 's-1' })).toBe(true);
    // s-1 of node a and its decision are forgotten; s-1 of node b, s-2 and the node stay
    expect(told.size).toBe(3);
    expect(told.news(sessionEvent(session('b', 's-1')))).toBe(false);
    expect(told.news(sessionEvent(s1))).toBe(true);
  });
});
