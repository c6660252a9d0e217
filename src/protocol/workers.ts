/** The shapes of the third tier: workers, what a session's worker tools answer, and what the operator sees. */
import type { Usage } from './messages.js';

/** The models a worker can be routed to (claude's aliases); a worker names one, haiku by default. */
export type WorkerModel = 'haiku' | 'sonnet' | 'opus';
export const WORKER_MODELS: readonly WorkerModel[] = ['haiku', 'sonnet', 'opus'];

/**
 * The tier a model name runs a worker in (the waves and limits count workers by tier): an alias is its own
 * tier, a full id the one it names (`claude-sonnet-4-5` is sonnet); null for a name that names none.
 */
export function workerTier(model: string): WorkerModel | null {
  const found = WORKER_MODELS.filter((m) => model.toLowerCase().includes(m));
  return found.length === 1 ? found[0]! : null;
}

/** Why a model name cannot run workers, in words for the file or command that named it. */
export const WORKER_TIER_PROBLEM =
  'a worker model is haiku, sonnet or opus, or a full claude-… id that names one of them (claude-sonnet-4-5): the node counts workers by that tier';

/**
 * A worker's state. `queued`: waiting for room in its model's wave (or for memory); `running`: its claude
 * is at work; `done`: it ended with its result file complete (the `DONE` line); `failed`: it ended without
 * one, twice, or could not start; `stopped`: the operator (or its session's end) stopped it.
 */
export type WorkerState = 'queued' | 'running' | 'done' | 'failed' | 'stopped';
export const WORKER_STATES: readonly WorkerState[] = ['queued', 'running', 'done', 'failed', 'stopped'];
export const ENDED_WORKER_STATES: readonly WorkerState[] = ['done', 'failed', 'stopped'];
export function isWorkerLive(w: WorkerState | { state: WorkerState }): boolean {
  return !ENDED_WORKER_STATES.includes(typeof w === 'string' ? w : w.state);
}

/**
 * What a worker is for: `worker`, one of the tasks a session fanned out; `coordinator`, the one that reads
 * a group's result files and sums them up for the session; `resolver`, a write worker sent a merge
 * conflict to resolve.
 */
export type WorkerRole = 'worker' | 'coordinator' | 'resolver';

export interface WorkerSummary {
  /** the node's id for it: `w-` and hex digits */
  id: string;
  /** the id its session gave it (unique within the session; its branch is agency/workers/<session>/w-<name>, worker-branch.ts) */
  name: string;
  node: string;
  session: string;
  /** the spawn it came from: `r-` and hex digits */
  run: string;
  group: string;
  role: WorkerRole;
  model: WorkerModel;
  /** a write worker has a worktree and branch of its own; a read-only one reads its session's worktree */
  write: boolean;
  discipline: string;
  state: WorkerState;
  /** its task, one line, shortened */
  task: string;
  /** what it is doing now, one line of plain text */
  activity: string;
  /** how many times it was started (a worker that ends without its result is started once more) */
  attempts: number;
  /** its one-sentence reply, once done */
  sentence: string | null;
  /** why it failed or was stopped, one line */
  reason: string | null;
  branch: string | null;
  worktree: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  updatedAt: string;
  usage: Usage;
}

/** `agency workers`: a session's workers (or the node's, with no session named). */
export interface WorkersResult {
  session: string | null;
  workers: WorkerSummary[];
}

/** A worker's output as its node kept it (bounded), and its result file once written. */
export interface WorkerOutput {
  worker: string;
  /** plain-text lines: what it said and which tools it called, oldest first */
  lines: string[];
  /** older lines were dropped */
  truncated: boolean;
  /** its result file's text (bounded), or null before it wrote one */
  result: string | null;
}

export interface WorkerStopResult {
  stopped: string[];
}

/** The worker tools' results, as a session's `agency` MCP server returns them (DESIGN.md §9). */
export interface SpawnResult {
  run: string;
  queued: number;
}
export interface WaitResult {
  run: string;
  done: number;
  failed: number;
  /** how many have not ended yet (the wait timed out first) */
  pending: number;
  summaries: { group: string; text: string }[];
}
export interface WorkerStatusResult {
  run: string;
  states: Record<WorkerState, number>;
  models: Record<WorkerModel, Record<WorkerState, number>>;
}
export interface MergeWorkersResult {
  merged: string[];
  conflicts: string[];
  decisions: string[];
}
