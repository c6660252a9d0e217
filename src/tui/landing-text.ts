/** How a session's branch stands, written short for a row and long for the session's own line. */
import { readyToLand, type SessionSummary } from '../cockpit/types.js';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * For a session row, in `room` columns: `ready ↑2 ↓1 3f` (or `✔ ↑2 ↓1 3f` where that does not fit) for a
 * session ready to land, `↑1 ↓4 2f`, `merged`; `*` marks changes not committed; '' before its node has
 * measured it.
 */
export function landingCell(s: Pick<SessionSummary, 'state' | 'landing'>, room = Infinity): string {
  const l = s.landing;
  if (!l) return '';
  const dirty = l.dirty ? '*' : '';
  if (l.merged) return `merged${dirty}`;
  const parts = [`↑${l.ahead}`, l.behind ? `↓${l.behind}` : '', `${l.filesChanged}f`].filter(Boolean).join(' ');
  if (!readyToLand(s)) return `${parts}${dirty}`;
  const long = `ready ${parts}${dirty}`;
  return long.length <= room ? long : `✔ ${parts}${dirty}`;
}

/** For the session's line: `ready to land: 2 commits ahead, 3 files changed (D diff, M merge)`. */
export function landingText(s: Pick<SessionSummary, 'state' | 'landing' | 'base'>): string {
  const l = s.landing;
  if (!l) return '';
  const into = s.base?.branch ? ` of ${s.base.branch}` : '';
  const dirty = l.dirty ? ', changes not committed' : '';
  if (l.merged) return `merged into ${s.base?.branch ?? 'its base'}${dirty}`;
  const stand = `${plural(l.ahead, 'commit')} ahead${l.behind ? `, ${l.behind} behind` : ''}${into}, ${plural(l.filesChanged, 'file')} changed${dirty}`;
  return readyToLand(s) ? `ready to land: ${stand} (D diff, M merge)` : stand;
}
