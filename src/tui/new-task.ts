/**
 * The new-task form's rules, apart from its keys and its drawing: the choices of its discipline and node
 * fields, which node "least loaded" picks now, and the repository as the node is to be given it (a path on
 * the operator's machine made absolute for the local node; a URL or an absolute path as typed).
 */
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { leastLoaded, placeTask, type FleetState, type Placement, type TaskTriage } from '../cockpit/types.js';
import { taskProblem } from '../protocol/ops.js';
import type { TaskForm } from './layers.js';

/** The nodes a task can go to now: those up, in tile order. */
export function reachableNodes(fleet: FleetState): string[] {
  return fleet.order.filter((n) => fleet.links.get(n)?.state === 'up');
}

/** The node "least loaded" stands for now, or null when no node is up. */
export function leastLoadedNode(fleet: FleetState): string | null {
  const nodes = fleet.order.map((name) => ({ name, state: fleet.links.get(name)?.state ?? 'down' }));
  return leastLoaded(nodes, [...fleet.sessions.values()].flat());
}

/**
 * Where a task with no node chosen goes, by the organisation's triage (its VP's least loaded reachable
 * node, else the least loaded node, with a note); null without an organisation (the least loaded node).
 */
export function formPlacement(form: TaskForm, fleet: FleetState, triage: TaskTriage | null): Placement | null {
  if (!triage || form.node !== null) return null;
  const nodes = fleet.order.map((name) => {
    const link = fleet.links.get(name);
    return { name, state: link?.state ?? 'down', info: link?.info ?? null };
  });
  const discipline = form.discipline.trim();
  const fit = triage.fit(form.task, discipline === '' ? undefined : discipline);
  return placeTask(triage.org, fit, nodes, [...fleet.sessions.values()].flat());
}

/** The next (by 1) or previous (by -1) of `options` after `current`; from a value not among them, the first or last. */
export function cycle<T>(options: readonly T[], current: T, by: 1 | -1): T {
  const at = options.indexOf(current);
  if (options.length === 0) return current;
  if (at < 0) return by > 0 ? options[0]! : options[options.length - 1]!;
  return options[(at + by + options.length) % options.length]!;
}

/** A git URL (`https://…`, `ssh://…`, `git@host:path`) rather than a path. */
export function isUrl(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\s:]+@[^/\s:]+:/.test(repo);
}

/** Whether every node a task could go to is the operator's own machine. */
function onlyLocal(fleet: FleetState, node: string | null): boolean {
  const targets = node ? [node] : reachableNodes(fleet);
  return targets.length > 0 && targets.every((n) => fleet.links.get(n)?.transport === 'local');
}

/** What is wrong with the repository for the node chosen, or null. */
export function repoProblem(text: string, fleet: FleetState, node: string | null): string | null {
  const t = text.trim();
  if (t === '') return 'give the repository: a path on the node, or a git URL';
  if (isUrl(t) || isAbsolute(t) || onlyLocal(fleet, node)) return null;
  return `${t} is a relative path, which means nothing on ${node ? `node ${node}` : 'a remote node'}: give an absolute path or a git URL${node ? '' : ', or choose the local node'}`;
}

/** The repository as its node is to be given it (a relative path taken from `cwd`), or what is wrong with it. */
export function resolveRepo(
  text: string,
  fleet: FleetState,
  node: string | null,
  cwd: string,
): { repo: string } | { problem: string } {
  const problem = repoProblem(text, fleet, node);
  if (problem) return { problem };
  const t = text.trim();
  if (isUrl(t) || isAbsolute(t)) return { repo: t };
  if (t === '~' || t.startsWith('~/')) return { repo: resolve(homedir(), t.slice(2)) };
  return { repo: resolve(cwd, t) };
}

/** Why the form cannot start its task now, or null when it can. */
export function formProblem(form: TaskForm, fleet: FleetState): string | null {
  if (form.busy) return 'starting already: waiting for the node to answer';
  const task = taskProblem(form.task);
  if (task) return task === 'the task is empty' ? 'type the task first' : task;
  if (form.discipline.trim().length > 64) return 'a discipline name is at most 64 characters';
  if (form.node !== null && fleet.links.get(form.node)?.state !== 'up')
    return `node ${form.node} is ${fleet.links.get(form.node)?.state ?? 'gone'}: choose another node (← →)`;
  if (form.node === null && leastLoadedNode(fleet) === null) return 'no node is reachable';
  return repoProblem(form.repo, fleet, form.node);
}
