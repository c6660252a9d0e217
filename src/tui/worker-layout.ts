/** How much of a view a session's workers table takes: more while the operator is in it, little while not. */

/** Lines the table takes besides its rows: its title and its column heads. */
export const WORKER_TABLE_CHROME = 2;

/**
 * The lines of `room` the table takes (its title and column heads included), for `count` workers: in focus,
 * most of the room (at least 4 lines); out of focus, what its workers need, up to two fifths of the room.
 * 0 when there is not room enough for one row besides what the view keeps for itself.
 */
export function workersHeight(room: number, count: number, focused: boolean): number {
  const want = focused
    ? Math.max(4, Math.floor(room * 0.6))
    : Math.min(count + WORKER_TABLE_CHROME, Math.max(3, Math.floor(room * 0.4)));
  // the view keeps a line for itself and the table's margin; with less than that the table is left out
  return Math.max(0, Math.min(want, room - 2));
}
