/**
 * What the cockpit makes of workers (the parallel `claude` processes a session fans out to): counts by state
 * and by model, what they spent, the order views list them in, and one line of what each is doing. Plain
 * data for the TUI and `--json` alike; text in here is as the nodes sent it.
 *
 * A worker's usage is its own process's; a session's usage is its own process's too (its workers are other
 * processes with transcripts of their own), so a session's spending with its workers is the sum of the two.
 */
import {
  WORKER_MODELS,
  WORKER_STATES,
  type WorkerModel,
  type WorkerState,
  type WorkerSummary,
} from '../protocol/messages.js';
import { usageTokens, zeros, type CountBy, type Spent } from './counts.js';

/** Workers counted: by state, by model (each by state), and the tokens and dollars they spent. */
export interface WorkerCounts {
  states: CountBy<WorkerState>;
  models: Readonly<Record<WorkerModel, CountBy<WorkerState>>>;
  tokens: number;
  costUsd: number;
}

/** A session's workers as the views show them: in list order (see workerOrder), and counted. */
export interface SessionWorkers {
  readonly list: readonly WorkerSummary[];
  /** `tokens` and `costUsd` include what workers no longer listed (dropped past the cap) spent */
  readonly counts: WorkerCounts;
}

export const byModelZeros = (): Record<WorkerModel, Record<WorkerState, number>> =>
  Object.fromEntries(WORKER_MODELS.map((m) => [m, zeros(WORKER_STATES)])) as Record<
    WorkerModel,
    Record<WorkerState, number>
  >;

/** Counts workers; `retired` is what workers counted no longer (dropped, removed) had spent. */
export function countWorkers(
  workers: Iterable<WorkerSummary>,
  retired: Spent = { tokens: 0, costUsd: 0 },
): WorkerCounts {
  const states = zeros(WORKER_STATES);
  const models = byModelZeros();
  let tokens = retired.tokens;
  let costUsd = retired.costUsd;
  for (const w of workers) {
    states[w.state]++;
    // a model this cockpit does not know (a newer node's) is counted by state, and not by model
    const m = models[w.model] as Record<WorkerState, number> | undefined;
    if (m) m[w.state]++;
    tokens += usageTokens(w.usage);
    costUsd += w.usage.costUsd;
  }
  return { states, models, tokens, costUsd };
}

/** The sum of several counts (a node's from its sessions', the fleet's from its nodes'). */
export function sumWorkerCounts(parts: Iterable<WorkerCounts>): WorkerCounts {
  const states = zeros(WORKER_STATES);
  const models = byModelZeros();
  let tokens = 0;
  let costUsd = 0;
  for (const p of parts) {
    for (const s of WORKER_STATES) {
      states[s] += p.states[s];
      for (const m of WORKER_MODELS) models[m][s] += p.models[m][s];
    }
    tokens += p.tokens;
    costUsd += p.costUsd;
  }
  return { states, models, tokens, costUsd };
}

/** Workers not ended: running or waiting for their wave. */
export const liveWorkers = (c: Pick<WorkerCounts, 'states'>): number => c.states.running + c.states.queued;

/** Every worker counted, ended ones too. */
export const allWorkers = (c: Pick<WorkerCounts, 'states'>): number =>
  WORKER_STATES.reduce((n, s) => n + c.states[s], 0);

/** Workers of a model that have not ended. */
export const liveOfModel = (c: Pick<WorkerCounts, 'models'>, m: WorkerModel): number =>
  c.models[m].running + c.models[m].queued;

const RANK: Record<WorkerState, number> = { running: 0, queued: 1, done: 2, failed: 2, stopped: 2 };

/**
 * The order views list a session's workers in: running ones first (longest running on top, so rows stay put
 * as more start), then queued ones (next to start on top), then ended ones, newest first.
 */
export function workerOrder(a: WorkerSummary, b: WorkerSummary): number {
  const rank = (RANK[a.state] ?? 2) - (RANK[b.state] ?? 2);
  if (rank !== 0) return rank;
  let by: number;
  if (a.state === 'running') by = (a.startedAt ?? a.createdAt).localeCompare(b.startedAt ?? b.createdAt);
  else if (a.state === 'queued') by = a.createdAt.localeCompare(b.createdAt);
  else by = (b.endedAt ?? b.updatedAt).localeCompare(a.endedAt ?? a.updatedAt);
  return by || a.id.localeCompare(b.id);
}

/** What a worker is doing, in one line: why it failed or was stopped, its sentence once done, else its activity. */
export function workerDoing(w: Pick<WorkerSummary, 'state' | 'reason' | 'sentence' | 'activity'>): string {
  if ((w.state === 'failed' || w.state === 'stopped') && w.reason) return w.reason;
  if (w.state === 'done' && w.sentence) return w.sentence;
  if (w.activity) return w.activity;
  return w.state === 'queued' ? 'waiting for its wave' : '';
}

/** The order workers' states are written in: what is happening first. */
export const STATES_SHOWN: readonly WorkerState[] = ['running', 'queued', 'done', 'failed', 'stopped'];

/** `2 running, 3 queued, 5 done` (see STATES_SHOWN), states with none left out; '' for none. */
export function statesText(c: Pick<WorkerCounts, 'states'>, sep = ', '): string {
  return STATES_SHOWN.filter((s) => c.states[s] > 0)
    .map((s) => `${c.states[s]} ${s}`)
    .join(sep);
}

/** `haiku 4, sonnet 1`: the workers not ended, by model, models with none left out; '' for none. */
export function liveModelsText(c: Pick<WorkerCounts, 'models'>, sep = ', '): string {
  return WORKER_MODELS.filter((m) => liveOfModel(c, m) > 0)
    .map((m) => `${m} ${liveOfModel(c, m)}`)
    .join(sep);
}

/** Whether two counts say the same. */
export function sameWorkerCounts(a: WorkerCounts, b: WorkerCounts): boolean {
  if (a === b) return true;
  if (a.tokens !== b.tokens || a.costUsd !== b.costUsd) return false;
  return WORKER_STATES.every(
    (s) => a.states[s] === b.states[s] && WORKER_MODELS.every((m) => a.models[m][s] === b.models[m][s]),
  );
}

/** Whether two reports of a worker say the same (a repeat is not news to the views). */
export function sameWorker(a: WorkerSummary, b: WorkerSummary): boolean {
  for (const k of Object.keys(b) as (keyof WorkerSummary)[]) {
    if (k === 'usage') continue;
    if (a[k] !== b[k]) return false;
  }
  const u = a.usage;
  const v = b.usage;
  return (
    usageTokens(u) === usageTokens(v) &&
    u.inputTokens === v.inputTokens &&
    u.outputTokens === v.outputTokens &&
    u.costUsd === v.costUsd &&
    u.unpricedModels.length === v.unpricedModels.length
  );
}
