/** What the dispatcher shows of its table: workers' summaries, a run's wait result, ids. */
import { randomBytes } from 'node:crypto';
import {
  isWorkerLive,
  WORKER_MODELS,
  WORKER_STATES,
  type WaitResult,
  type WorkerState,
  type WorkerStatusResult,
  type WorkerSummary,
} from '../protocol/messages.js';
import { singleLine } from '../protocol/safe-text.js';
import type { RunRecord, WorkerRecord } from './worker-table.js';

/** `w-` or `r-` and six hex digits, not yet taken. */
export function newWorkerId(prefix: 'w' | 'r', taken: (id: string) => boolean): string {
  for (;;) {
    const id = `${prefix}-${randomBytes(3).toString('hex')}`;
    if (!taken(id)) return id;
  }
}

/** Plain text on one line, at most n characters. */
export function oneLine(s: string, n: number): string {
  const t = singleLine(s).replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

export function summaryOf(node: string, w: WorkerRecord): WorkerSummary {
  return {
    id: w.id,
    name: w.name,
    node,
    session: w.session,
    run: w.run,
    group: w.group,
    role: w.role,
    model: w.model,
    write: w.write,
    discipline: w.discipline,
    state: w.state,
    task: w.task,
    activity: w.activity,
    attempts: w.attempts,
    sentence: w.sentence,
    reason: w.reason,
    branch: w.branch,
    worktree: w.worktree,
    createdAt: w.createdAt,
    startedAt: w.startedAt,
    endedAt: w.endedAt,
    updatedAt: w.updatedAt,
    usage: w.usage,
  };
}

/**
 * What wait_workers answers the session: counts, and per group either its coordinator's summary (a
 * coordinated run) or one sentence per worker. The session's context pays for every word of it: the raw
 * results stay in their files (the session's .context/workers/<run>/).
 */
export function waitResult(run: RunRecord, workers: WorkerRecord[]): WaitResult {
  const tasks = workers.filter((w) => w.role !== 'coordinator');
  const done = tasks.filter((w) => w.state === 'done').length;
  const failed = tasks.filter((w) => w.state === 'failed' || w.state === 'stopped').length;
  const pending = workers.filter((w) => isWorkerLive(w)).length;
  const summaries: WaitResult['summaries'] = [];
  // however many groups there are, their summaries together stay within the budget
  const perGroup = Math.max(MIN_GROUP_CHARS, Math.floor(SUMMARY_BUDGET_CHARS / Math.max(1, run.groups.length)));
  for (const group of run.groups) {
    const members = tasks.filter((w) => w.group === group);
    const coordinator = run.coordinate
      ? workers.find((w) => w.role === 'coordinator' && w.group === group && w.state === 'done')
      : undefined;
    if (coordinator?.sentence) {
      summaries.push({ group, text: cut(coordinator.sentence, perGroup) });
      const failures = members.filter((w) => w.state !== 'done' && !isWorkerLive(w));
      for (const w of failures) summaries.push({ group, text: line(w) });
      continue;
    }
    for (const w of members) if (!isWorkerLive(w)) summaries.push({ group, text: line(w) });
  }
  return { run: run.id, done, failed, pending, summaries };
}

/**
 * What the coordinators' summaries of a run may come to together, in characters (about 1,200 tokens): each
 * is at most 300 words, and with several groups, its share of this; never less than MIN_GROUP_CHARS.
 */
export const SUMMARY_BUDGET_CHARS = 4800;
const MIN_GROUP_CHARS = 400;

/** text cut at a word boundary to at most n characters, marked when it was */
function cut(text: string, n: number): string {
  if (text.length <= n) return text;
  const head = text.slice(0, n - 1);
  const space = head.lastIndexOf(' ');
  return `${space > n / 2 ? head.slice(0, space) : head}…`;
}

function line(w: WorkerRecord): string {
  if (w.state === 'done') return `${w.name}: ${w.sentence ?? ''}`.trim();
  return `${w.name} ${w.state}: ${w.reason ?? 'no reason given'}`;
}

/**
 * Whether a run has ended: every worker has, and in a coordinated run every group with a finished worker
 * has its coordinator's summary (which starts only once its group has ended).
 */
export function runFinished(coordinate: boolean, ws: WorkerRecord[]): boolean {
  if (ws.some((w) => isWorkerLive(w))) return false;
  if (!coordinate) return true;
  const groups = new Set(ws.filter((w) => w.role !== 'coordinator' && w.state === 'done').map((w) => w.group));
  return [...groups].every((g) => ws.some((w) => w.role === 'coordinator' && w.group === g));
}

/** What worker_status answers: a run's workers counted by state, and by model and state. */
export function statusOf(run: string, ws: WorkerRecord[]): WorkerStatusResult {
  const states = Object.fromEntries(WORKER_STATES.map((s) => [s, 0])) as Record<WorkerState, number>;
  const models = Object.fromEntries(WORKER_MODELS.map((m) => [m, { ...states }])) as WorkerStatusResult['models'];
  for (const w of ws) {
    states[w.state] += 1;
    models[w.model][w.state] += 1;
  }
  return { run, states, models };
}
