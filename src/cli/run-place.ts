/**
 * Where `agency run` starts a task that names no node: with an organisation configured, on its VP's node
 * (cockpit/triage.ts), with the discipline and VP given to the node; otherwise the node is left to the
 * cockpit's rule of old (the least loaded).
 */
import type { Cockpit } from '../cockpit/client.js';
import { noNodeReachable } from '../cockpit/client.js';
import { placeTask } from '../cockpit/triage.js';
import type { OrgTriage } from './org-triage.js';
import { warn } from './output.js';

export interface RunPlace {
  /** the node, when triage chose it */
  node?: string;
  discipline?: string;
  vp?: string;
}

/** The node, discipline and VP of a run with no --node; notes on stderr say why a task runs where its VP is not. */
export async function placeRun(
  c: Cockpit,
  triage: OrgTriage | null,
  task: string,
  discipline: string | undefined,
): Promise<RunPlace> {
  if (!triage) return discipline ? { discipline } : {};
  const snap = await c.status();
  const p = placeTask(triage.org, triage.fit(task, discipline), snap.nodes, snap.sessions);
  if (!p.node) throw noNodeReachable(snap);
  if (p.note) warn(`agency: ${p.note}`);
  return { node: p.node, ...(p.discipline ? { discipline: p.discipline } : {}), ...(p.vp ? { vp: p.vp.id } : {}) };
}
