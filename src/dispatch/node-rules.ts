/**
 * What the node's economics decide for its workers: the model each worker of a spawn runs on, as the node
 * routes it (the host's `workerModel`: the spawn's model, then the operator's overrides and the discipline's
 * `workerModel`, then haiku; with no routing, the model the spawn named, or haiku), and whether any worker may
 * start now (the host's `startsHeld`: the API's 429 pause, the node's tokens spent).
 */
import type { OpArgs, WorkerModel } from '../protocol/messages.js';
import type { Registry } from '../registry/index.js';
import type { DispatchHost } from './host.js';
import type { WorkerRecord } from './worker-table.js';

/** A worker's tier (the waves and limits count it there) and the name its claude is given (`--model`). */
export type WorkerRoute = { tier: WorkerModel; model: string } | { problem: string };

export function routeWorkers(
  host: Pick<DispatchHost, 'workerModel'>,
  specs: OpArgs['spawn-workers']['workers'],
  discipline: string,
  registry: Registry,
): WorkerRoute[] {
  return specs.map((spec) => {
    const d = spec.discipline ?? discipline;
    const asked = spec.model ?? null;
    if (!host.workerModel) return { tier: asked ?? 'haiku', model: asked ?? 'haiku' };
    return host.workerModel({ asked, discipline: d, registry: registry.disciplines.get(d)?.value.workerModel ?? null });
  });
}

/** A worker record's model fields from a route the spawn was checked against (a route with a problem was refused). */
export function modelOf(route: WorkerRoute): { model: WorkerModel; modelId: string | null } {
  if ('problem' in route) throw new Error(route.problem);
  return { model: route.tier, modelId: route.model === route.tier ? null : route.model };
}

/** True when the node holds every start; the queued workers' activity then says why (once). */
export function startsHeld(
  host: Pick<DispatchHost, 'startsHeld'>,
  queued: readonly WorkerRecord[],
  update: (w: WorkerRecord, patch: Partial<WorkerRecord>) => void,
): boolean {
  const why = host.startsHeld?.() ?? null;
  if (why === null) return false;
  for (const w of queued) if (w.activity !== why) update(w, { activity: why });
  return true;
}
