/**
 * Where a task that names no node starts: with an organisation configured, on its VP's node (triage.ts), with
 * the discipline and VP given to the node; otherwise the node is left to the cockpit's rule of old (the least
 * loaded). One rule for `agency run`, the cockpit's views and the intake of tasks from outside the terminal.
 */
import { noNodeReachable, type FleetSnapshot } from './client.js';
import { placeTask, type TaskTriage } from './triage.js';

export interface RunPlace {
  /** the node, when triage chose it */
  node?: string;
  discipline?: string;
  vp?: string;
  /** why the task does not run where its VP is, for the operator */
  note?: string;
}

/** The node, discipline and VP of a run with no node named; no reachable node is a CockpitError saying why. */
export async function placeRun(
  fleet: { status(): Promise<FleetSnapshot> },
  triage: TaskTriage | null,
  task: string,
  discipline: string | undefined,
): Promise<RunPlace> {
  if (!triage) return discipline ? { discipline } : {};
  const snap = await fleet.status();
  const p = placeTask(triage.org, triage.fit(task, discipline), snap.nodes, snap.sessions);
  if (!p.node) throw noNodeReachable(snap);
  return {
    node: p.node,
    ...(p.discipline ? { discipline: p.discipline } : {}),
    ...(p.vp ? { vp: p.vp.id } : {}),
    ...(p.note ? { note: p.note } : {}),
  };
}
