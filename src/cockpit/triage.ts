/**
 * Where a task goes when the operator names no node and an organisation is configured: to the VP whose
 * disciplines fit the task best, on the least loaded of that VP's reachable nodes. A VP's nodes are those
 * that report carrying it (NodeInfo.org), else those org.yaml gives it. When none of them is reachable, or
 * the task fits no discipline of the organisation, the task goes to the least loaded reachable node that
 * carries the organisation, else to the least loaded reachable node, with a note saying why (and that a
 * node without the organisation may not know the discipline). One rule for `agency run` and the cockpit's new-task form. The classifier that says
 * which discipline fits is given to the cockpit (it lives in compiler/), as a TaskTriage.
 */
import type { NodeInfo, SessionSummary } from '../protocol/messages.js';
import { leastLoaded } from './placement.js';

/** A VP as triage sees it: its disciplines, and the nodes org.yaml gives it. */
export interface TriageVp {
  id: string;
  name: string;
  disciplines: readonly string[];
  nodes: readonly string[];
}

export interface TriageOrg {
  id: string;
  name: string;
  vps: readonly TriageVp[];
}

/** What fits a task: a discipline of the organisation and its VP (null: the discipline has no VP). */
export interface TaskFit {
  discipline: string;
  vp: TriageVp | null;
  /** the task's words that matched the discipline (none when the operator chose the discipline) */
  matched: readonly string[];
}

/** The organisation and its classifier: which discipline of its VPs' fits a task (or the one chosen). */
export interface TaskTriage {
  org: TriageOrg;
  /** the discipline chosen, with its VP; else the best fit of the VPs' disciplines, or null when none fits */
  fit(task: string, discipline?: string): TaskFit | null;
}

/** A node as triage sees it: its name, whether it is up, and what it reports (its VPs among that). */
export interface TriageNode {
  name: string;
  state: string;
  info?: Pick<NodeInfo, 'org'> | null;
}

export interface Placement {
  /** the node to run on, or null when no node is reachable */
  node: string | null;
  /** the VP the task was triaged to (also when it runs elsewhere because none of its nodes is reachable) */
  vp: { id: string; name: string } | null;
  /** the discipline to give the node; absent: the node chooses (the task fits no discipline of the org) */
  discipline?: string;
  /** why the task does not run on its VP's node, for the operator; null when it does */
  note: string | null;
}

/** The nodes a VP runs on: those that report carrying it, else those org.yaml gives it. */
export function vpNodes(org: Pick<TriageOrg, 'id'>, vp: TriageVp, nodes: readonly TriageNode[]): string[] {
  const carrying = nodes
    .filter((n) => n.info?.org?.id === org.id && n.info.org.vps.some((v) => v.id === vp.id))
    .map((n) => n.name);
  return carrying.length > 0 ? carrying : [...vp.nodes];
}

/** Where a task that `fit` says fits (or fits nothing, when null) goes, among `nodes`. */
export function placeTask(
  org: TriageOrg,
  fit: TaskFit | null,
  nodes: readonly TriageNode[],
  sessions: Iterable<Pick<SessionSummary, 'node' | 'state'>>,
): Placement {
  const all = [...sessions];
  // where a task goes when not to its VP's node: a node that carries the organisation knows its disciplines
  const carrying = nodes.filter((n) => n.info?.org?.id === org.id);
  const anywhere = leastLoaded(carrying, all) ?? leastLoaded(nodes, all);
  const unknowing = (discipline: string) =>
    anywhere && !carrying.some((n) => n.name === anywhere)
      ? ` (${anywhere} does not carry the organisation ${org.id}: it may not know discipline ${discipline})`
      : '';
  if (!fit) {
    return {
      node: anywhere,
      vp: null,
      note: `the task fits no discipline of the organisation ${org.name} (${org.id}): ${anywhere ? `running on ${anywhere}, the least loaded node` : 'no node is reachable'}`,
    };
  }
  if (!fit.vp) {
    return {
      node: anywhere,
      vp: null,
      discipline: fit.discipline,
      note: `discipline ${fit.discipline} belongs to no VP of the organisation ${org.name} (${org.id}): ${anywhere ? `running on ${anywhere}, the least loaded node${unknowing(fit.discipline)}` : 'no node is reachable'}`,
    };
  }
  const vp = { id: fit.vp.id, name: fit.vp.name };
  const own = vpNodes(org, fit.vp, nodes);
  const ownNodes = nodes.filter((n) => own.includes(n.name));
  const node = leastLoaded(ownNodes, all);
  if (node) return { node, vp, discipline: fit.discipline, note: null };
  return {
    node: anywhere,
    vp,
    discipline: fit.discipline,
    note: `VP ${fit.vp.name} (${fit.vp.id}): ${whyNot(own, nodes)}; ${anywhere ? `running on ${anywhere}, the least loaded reachable node${carrying.length ? ' of the organisation' : ''}${unknowing(fit.discipline)}` : 'and no other node is reachable either'}`,
  };
}

/** Why none of a VP's nodes can take a task: it has none, or each is down or not configured. */
function whyNot(own: readonly string[], nodes: readonly TriageNode[]): string {
  if (own.length === 0) return 'no node carries it (org.yaml gives it none, and no node reports it)';
  const states = own.map((name) => {
    const n = nodes.find((x) => x.name === name);
    return `${name} ${n ? n.state : 'is not a configured node'}`;
  });
  return `none of its nodes is reachable (${states.join(', ')})`;
}
