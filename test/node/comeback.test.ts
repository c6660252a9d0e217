/**
 * After a restart, a new turn only for sessions that were at work; idle and paused ones come back with none;
 * queued ones, whose claude never ran, wait their turn again.
 */
import { describe, expect, it } from 'vitest';
import { comebackFor, RESUME_PROMPT } from '../../src/node/comeback.js';
import { SESSION_STATES, type SessionState } from '../../src/protocol/messages.js';

const TABLE: [SessionState, 'turn' | 'quiet' | 'quiet, paused' | 'queued again' | 'stays ended'][] = [
  ['queued', 'queued again'],
  ['starting', 'turn'],
  ['working', 'turn'],
  ['needs-input', 'turn'],
  ['idle', 'quiet'],
  ['paused', 'quiet, paused'],
  ['exited', 'stays ended'],
  ['failed', 'stays ended'],
];

describe('comebackFor', () => {
  it('the table has every state', () => {
    expect(TABLE.map(([s]) => s).sort()).toEqual([...SESSION_STATES].sort());
  });

  it.each(TABLE)('%s → %s', (state, how) => {
    const back = comebackFor(state);
    if (how === 'stays ended') return expect(back).toBeNull();
    if (how === 'queued again') return expect(back).toBe('queue-again');
    if (how === 'turn') return expect(back).toEqual({ prompt: RESUME_PROMPT, pause: false });
    expect(back).toEqual({ prompt: null, pause: how === 'quiet, paused' });
  });
});
