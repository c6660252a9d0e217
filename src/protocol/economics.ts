/**
 * The shapes of agency's economics and oversight: budgets and what they stop, rate limits, model routing, the
 * spend a node records per turn, and its audit trail. Scripts read them in `--json` output (docs/economics.md).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { WORKER_TIER_PROBLEM, workerTier } from './workers.js';

/** An amount of spend: dollars, or tokens (input, output and both kinds of cache tokens, all counted). */
export type Amount = { usd: number } | { tokens: number };

/** Largest amount a budget may name: far past anything real, small enough to add without losing precision. */
const MAX_USD = 1_000_000;
const MAX_TOKENS = 1e13;
/** Smallest: a budget, an extension and each preset offered is at least this (smaller ones would round to nothing). */
export const MIN_USD = 0.001;
export const MIN_TOKENS = 100;
export const MAX_AMOUNT = { usd: MAX_USD, tokens: MAX_TOKENS } as const;

export const amountSchema = z.union([
  z.strictObject({ usd: z.number().min(MIN_USD, `a budget is at least $${MIN_USD}`).max(MAX_USD) }),
  z.strictObject({ tokens: z.int().min(MIN_TOKENS, `a budget is at least ${MIN_TOKENS} tokens`).max(MAX_TOKENS) }),
]);

/** Tokens and dollars spent, side by side. */
export interface Spend {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  costUsd: number;
}

export function noSpend(): Spend {
  return { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, costUsd: 0 };
}

/** Adds `s` to `to`, field by field. */
export function addSpend(to: Spend, s: Spend): void {
  to.inputTokens += s.inputTokens;
  to.outputTokens += s.outputTokens;
  to.cacheCreationTokens += s.cacheCreationTokens;
  to.cacheReadTokens += s.cacheReadTokens;
  to.costUsd += s.costUsd;
}

/** Every token a spend counts: what a budget in tokens is measured in. */
export function tokensOf(s: Spend): number {
  return s.inputTokens + s.outputTokens + s.cacheCreationTokens + s.cacheReadTokens;
}

/** How much of an amount's unit a spend is: dollars for a budget in dollars, tokens for one in tokens. */
export function spentIn(a: Amount, s: Spend): number {
  return 'usd' in a ? s.costUsd : tokensOf(s);
}

/** The amount's number, whatever its unit. */
export const amountValue = (a: Amount): number => ('usd' in a ? a.usd : a.tokens);

/** `$0.02`, `1.5 usd`, `200k tokens`, `2M`: the one way an amount is read from the command line or the config. */
export function parseAmount(text: string): Amount | { problem: string } {
  const t = text.trim().replace(/_/g, '');
  const usd = /^\$\s*(\d+(?:\.\d+)?)$|^(\d+(?:\.\d+)?)\s*(?:usd|dollars?)$/i.exec(t);
  if (usd) {
    const v = Number(usd[1] ?? usd[2]);
    if (!(v >= MIN_USD) || v > MAX_USD)
      return { problem: `${text}: a dollar amount is at least $${MIN_USD} and at most $${MAX_USD}` };
    return { usd: v };
  }
  // tokens need a unit: k, M, or the word (a bare number could be dollars or tokens)
  const tok = /^(\d+(?:\.\d+)?)\s*(?:([kKmM])\s*(?:tokens?)?|tokens?)$/.exec(t);
  if (tok) {
    const scale = tok[2] ? (tok[2].toLowerCase() === 'k' ? 1e3 : 1e6) : 1;
    const n = Math.round(Number(tok[1]) * scale);
    if (!(n >= MIN_TOKENS) || n > MAX_TOKENS)
      return { problem: `${text}: a token amount is at least ${MIN_TOKENS} and at most ${MAX_TOKENS}` };
    return { tokens: n };
  }
  return {
    problem: `${JSON.stringify(text)} is not an amount: write dollars as $0.50 (or 0.50usd) and tokens as 200k, 2M or 5000 tokens`,
  };
}

/** Why a split does not take a budget. */
export const SPLIT_BUDGET =
  "a budget is one session's own, and a split starts one session per discipline, each of which would have all of it: run the parts one by one with --discipline and --budget each, or cap them together with budgets.vpDaily or budgets.fleetDaily in the config";

