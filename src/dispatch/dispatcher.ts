/**
 * The node's dispatcher: the third tier. It takes a session's fan-out (spawn_workers), queues its workers in
 * waves per model across the whole node, within the node's memory ceiling, runs each as a headless claude in
 * a pooled worktree (write workers) or beside its session's worktree (read-only ones), keeps their result
 * files, sums groups up through coordinators, merges write workers' branches through the merge queue, and
 * keeps all of it across restarts of the node.
 */
import { RemoteError } from '../protocol/connection.js';
import type {
  MergeWorkersResult,
  NodeEvent,
  OpArgs,
  SpawnResult,
  WaitResult,
  WorkerOutput,
  WorkersResult,
  WorkerStatusResult,
  WorkerStopResult,
  WorkerSummary,
} from '../protocol/messages.js';

/** What the node's daemon gives the dispatcher: the sessions it serves and how to tell watchers. */
export interface DispatchHost {
  /** the node's name */
  node: string;
  /** tells the node's watchers (a worker's summary changed) */
  emit(e: NodeEvent): void;
}

export class Dispatcher {
  constructor(private readonly host: DispatchHost) {}

  /** every live worker and the most recent that ended, for snapshots */
  snapshot(): WorkerSummary[] {
    return [];
  }

  list(_args: OpArgs['workers']): WorkersResult {
    return { session: _args.session ?? null, workers: [] };
  }

  output(args: OpArgs['worker-output']): WorkerOutput {
    throw new RemoteError('not-found', `no worker ${JSON.stringify(args.worker)} on node ${this.host.node}`);
  }

  async stop(_args: OpArgs['worker-stop']): Promise<WorkerStopResult> {
    return { stopped: [] };
  }

  async spawn(_args: OpArgs['spawn-workers']): Promise<SpawnResult> {
    throw new RemoteError('failed', 'workers are not available on this node yet');
  }

  async wait(_args: OpArgs['wait-workers'], _closed: Promise<void>): Promise<WaitResult> {
    throw new RemoteError('failed', 'workers are not available on this node yet');
  }

  status(_args: OpArgs['worker-status']): WorkerStatusResult {
    throw new RemoteError('failed', 'workers are not available on this node yet');
  }

  async merge(_args: OpArgs['merge-workers']): Promise<MergeWorkersResult> {
    throw new RemoteError('failed', 'workers are not available on this node yet');
  }
}
