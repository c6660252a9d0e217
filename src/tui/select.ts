/** What the views show of the store under the operator's filter: the same lists for the views and the keys. */
import type { Decision, FleetState, SessionSummary, SessionWorkers, WorkerSummary } from '../cockpit/types.js';

const EMPTY: readonly SessionSummary[] = [];

function matches(text: string, filter: string): boolean {
  return text.toLowerCase().includes(filter);
}

function sessionMatches(s: SessionSummary, f: string): boolean {
  return (
    matches(s.id, f) || matches(s.task, f) || matches(s.discipline, f) || matches(s.state, f) || matches(s.activity, f)
  );
}

function nodeNameMatches(fleet: FleetState, name: string, f: string): boolean {
  const n = fleet.nodes.get(name);
  return (
    matches(name, f) ||
    (n?.persona ? matches(n.persona, f) : false) ||
    (n?.mandate ? matches(n.mandate, f) : false) ||
    (n?.host ? matches(n.host, f) : false)
  );
}

/** Nodes in tile order, those that match the filter (by name, its VPs' names and mandates, host, or any session's id, task, discipline). */
export function visibleNodes(fleet: FleetState, filter: string): string[] {
  const f = filter.trim().toLowerCase();
  if (f === '') return [...fleet.order];
  return fleet.order.filter(
    (name) => nodeNameMatches(fleet, name, f) || (fleet.sessions.get(name) ?? EMPTY).some((s) => sessionMatches(s, f)),
  );
}

/** A node's sessions under the filter; all of them when the filter names the node itself. */
export function visibleSessions(fleet: FleetState, node: string, filter: string): readonly SessionSummary[] {
  const all = fleet.sessions.get(node) ?? EMPTY;
  const f = filter.trim().toLowerCase();
  if (f === '' || nodeNameMatches(fleet, node, f)) return all;
  return all.filter((s) => sessionMatches(s, f));
}

export function findSession(fleet: FleetState, node: string, id: string): SessionSummary | null {
  return (fleet.sessions.get(node) ?? EMPTY).find((s) => s.id === id) ?? null;
}

/** The oldest open decision of a session, or of a node when no session is given. */
export function decisionFor(fleet: FleetState, node: string, session?: string): Decision | null {
  return fleet.decisions.find((d) => d.node === node && (session === undefined || d.session === session)) ?? null;
}

/** A session's workers, listed and counted, or null when it has none. */
export function sessionWorkers(fleet: FleetState, node: string, session: string): SessionWorkers | null {
  return fleet.sessionWorkers.get(node)?.get(session) ?? null;
}

export function findWorker(fleet: FleetState, node: string, id: string): WorkerSummary | null {
  return fleet.workers.get(node)?.find((w) => w.id === id) ?? null;
}

/** The key of a session's entry in the UI's worker cursors. */
export const workerCursorKey = (node: string, session: string) => `${node}/${session}`;

/** The worker in focus in a session's list: the cursor's, or the first. */
export function focusedWorker(
  fleet: FleetState,
  cursor: Readonly<Record<string, string>>,
  node: string,
  session: string,
): WorkerSummary | null {
  return pickWorker(sessionWorkers(fleet, node, session)?.list ?? [], cursor[workerCursorKey(node, session)]);
}

/** The worker of a list the cursor is on, or the first when it is on none of them. */
export function pickWorker(list: readonly WorkerSummary[], id: string | undefined): WorkerSummary | null {
  return list.find((w) => w.id === id) ?? list[0] ?? null;
}