/** An amount as people read it: `$0.02`, `200k tokens`. */
export function formatAmount(a: Amount): string {
  if ('usd' in a)
    return `$${
      a.usd < 1
        ? a.usd
            .toFixed(a.usd < 0.1 ? 4 : 2)
            .replace(/0+$/, '')
            .replace(/\.$/, '')
        : a.usd.toFixed(2)
    }`;
  const n = a.tokens;
  const short = n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n);
  return `${short} tokens`;
}

/** What a budget is of: one session (its workers' spend included), a VP's sessions today, the fleet today. */
export type BudgetScope = 'session' | 'vp' | 'fleet';

/** A session's own budget and where it stands (its workers' spend counted in). */
export interface SessionBudget {
  limit: Amount;
  /** spent so far, in the limit's unit */
  spent: number;
  /** the operator was told it passed the warning mark (80 % unless set otherwise) */
  warned: boolean;
}

/**
 * Why a session is held: `operator` paused it; `budget` paused it when a budget ran out (a decision asks to
 * extend it or stop); `queued` it has not started, waiting its turn under a rate limit.
 */
export type HeldFor = 'operator' | 'budget' | 'queued';

/** A budget that ran out, as the budget decision's input carries it. */
export interface BudgetStop {
  scope: BudgetScope;
  /** the session's id, the VP's id, or `fleet` */
  subject: string;
  limit: Amount;
  /** spent, in the limit's unit */
  spent: number;
  /** the UTC day a daily budget is of (YYYY-MM-DD); null for a session's */
  day: string | null;
  /** amounts the operator may extend it by with one key */
  presets: Amount[];
}

/**
 * What happened to a budget, as the node tells its watchers (the operator's notifications, Slack, the audit
 * trail): `warned` it passed the warning mark, `stopped` it ran out (its sessions paused, a decision open),
 * `extended` the operator gave it more, `refused` a start was refused over it.
 */
export interface BudgetNotice {
  scope: BudgetScope;
  /** the session's id, the VP's id, or `fleet` */
  subject: string;
  state: 'warned' | 'stopped' | 'extended' | 'refused';
  limit: Amount;
  spent: number;
  /** the session that crossed it, or that was refused */
  session: string | null;
  /** the budget decision asking to extend it, when stopped */
  decision: string | null;
  at: string;
}

/** The budgets a node enforces, as the operator's config sets them (resolved for that node). */
export const budgetsSchema = z.strictObject({
  /** each session's, unless `run --budget` or its discipline names one */
  session: amountSchema.optional(),
  /** each VP's per UTC day (its sessions and their workers, across the fleet) */
  vpDaily: amountSchema.optional(),
  /** one VP's per day, instead of vpDaily */
  vps: z.record(z.string(), amountSchema).optional(),
  /** the whole fleet's per UTC day */
  fleetDaily: amountSchema.optional(),
  /** the share of a budget at which the operator is told (0.8: at 80 %) */
  warnAt: z.number().gt(0).lt(1).optional(),
  /** what a budget decision offers to extend by (default: half the budget, and the whole budget again) */
  presets: z.array(amountSchema).max(5).optional(),
});
export type Budgets = z.infer<typeof budgetsSchema>;

/** Rate limits: token buckets. Work over a bucket waits `queued`, oldest first, and never fails. */
export const ratesSchema = z.strictObject({
  /** session starts per minute, per VP (a session of no VP counts against the node's own bucket) */
  startsPerMinute: z.number().positive().max(10_000).optional(),
  /** one VP's, instead of startsPerMinute */
  vps: z.record(z.string(), z.strictObject({ startsPerMinute: z.number().positive().max(10_000) })).optional(),
  /** tokens per minute on the node: while its bucket is empty, new sessions and workers wait */
  tokensPerMinute: z.int().positive().optional(),
});
export type Rates = z.infer<typeof ratesSchema>;

const modelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:[\]-]{0,127}$/, 'not a model name');
const workerModelName = modelName.refine((m) => workerTier(m) !== null, WORKER_TIER_PROBLEM);
/** Which model sessions and workers use, overriding the registry: for every discipline, or per discipline. */
export const modelsSchema = z.strictObject({
  session: modelName.optional(),
  worker: workerModelName.optional(),
  disciplines: z
    .record(z.string(), z.strictObject({ session: modelName.optional(), worker: workerModelName.optional() }))
    .optional(),
});
export type Models = z.infer<typeof modelsSchema>;

