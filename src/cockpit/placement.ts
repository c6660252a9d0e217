/**
 * Where a task goes when the operator names no node: the reachable node with the fewest live sessions, the
 * first by name on a tie. One rule for `agency run` and the cockpit's new-task form, which shows the node
 * it would pick before the task is started.
 */
import { isLive, type SessionSummary } from '../protocol/messages.js';

/** The name of the least loaded of the nodes that are up, or null when none is. */
export function leastLoaded(
  nodes: readonly { name: string; state: string }[],
  sessions: Iterable<Pick<SessionSummary, 'node' | 'state'>>,
): string | null {
  const live = new Map<string, number>();
  for (const s of sessions) if (isLive(s)) live.set(s.node, (live.get(s.node) ?? 0) + 1);
  const up = nodes.filter((n) => n.state === 'up');
  up.sort((a, b) => (live.get(a.name) ?? 0) - (live.get(b.name) ?? 0) || a.name.localeCompare(b.name));
  return up[0]?.name ?? null;
}
