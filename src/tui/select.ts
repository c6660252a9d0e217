/** What the views show of the store under the operator's filter: the same lists for the views and the keys. */
import type { Decision, FleetState, SessionSummary } from '../cockpit/types.js';

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
  return matches(name, f) || (n?.persona ? matches(n.persona, f) : false) || (n?.host ? matches(n.host, f) : false);
}

/** Nodes in tile order, those that match the filter (by name, persona, host, or any session's id, task, discipline). */
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
