/**
 * What the cockpit tells an operator who cannot do anything yet: no node reachable (and why, and what to
 * run), or a fleet with no sessions at all (how to start the first). Plain text from the store's state; the
 * views print it through `clean`, since a node's error is the node's text.
 */
import type { FleetState } from '../cockpit/types.js';

/** Why no node takes a task, or null when one does (or while the cockpit is still connecting). */
export function noNodeReachable(fleet: FleetState): string | null {
  const links = fleet.order.map((n) => fleet.links.get(n)).filter((l) => l !== undefined);
  // nothing known yet, or still connecting: nothing to say
  if (links.length === 0 || links.some((l) => l.state === 'up' || l.state === 'connecting')) return null;
  const why = links.map((l) => `${l.name} ${l.state}${l.error ? ` (${l.error})` : ''}`).join('; ');
  return `no node is reachable: ${why}. Run agency doctor to see what is wrong`;
}

/** Whether the fleet has no session at all (on any node, in any state). */
export function noSessions(fleet: FleetState): boolean {
  for (const list of fleet.sessions.values()) if (list.length > 0) return false;
  return true;
}

/** What an empty fleet should do first, or null when it has sessions or is still connecting. */
export function firstSteps(fleet: FleetState): string | null {
  const down = noNodeReachable(fleet);
  if (down) return down;
  if (!noSessions(fleet)) return null;
  if (!fleet.order.some((n) => fleet.links.get(n)?.state === 'up')) return null;
  return 'no sessions yet: press n to start a task (you choose its repository, discipline and node), or run agency run "<task>" in a repository';
}
