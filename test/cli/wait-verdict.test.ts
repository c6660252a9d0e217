/** When `agency wait` ends, for every state a session can be in, with and without an open decision. */
import { describe, expect, it } from 'vitest';
import { verdict, type WaitUntil } from '../../src/cli/wait.js';
import { SESSION_STATES, type SessionState } from '../../src/protocol/messages.js';

// exit codes as DESIGN.md §4 documents them: 0 done, 1 failed, 3 needs input; null: wait on
type Row = [state: SessionState, openDecisions: number, done: number | null, input: number | null];
const REASON = 'the API rate-limited this session: once the limit resets, agency send s-1 continue';
const TABLE: Row[] = [
  // a queued session waits its turn to start: wait waits on
  ['queued', 0, null, null],
  ['starting', 0, null, null],
  ['working', 0, null, null],
  ['needs-input', 0, null, 3],
  ['idle', 0, 0, 0],
  ['paused', 0, null, null],
  ['exited', 0, 0, 0],
  ['failed', 0, 1, 1],
  // an open decision is a need for input, whatever the state says; an ended session's decisions are moot
  ['queued', 1, null, 3],
  ['starting', 1, null, 3],
  ['working', 1, null, 3],
  ['needs-input', 1, null, 3],
  ['idle', 1, null, 3],
  ['paused', 1, null, 3],
  ['exited', 1, 0, 0],
  ['failed', 1, 1, 1],
];

describe('wait verdict', () => {
  it('the table has every state, with and without an open decision', () => {
    const rows = TABLE.map(([state, open]) => `${state}/${open}`).sort();
    expect(rows).toEqual(SESSION_STATES.flatMap((s) => [`${s}/0`, `${s}/1`]).sort());
  });

  it.each(TABLE)('%s with %i open decisions: --until done → %s, --until input → %s', (state, open, done, input) => {
    const at = (until: WaitUntil) => verdict({ state, openDecisions: open, reason: null }, until);
    expect(at('done')).toBe(done);
    expect(at('input')).toBe(input);
  });

  // the API left it waiting: nothing answers it elsewhere, so even --until done ends, with 3
  it('needs-input with a reason and no decision (rate-limited, overloaded): 3 either way', () => {
    for (const until of ['done', 'input'] as const)
      expect(verdict({ state: 'needs-input', openDecisions: 0, reason: REASON }, until)).toBe(3);
  });

  it('needs-input with a reason while a decision is open: --until done waits on for the decision', () => {
    expect(verdict({ state: 'needs-input', openDecisions: 1, reason: REASON }, 'done')).toBeNull();
    expect(verdict({ state: 'needs-input', openDecisions: 1, reason: REASON }, 'input')).toBe(3);
  });

  it('a reason on any other state changes nothing', () => {
    for (const [state, open, done, input] of TABLE) {
      if (state === 'needs-input') continue;
      expect(verdict({ state, openDecisions: open, reason: REASON }, 'done')).toBe(done);
      expect(verdict({ state, openDecisions: open, reason: REASON }, 'input')).toBe(input);
    }
  });
});
