/**
 * What the cockpit shows of a node and of the fleet, derived from the store's tables: counts by state, open
 * decisions, tokens, cost, and one line of what the node is doing now. Plain data, no UI: the TUI and
 * `--json` can both show it. Text in here is as the nodes sent it; whoever prints it makes it safe.
 */
import type { FleetSpend } from './spend.js';
import type { LinkState, LinkStatus } from '../fleet/link.js';
import { doing, modelsText } from './format.js';
import {
  SESSION_STATES,
  WORKER_MODELS,
  WORKER_STATES,
  isLive,
  readyToLand,
  type Decision,
  type SessionState,
  type SessionSummary,
  type VpInfo,
  type WorkerModel,
  type WorkerState,
} from '../protocol/messages.js';
import { countBy, usageTokens, type CountBy, type Spent } from './counts.js';
import { sumWorkerCounts, type WorkerCounts } from './workers.js';

export type { WorkerModel, WorkerState, WorkerSummary } from '../protocol/messages.js';
export { WORKER_MODELS, WORKER_STATES } from '../protocol/messages.js';
export { countBy, usageTokens, type CountBy } from './counts.js';

export interface NodeSummary {
  name: string;
  link: LinkState;
  /** why the link is not up, one line */
  error: string | null;
  /** the VPs the node carries (`agency org apply`), their names joined; null: none */
  persona: string | null;
  /** their mandates, joined; null: none */
  mandate: string | null;
  /** the VPs the node carries, with their disciplines, as the node reported them */
  vps: readonly VpInfo[];
  host: string | null;
  sessions: CountBy<SessionState>;
  /** sessions not exited or failed */
  live: number;
  /** sessions that ended with work their base branch has not taken (readyToLand) */
  readyToLand: number;
  /** its workers by state: every live one, and those ended that the cockpit still holds (see the store's cap) */
  workers: CountBy<WorkerState>;
  /** the same, by model */
  workerModels: Readonly<Record<WorkerModel, CountBy<WorkerState>>>;
  decisions: number;
  /** what its sessions and their workers spent, including those the cockpit no longer holds */
  tokens: number;
  costUsd: number;
  /** one line: what the node is doing now, from its most recent activity */
  doing: string;
  /** the session that line is about, if any */
  doingSession: string | null;
  /** the most recently active live sessions, newest first (at most RECENT): for taller tiles */
  recent: readonly RecentActivity[];
  /**
   * whether its sessions run in the OS sandbox: `off` where the operator opted the node out, `unavailable`
   * where it cannot start one (and refuses sessions); null until the node has said
   */
  sandbox: 'on' | 'off' | 'unavailable' | null;
  /** why it is not `on`, one line */
  sandboxReason: string | null;
  /** its live sessions that name a model, by model, most used first (`sonnet 2 · opus 1`); '' for none */
  sessionModels: string;
  /** the API rate-limited it (429): no new session or worker starts before `until`; null: not now */
  rateLimited: { until: string; reason: string } | null;
}

export interface RecentActivity {
  id: string;
  state: SessionState;
  /** what it is doing, or why it waits or failed */
  text: string;
}

export const RECENT = 6;
const NO_VPS: readonly VpInfo[] = [];

export interface FleetHealth {
  nodesUp: number;
  nodesTotal: number;
  sessions: CountBy<SessionState>;
  live: number;
  readyToLand: number;
  workers: CountBy<WorkerState>;
  workerModels: Readonly<Record<WorkerModel, CountBy<WorkerState>>>;
  decisions: number;
  tokens: number;
  costUsd: number;
  /** from usage deltas over the last minutes; 0 until two samples a second apart exist */
  tokensPerHour: number;
  costPerHour: number;
  /** the fleet's recorded spend: dollars in the last hour and today (UTC); null or absent when no node told it */
  spend?: FleetSpend | null;
}

/** What the node is doing now: an open decision first, then the most recently active live session. */
function doingNow(
  link: LinkStatus,
  sessions: readonly SessionSummary[],
  decisions: readonly Decision[],
): { text: string; session: string | null } {
  if (link.state !== 'up' && link.state !== 'connecting')
    return { text: `${link.state}${link.error ? `: ${link.error}` : ''}`, session: null };
  const waiting = decisions[0];
  if (waiting) return { text: `waiting: ${waiting.tool} ${waiting.summary}`, session: waiting.session };
  let best: SessionSummary | undefined;
  for (const s of sessions) {
    if (!isLive(s)) continue;
    if (!best || s.updatedAt > best.updatedAt) best = s;
  }
  if (best)
    return {
      text: `${best.id}: ${doing(best)}`,
      session: best.id,
    };
  if (link.state === 'connecting') return { text: 'connecting', session: null };
  const last = sessions.reduce<SessionSummary | undefined>(
    (a, s) => (!a || s.updatedAt > a.updatedAt ? s : a),
    undefined,
  );
  return last ? { text: `idle; last: ${last.id} ${last.state}`, session: last.id } : { text: 'idle', session: null };
}

/**
 * A node's summary. `workers` are its workers counted (with what those no longer held spent); `retired` is
 * what its sessions no longer held spent. A session's usage is its own process's, a worker's its own: the
 * node's tokens and cost are their sum, each counted once.
 */
