/** A worker's summary as a node reports it, for tests of what the cockpit makes of workers. */
import { noUsage, type WorkerSummary } from '../../src/protocol/messages.js';

export function workerSummary(
  w: Partial<WorkerSummary> & Pick<WorkerSummary, 'id' | 'node' | 'session' | 'state'>,
): WorkerSummary {
  const at = w.updatedAt ?? '2026-01-01T00:00:00.000Z';
  return {
    name: w.id,
    run: 'r-1',
    group: 'default',
    role: 'worker',
    model: 'haiku',
    write: false,
    discipline: 'engineering',
    task: 'a task',
    activity: '',
    attempts: w.state === 'queued' ? 0 : 1,
    sentence: null,
    reason: null,
    branch: null,
    worktree: null,
    createdAt: at,
    startedAt: null,
    endedAt: null,
    updatedAt: at,
    usage: noUsage(),
    ...w,
  };
}
