/** When `agency wait` ends, for every state a session can be in, with and without an open decision. */
import { describe, expect, it } from 'vitest';
import { verdict, type WaitUntil } from '../../src/cli/wait.js';
import { SESSION_STATES, type SessionState } from '../../src/protocol/messages.js';

// exit codes as DESIGN.md §4 documents them: 0 done, 1 failed, 3 needs input; null: wait on
type Row = [state: SessionState, openDecisions: number, done: number | null, input: number | null];
const TABLE: Row[] = [
  ['starting', 0, null, null],
  ['working', 0, null, null],
  ['needs-input', 0, null, 3],
  ['idle', 0, 0, 0],
  ['paused', 0, null, null],
  ['exited', 0, 0, 0],
  ['failed', 0, 1, 1],
  // an open decision is a need for input, whatever the state says; an ended session's decisions are moot
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
    const at = (until: WaitUntil) => verdict({ state, openDecisions: open }, until);
    expect(at('done')).toBe(done);
    expect(at('input')).toBe(input);
  });
});
