/**
 * Which model a session or a worker runs on. Sessions use their discipline's model, workers haiku unless their
 * task names another; the operator's config overrides both, for every discipline or for one, per node.
 *
 * - a session: `run --model` > `models.disciplines[d].session` > `models.session` > the discipline's `model`
 *   > Claude Code's own default;
 * - a worker: the model its spawn names > `models.disciplines[d].worker` > the discipline's `workerModel` >
 *   `models.worker` > haiku. A worker runs in a tier (haiku, sonnet, opus: the waves and limits count it
 *   there); a full model id routes to the tier it names and is passed to claude as it is.
 */
import type { Models } from '../protocol/economics.js';
import { WORKER_TIER_PROBLEM, workerTier, type WorkerModel } from '../protocol/workers.js';

export interface SessionRoute {
  /** `run --model` */
  asked?: string | null;
  discipline: string;
  models?: Models;
  /** the discipline's `model` in the registry */
  registry?: string | null;
}

/** The model a session runs on, or null for Claude Code's default. */
export function sessionModel(r: SessionRoute): string | null {
  return r.asked ?? r.models?.disciplines?.[r.discipline]?.session ?? r.models?.session ?? r.registry ?? null;
}

export interface WorkerRoute {
  /** the model the spawn named for this worker */
  asked?: WorkerModel | null;
  discipline: string;
  models?: Models;
  /** the discipline's `workerModel` in the registry */
  registry?: string | null;
}

/** A worker's tier (its wave) and the name claude is given (`--model`). */
export interface WorkerModelChoice {
  tier: WorkerModel;
  model: string;
}

/** The model a worker runs on, or a problem naming where the model that cannot run workers was set. */
export function workerModel(r: WorkerRoute): WorkerModelChoice | { problem: string } {
  const chosen: [string, string][] = [
    ['the spawn', r.asked ?? ''],
    [`models.disciplines.${r.discipline}.worker`, r.models?.disciplines?.[r.discipline]?.worker ?? ''],
    [`discipline ${r.discipline}'s workerModel`, r.registry ?? ''],
    ['models.worker', r.models?.worker ?? ''],
  ];
  const [where, model] = chosen.find(([, m]) => m !== '') ?? ['', 'haiku'];
  const tier = workerTier(model);
  if (tier === null) return { problem: `${where} names model ${JSON.stringify(model)}: ${WORKER_TIER_PROBLEM}` };
  return { tier, model };
}