export function summariseNode(
  link: LinkStatus,
  sessions: readonly SessionSummary[],
  workers: WorkerCounts,
  decisions: readonly Decision[],
  retired: Spent,
): NodeSummary {
  let tokens = retired.tokens + workers.tokens;
  let costUsd = retired.costUsd + workers.costUsd;
  for (const s of sessions) {
    tokens += usageTokens(s.usage);
    costUsd += s.usage.costUsd;
  }
  const counts = countBy(SESSION_STATES, sessions);
  // the node's own list, as long as its info is the same: a tile re-renders when it changes, not before
  const vps = Array.isArray(link.info?.org?.vps) ? link.info.org.vps : NO_VPS;
  const now = doingNow(link, sessions, decisions);
  const recent = sessions
    .filter(isLive)
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
    .slice(0, RECENT)
    .map((s) => ({ id: s.id, state: s.state, text: doing(s) }));
  return {
    name: link.name,
    link: link.state,
    error: link.error,
    persona: vps.length ? vps.map((v) => v.name).join(', ') : null,
    mandate: vps.length ? vps.map((v) => v.mandate).join(' / ') : null,
    vps,
    host: link.info?.host ?? null,
    sessions: counts,
    live: sessions.filter(isLive).length,
    readyToLand: sessions.filter(readyToLand).length,
    workers: workers.states,
    workerModels: workers.models,
    decisions: decisions.length,
    tokens,
    costUsd,
    doing: now.text,
    doingSession: now.session,
    recent,
    sandbox: link.info?.sandbox?.mode ?? null,
    sandboxReason: link.info?.sandbox?.reason ?? null,
    sessionModels: modelsText(sessions.filter((s) => isLive(s) && s.model).map((s) => s.model)),
    rateLimited: link.info?.rateLimited ?? null,
  };
}

const sameRecent = (a: readonly RecentActivity[], b: readonly RecentActivity[]) =>
  a.length === b.length && a.every((x, i) => x.id === b[i]!.id && x.state === b[i]!.state && x.text === b[i]!.text);

/** Equality of two summaries, one level into the count records and the recent activity. */
export function sameSummary(a: NodeSummary, b: NodeSummary): boolean {
  for (const k of Object.keys(a) as (keyof NodeSummary)[]) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (k === 'recent') {
      if (!sameRecent(a.recent, b.recent)) return false;
      continue;
    }
    if (k === 'workerModels') {
      if (!sameByModel(a.workerModels, b.workerModels)) return false;
      continue;
    }
    if (typeof x === 'object' && x !== null && typeof y === 'object' && y !== null) {
      const xs = x as Record<string, number>;
      const ys = y as Record<string, number>;
      if (Object.keys(xs).some((i) => xs[i] !== ys[i])) return false;
      continue;
    }
    return false;
  }
  return true;
}

export function sameByModel(a: NodeSummary['workerModels'], b: NodeSummary['workerModels']): boolean {
  return WORKER_MODELS.every((m) => WORKER_STATES.every((s) => a[m][s] === b[m][s]));
}

function sumCounts<K extends string>(keys: readonly K[], parts: readonly CountBy<K>[]): CountBy<K> {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const p of parts) for (const k of keys) out[k] += p[k];
  return out;
}

export function fleetHealth(
  nodes: readonly NodeSummary[],
  rate: { tokensPerHour: number; costPerHour: number },
  spend: FleetSpend | null = null,
): FleetHealth {
  const workers = sumWorkerCounts(
    nodes.map((n) => ({ states: n.workers, models: n.workerModels, tokens: 0, costUsd: 0 })),
  );
  return {
    nodesUp: nodes.filter((n) => n.link === 'up').length,
    nodesTotal: nodes.length,
    sessions: sumCounts(
      SESSION_STATES,
      nodes.map((n) => n.sessions),
    ),
    live: nodes.reduce((a, n) => a + n.live, 0),
    readyToLand: nodes.reduce((a, n) => a + n.readyToLand, 0),
    workers: workers.states,
    workerModels: workers.models,
    decisions: nodes.reduce((a, n) => a + n.decisions, 0),
    tokens: nodes.reduce((a, n) => a + n.tokens, 0),
    costUsd: nodes.reduce((a, n) => a + n.costUsd, 0),
    ...rate,
    spend,
  };
}

/**
 * Tokens and cost per hour from monotonic counters sampled over a sliding window. Counters grow only by
 * usage deltas the cockpit saw happen, so a node connecting with a day of history does not read as a spike.
 */
export class RateMeter {
  private readonly samples: { t: number; tokens: number; cost: number }[] = [];
  private tokens = 0;
  private cost = 0;

  constructor(
    private readonly windowMs = 5 * 60_000,
    private readonly minSpanMs = 1000,
  ) {}

  add(tokens: number, cost: number): void {
    if (tokens > 0) this.tokens += tokens;
    if (cost > 0) this.cost += cost;
  }

  /** Records the counters at time t (at most one sample a second) and returns the rates per hour. */
  sample(t: number): { tokensPerHour: number; costPerHour: number } {
    const last = this.samples[this.samples.length - 1];
    if (!last || t - last.t >= 1000) this.samples.push({ t, tokens: this.tokens, cost: this.cost });
    while (this.samples.length > 1 && t - this.samples[0]!.t > this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const span = t - first.t;
    if (span < this.minSpanMs) return { tokensPerHour: 0, costPerHour: 0 };
    const perHour = 3_600_000 / span;
    return { tokensPerHour: (this.tokens - first.tokens) * perHour, costPerHour: (this.cost - first.cost) * perHour };
  }
}
