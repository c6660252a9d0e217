/**
 * The preconditions bindings share. Each returns why a command cannot run now, or the context narrowed to
 * what the command runs on: a node in focus, a session in focus (live, taking input), a decision.
 */
import { isLive, isWorkerLive, type Decision, type SessionSummary, type WorkerSummary } from '../../cockpit/types.js';
import { noNodeReachable } from '../advice.js';
import type { Layer } from '../layers.js';
import type { KeyContext } from './binding.js';

export type NodeContext = KeyContext & { readonly node: string };
export type SessionContext = KeyContext & { readonly node: string; readonly session: SessionSummary };
export type DecisionContext = KeyContext & { readonly decision: Decision };
export type WorkerContext = KeyContext & { readonly node: string; readonly worker: WorkerSummary };
export type ConfirmContext = KeyContext & { readonly top: Extract<Layer, { kind: 'confirm' }> };
export type PromptContext = KeyContext & { readonly top: Extract<Layer, { kind: 'prompt' }> };

/** No precondition: the command runs whenever its layer is on top. */
export const always = (c: KeyContext): KeyContext => c;

/** A precondition followed by a further check on what it gave. */
export function refine<N extends object>(n: string | N, why: (n: N) => string | null): string | N {
  return typeof n === 'string' ? n : (why(n) ?? n);
}

const nodeDown = (c: KeyContext) => (c.node && c.link !== 'up' ? `node ${c.node} is ${c.link ?? 'unknown'}` : null);

/** A node in focus that is reachable. */
export function nodeUp(c: KeyContext): string | NodeContext {
  if (!c.node) return 'no node in focus';
  return nodeDown(c) ?? { ...c, node: c.node };
}

export function focusedSession(c: KeyContext): string | SessionContext {
  const { node, session } = c;
  if (!session || node === null)
    return c.top.kind === 'fleet' ? 'no session in focus: open a node (Enter) and pick one' : 'no session in focus';
  return { ...c, node, session };
}

/** A session in focus, on a reachable node, that has not ended. */
export function liveSession(c: KeyContext): string | SessionContext {
  return refine(
    focusedSession(c),
    (s) => nodeDown(s) ?? (isLive(s.session) ? null : `session ${s.session.id} has ${s.session.state}`),
  );
}

/** A live session that is not paused: one that takes input. */
export function activeSession(c: KeyContext): string | SessionContext {
  return refine(liveSession(c), (s) =>
    s.session.state === 'paused' ? `session ${s.session.id} is paused: resume it first (r)` : null,
  );
}

/** The decision in front of the operator, on a reachable node. */
export function decisionInFront(c: KeyContext): string | DecisionContext {
  if (c.decision) return nodeDown(c) ?? { ...c, decision: c.decision };
  if (c.session) return `session ${c.session.id} has no open decision`;
  if (c.node) return `node ${c.node} has no open decision`;
  return 'no decision in front of you';
}

export function onConfirm(c: KeyContext): string | ConfirmContext {
  const top = c.top;
  return top.kind === 'confirm' ? { ...c, top } : 'no question to answer';
}

export function onPrompt(c: KeyContext): string | PromptContext {
  const top = c.top;
  return top.kind === 'prompt' ? { ...c, top } : 'no input line open';
}

export type FormContext = KeyContext & { readonly top: Extract<Layer, { kind: 'form' }> };
export type DiffContext = KeyContext & { readonly top: Extract<Layer, { kind: 'diff' }> };

/** A session in focus on a reachable node, live or ended. */
export function reachableSession(c: KeyContext): string | SessionContext {
  return refine(focusedSession(c), (s) => nodeDown(s));
}

/** A session in focus on a reachable node that has ended (its worktree can go). */
export function endedSession(c: KeyContext): string | SessionContext {
  return refine(reachableSession(c), (s) =>
    isLive(s.session) ? `session ${s.session.id} is ${s.session.state}: stop it first (s)` : null,
  );
}

/** Some node of the fleet takes tasks. */
export function someNodeUp(c: KeyContext): string | KeyContext {
  if (c.fleet.order.some((n) => c.fleet.links.get(n)?.state === 'up')) return c;
  return noNodeReachable(c.fleet) ?? 'no node is reachable yet: the cockpit is still connecting';
}

export function onForm(c: KeyContext): string | FormContext {
  const top = c.top;
  return top.kind === 'form' ? { ...c, top } : 'no new-task form open';
}

export function onDiff(c: KeyContext): string | DiffContext {
  const top = c.top;
  return top.kind === 'diff' ? { ...c, top } : 'no diff open';
}

/** A worker in focus: the selected row of a workers list, or the one whose output is open. */
export function workerInFocus(c: KeyContext): string | WorkerContext {
  const w = c.worker;
  if (w) return { ...c, node: w.node, worker: w };
  if (c.top.kind === 'workers') return `session ${c.session?.id ?? '?'} has no workers`;
  if (c.top.kind === 'output') return 'that worker is no longer listed by its node';
  return 'no worker in focus';
}

const ENDED_AS: Record<string, string> = { done: 'is done', failed: 'has failed', stopped: 'was stopped' };

/** A worker in focus, on a reachable node. */
export function reachableWorker(c: KeyContext): string | WorkerContext {
  return refine(workerInFocus(c), (w) => nodeDown(w));
}

/** A worker in focus, on a reachable node, that has not ended. */
export function liveWorker(c: KeyContext): string | WorkerContext {
  return refine(reachableWorker(c), (w) =>
    isWorkerLive(w.worker) ? null : `worker ${w.worker.name} ${ENDED_AS[w.worker.state] ?? w.worker.state}`,
  );
}