/** What the operator's config gives a node (`settings-apply`), resolved for that node. */
export const nodeSettingsSchema = z.strictObject({
  budgets: budgetsSchema.optional(),
  rates: ratesSchema.optional(),
  models: modelsSchema.optional(),
});
export type NodeSettings = z.infer<typeof nodeSettingsSchema>;

/**
 * What the rest of the fleet spent today, as the operator's cockpit last told the node (`budget-sync`): the
 * node adds its own to enforce the fleet's and its VPs' daily budgets.
 */
const sumsSchema = z.strictObject({ usd: z.number().min(0), tokens: z.number().min(0) });
export const spendElsewhereSchema = z.strictObject({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  fleet: sumsSchema,
  vps: z.record(z.string(), sumsSchema),
  /** each other node's figures of the day: a node keeps the highest it heard of each, so a stale report lowers nothing */
  nodes: z
    .record(
      z.string().max(200),
      z.strictObject({ usd: z.number().min(0), tokens: z.number().min(0), vps: z.record(z.string(), sumsSchema) }),
    )
    .optional(),
});
export type SpendElsewhere = z.infer<typeof spendElsewhereSchema>;

/** One turn the node recorded: an API call's usage, of a session or of one of its workers. */
export interface Turn {
  at: string;
  session: string;
  /** the worker's id, when a worker made the call */
  worker: string | null;
  vp: string | null;
  discipline: string;
  model: string;
  spend: Spend;
}

/** A node's spend for the cockpit's header and charts. */
export interface NodeSpend {
  /** the UTC day `today` is of */
  day: string;
  today: Spend;
  /** the last 24 hours, oldest first, one entry per clock hour (UTC), the current hour last */
  hours: { hour: string; costUsd: number; tokens: number }[];
  /** the last 60 minutes (to the minute) */
  lastHour?: { costUsd: number; tokens: number };
  /** today, per VP */
  vps: Record<string, Spend>;
}

export type CostBy = 'session' | 'vp' | 'node' | 'discipline' | 'model';
export const COST_BY: readonly CostBy[] = ['session', 'vp', 'node', 'discipline', 'model'];

export interface CostRow extends Spend {
  /** the session, VP, node, discipline or model; `(none)` for turns of no VP */
  key: string;
  turns: number;
}

export interface CostResult {
  by: CostBy;
  /** ISO time the figures start from, or null for all recorded */
  since: string | null;
  rows: CostRow[];
  total: CostRow;
}

/** What the audit trail records. */
export type AuditKind =
  | 'run'
  | 'compile'
  | 'decision-asked'
  | 'decision-answered'
  | 'guard-block'
  | 'pause'
  | 'resume'
  | 'stop'
  | 'budget'
  | 'push'
  | 'org'
  | 'settings'
  | 'node-start';

/** One entry of a node's audit trail: chained to the one before it by `prev`, the SHA-256 of that entry's line. */
export interface AuditEntry {
  /** 1, 2, 3 … across rotations */
  seq: number;
  at: string;
  node: string;
  kind: AuditKind;
  session: string | null;
  /** who did it: `operator`, `policy:<rule>`, `slack:<user>`, `node` (budgets, rate limits) or `session` */
  by: string;
  /** one line for people */
  summary: string;
  /** what else matters for that kind (never a secret) */
  detail: Record<string, unknown>;
  /** hex SHA-256 of the previous entry's line, or 64 zeros for the first */
  prev: string;
}

export interface AuditVerify {
  node: string;
  ok: boolean;
  entries: number;
  files: string[];
  /** the first entry that does not hold: its seq (or the line, when it cannot be read), file and why */
  broken: { seq: number | null; file: string; line: number; why: string } | null;
}

/** JSON with keys sorted at every level: the same settings give the same text, whatever order they were written in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** The SHA-256 of settings: a node reports it (NodeInfo.settings), so the operator's side sends them only when they differ. */
export function settingsHash(s: NodeSettings): string {
  return createHash('sha256').update(canonical(s)).digest('hex');
}
