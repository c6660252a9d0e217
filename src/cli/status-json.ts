/**
 * What `status --json` prints (and `watch --json` starts with): the fleet's snapshot, each node and each
 * session with its workers counted (by state, by model, and what they spent), and the fleet's workers
 * counted at the top. The workers themselves are listed by `agency workers <session>`.
 */
import type { FleetSnapshot } from '../cockpit/client.js';
import { countWorkers } from '../cockpit/workers.js';
import type { WorkerSummary } from '../protocol/messages.js';

export function statusDocument(snap: FleetSnapshot): object {
  const byNode = new Map<string, WorkerSummary[]>();
  const bySession = new Map<string, WorkerSummary[]>();
  const into = (m: Map<string, WorkerSummary[]>, k: string, w: WorkerSummary) => {
    const list = m.get(k);
    if (list) list.push(w);
    else m.set(k, [w]);
  };
  for (const w of snap.workers) {
    into(byNode, w.node, w);
    into(bySession, `${w.node}/${w.session}`, w);
  }
  return {
    nodes: snap.nodes.map((n) => ({ ...n, workers: countWorkers(byNode.get(n.name) ?? []) })),
    sessions: snap.sessions.map((s) => ({
      ...s,
      // a session's budget and why it is held are there for every session, null when none
      budget: s.budget ?? null,
      held: s.held ?? null,
      workers: countWorkers(bySession.get(`${s.node}/${s.id}`) ?? []),
    })),
    decisions: snap.decisions,
    workers: countWorkers(snap.workers),
  };
}
