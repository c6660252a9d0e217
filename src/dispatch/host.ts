/** What the node's daemon gives the dispatcher: its sessions, how a worker's context is compiled and run, and its watchers. */
import type { CompileOptions } from '../compiler/index.js';
import type { Registry } from '../registry/index.js';
import type { PriceOf } from './stream-events.js';
import type { ProcessTree, WorkerTurn } from './worker-process.js';
import type { Decision, NodeEvent, SessionState, WorkerModel } from '../protocol/messages.js';

/** A decision asked of the operator, and the answer (approve or not) when it comes. */
export interface Asked {
  decision: Decision;
  answer: Promise<{ approve: boolean; reason: string | null }>;
}

/** A session as the dispatcher needs it: where its work is, and what it is. */
export interface SessionView {
  id: string;
  state: SessionState;
  worktree: string;
  branch: string;
  /** the repository its worktree links to (a checkout or the node's mirror) */
  repo: string;
  discipline: string;
  /** the registry it was compiled from, when not the node's default */
  registry: string | null;
}

export interface WorkerSandbox {
  tmpDir: string;
  /** what a read-only worker may read besides its own folder (its session's worktree) */
  readDirs?: string[];
  /** and may never write */
  readOnlyDirs?: string[];
}

export interface DispatchHost {
  /** the node's name */
  node: string;
  /** the node's home (AGENCY_HOME): the dispatcher keeps its table, pools and worker folders there */
  home: string;
  claudeBin: string;
  /** the node's environment (its own and node.env's): limits are read from it */
  env: NodeJS.ProcessEnv;
  /** the registry sessions are compiled from unless they name another */
  registryDir: string;
  /** the organisation's overlay the node was given (over registryDir): used instead of it when there is one */
  orgRegistry?: () => Registry | null;
  /** whether the node runs what sessions make (checks, workers) in the OS sandbox */
  sandbox: boolean;
  emit(e: NodeEvent): void;
  session(id: string): SessionView | null;
  /** how a worker's folder is compiled: the guard, the key helper and the sandbox, as for sessions */
  compileOptions(workerId: string, sandbox: WorkerSandbox): CompileOptions;
  /** a worker's claude's environment, as a session's (no keys in it), with its own temporary folder */
  workerEnv(workerId: string, tmpDir: string): NodeJS.ProcessEnv;
  tmpDir(workerId: string): string;
  removeTmpDir(workerId: string): void;
  /** opens an operator's decision for a session (the merge queue's: a branch that conflicts even after a resolver) */
  ask(fields: Pick<Decision, 'session' | 'tool' | 'summary' | 'input'>): Asked;
  /** the merge queue's decisions still open (after a restart), with their answers when they come */
  asked(): Asked[];
  /** the cost of a worker's tokens while it runs (its own figure replaces it when it ends); null where unknown */
  price?: PriceOf;
  /** pauses a worker's whole process tree (the node's own way, as for sessions); else its process group alone */
  tree?: ProcessTree;
  /** whether a session's queued workers wait (its budget, or its VP's or the fleet's, ran out) */
  held?(session: string): boolean;
  /** a worker's API response, as it printed it: recorded as a turn of its session's */
  turn?(worker: { id: string; session: string }, t: WorkerTurn): void;
  /** tells the operator (the node's log and its warnings) */
  warn(text: string): void;
  /**
   * The model a worker runs on (the node's model routing): its tier and claude's `--model`, or why none can run
   * it; absent, the spawn's model or haiku.
   */
  workerModel?(o: {
    asked: WorkerModel | null;
    discipline: string;
    /** the discipline's workerModel in the session's registry */
    registry: string | null;
  }): { tier: WorkerModel; model: string } | { problem: string };
  /** why no worker may start on the node now (the API paused it, its tokens are spent), or null */
  startsHeld?(): string | null;
  /** the API rate-limited a worker (429): new starts on the node wait (null: no retry time known) */
  rateLimited?(worker: string, retryMs: number | null): void;
}
