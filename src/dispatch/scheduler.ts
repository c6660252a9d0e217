/**
 * Which queued workers start now: oldest first, as many per model as the node's limit for that model leaves
 * room for across all sessions, and no more than the memory ceiling holds. A pure function of the node's
 * state, so a wave can be reasoned about (and tested) without processes.
 */
import { WORKER_MODELS, type WorkerModel } from '../protocol/messages.js';
import type { WorkerLimits } from './limits.js';

export interface Waiting {
  id: string;
  model: WorkerModel;
  /** the node-wide order it was queued in: lower starts first */
  order: number;
}

export interface Load {
  /** running workers per model */
  running: Record<WorkerModel, number>;
  /** memory the running workers use now (measured where the system tells, else estimated) */
  usedBytes: number;
  /** what one more worker is expected to use */
  perWorkerBytes: number;
  /** memory the system has free, if known: a wave never takes the last of it */
  freeBytes?: number;
}

/** What the system keeps for itself however much the ceiling allows. */
export const SYSTEM_RESERVE_BYTES = 512 * 1024 * 1024;

/** The ids to start now, in the order to start them. */
export function pickStarts(
  queued: readonly Waiting[],
  load: Load,
  limits: Pick<WorkerLimits, 'models' | 'memoryBytes'>,
): string[] {
  const running = { ...load.running };
  let room = Math.floor((limits.memoryBytes - load.usedBytes) / load.perWorkerBytes);
  if (load.freeBytes !== undefined)
    room = Math.min(room, Math.floor((load.freeBytes - SYSTEM_RESERVE_BYTES) / load.perWorkerBytes));
  const out: string[] = [];
  for (const w of [...queued].sort((a, b) => a.order - b.order)) {
    if (room <= 0) break;
    if (running[w.model] >= limits.models[w.model]) continue;
    running[w.model] += 1;
    room -= 1;
    out.push(w.id);
  }
  return out;
}

export function zeroByModel(): Record<WorkerModel, number> {
  return Object.fromEntries(WORKER_MODELS.map((m) => [m, 0])) as Record<WorkerModel, number>;
}

/**
 * The queue in the order waves take it: sessions in turn (each one's oldest first), so that one session's
 * large fan-out does not hold back another's.
 */
export function fairOrder(queued: readonly (Waiting & { session: string })[]): Waiting[] {
  const seen = new Map<string, number>();
  return [...queued]
    .sort((a, b) => a.order - b.order)
    .map((w) => {
      const rank = seen.get(w.session) ?? 0;
      seen.set(w.session, rank + 1);
      return { id: w.id, model: w.model, order: rank * 1e9 + w.order };
    });
}
