/** The terminal bell on a new decision: rings once per batch in which a decision opened that was not open before. */
import type { FleetSource } from './controller.js';

export function ringOnNewDecision(fleet: FleetSource, enabled: () => boolean, ring: () => void): () => void {
  const key = (d: { node: string; id: string }) => `${d.node}/${d.id}`;
  let last = fleet.getSnapshot().decisions;
  let known = new Set(last.map(key));
  return fleet.subscribe(() => {
    const now = fleet.getSnapshot().decisions;
    if (now === last) return;
    last = now;
    const fresh = now.some((d) => !known.has(key(d)));
    known = new Set(now.map(key));
    if (fresh && enabled()) ring();
  });
}
