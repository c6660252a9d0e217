/**
 * Landing a session's work: its diff and log against the commit it branched from, merging it into the
 * branch it started from in the repository it came from, pushing it for a pull request, and removing
 * ended sessions' worktrees without ever losing a commit.
 */
import { RemoteError } from '../protocol/connection.js';
import type {
  DiffResult,
  GcResult,
  LogResult,
  MergeResult,
  OpArgs,
  PrResult,
  RemoveResult,
} from '../protocol/messages.js';

export class NodeLanding {
  diff(_a: OpArgs['diff']): Promise<DiffResult> {
    return notYet('diff');
  }
  log(_a: OpArgs['log']): Promise<LogResult> {
    return notYet('log');
  }
  merge(_a: OpArgs['merge']): Promise<MergeResult> {
    return notYet('merge');
  }
  pr(_a: OpArgs['pr']): Promise<PrResult> {
    return notYet('pr');
  }
  rm(_a: OpArgs['rm']): Promise<RemoveResult> {
    return notYet('rm');
  }
  gc(_a: OpArgs['gc']): Promise<GcResult> {
    return notYet('gc');
  }
}

function notYet(op: string): Promise<never> {
  return Promise.reject(new RemoteError('failed', `this node cannot ${op} yet`));
}
