/**
 * What a node keeps of its budgets across restarts (`~/.agency/budgets.json`: each budget's mark, and the stops
 * whose decisions are open or were denied), and the words it uses for them: a paused session's reason, a budget
 * decision's summary, a refused start, and what an extension may be.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeKey, sameUnit, type Away, type BookState, type BudgetKey, type Reading } from '../budget/budgets.js';
import { amountSchema, formatAmount, type Amount, type BudgetNotice, type BudgetStop } from '../protocol/economics.js';
import type { AuditInput } from '../audit/sink.js';
import type { Decision, OpArgs } from '../protocol/messages.js';
import { writeFileAtomic } from './atomic-file.js';

export const BUDGETS_FILE = 'budgets.json';

/** A budget that ran out: the decision asking to extend it, and the sessions it paused (only those it lets go). */
export interface Stop {
  key: BudgetKey;
  decision: string;
  /** sessions this stop paused: an approval resumes these, and no others */
  paused: string[];
  /** the UTC day of a daily budget's stop; null for a session's */
  day: string | null;
  /** open: its decision waits; denied: its sessions were stopped, and starts stay refused (until the day ends) */
  state: 'open' | 'denied';
}

const ID = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
const DAY = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .nullable();
const markSchema = z.object({
  day: DAY,
  base: amountSchema.optional(),
  extra: amountSchema.nullable(),
  warned: z.boolean(),
  stopped: z.boolean(),
});
const stopSchema = z.object({
  key: z.object({ scope: z.enum(['session', 'vp', 'fleet']), subject: ID }),
  decision: ID,
  paused: z.array(ID),
  day: DAY,
  state: z.enum(['open', 'denied']),
});
const SUMS = z.object({ usd: z.number().min(0), tokens: z.number().min(0) });
const awaySchema = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  nodes: z.record(z.string().max(200), SUMS.extend({ vps: z.record(z.string().max(200), SUMS) })),
});
const fileSchema = z.object({
  version: z.literal(1),
  marks: z.record(z.string().max(200), z.unknown()),
  stops: z.array(z.unknown()),
  away: z.unknown().optional(),
});

export interface BudgetFile {
  marks: BookState;
  stops: Stop[];
  /** what the rest of the fleet spent on the last day it was told */
  away: Away | null;
}

const problem = (e: z.ZodError): string => `${e.issues[0]!.path.join('.') || 'it'}: ${e.issues[0]!.message}`;

/**
 * Reads what the node kept, entry by entry: an entry that does not hold is dropped with a warning naming it, the
 * others kept; a file that does not hold at all is a warning, and the node starts with no marks.
 */
export function loadBudgets(home: string, warn: (text: string) => void): BudgetFile {
  const file = join(home, BUDGETS_FILE);
  const none: BudgetFile = { marks: {}, stops: [], away: null };
  if (!existsSync(file)) return none;
  let top: z.infer<typeof fileSchema>;
  try {
    const r = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!r.success) throw new Error(problem(r.error));
    top = r.data;
  } catch (e) {
    warn(
      `${file} cannot be used (${(e as Error).message}): budgets count from what the ledger holds, with no extensions`,
    );
    return none;
  }
  const dropped: string[] = [];
  const marks: BookState = {};
  for (const [name, m] of Object.entries(top.marks)) {
    const r = markSchema.safeParse(m);
    if (r.success) marks[name] = r.data;
    else dropped.push(`marks.${name} (${problem(r.error)})`);
  }
  const stops: Stop[] = [];
  top.stops.forEach((st, i) => {
    const r = stopSchema.safeParse(st);
    if (r.success) stops.push(r.data);
    else dropped.push(`stops.${i} (${problem(r.error)})`);
  });
  const a = top.away === undefined || top.away === null ? null : awaySchema.safeParse(top.away);
  if (a && !a.success) dropped.push(`away (${problem(a.error)})`);
  if (dropped.length) warn(`${file}: dropped what does not hold, kept the rest: ${dropped.join('; ')}`);
  return { marks, stops, away: a?.success ? a.data : null };
}

export function saveBudgets(home: string, f: BudgetFile): void {
  writeFileAtomic(join(home, BUDGETS_FILE), `${JSON.stringify({ version: 1, ...f })}\n`);
}

/** What to do about a spent daily budget, for a refused start: answer its open decision, or raise it, or wait. */
export function refusalWay(r: Reading, stop: Stop | undefined, preset: Amount): string {
  if (stop?.state === 'open')
    return `approve decision ${stop.decision} to extend it (${approveHint(stop.decision, preset)})`;
  const setting = r.scope === 'fleet' ? 'budgets.fleetDaily' : `budgets.vps.${r.subject} (or budgets.vpDaily)`;
  const why = stop ? 'extending it was denied today' : 'no decision about it is open on this node';
  return `${why}: raise ${setting} in the config and run any agency command (or agency push), or wait for the next UTC day`;
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6;

/** A budget notice's figures (the guard adds the session and the decision). */
export function noticeOf(r: Reading, state: BudgetNotice['state']): Omit<BudgetNotice, 'session' | 'decision'> {
  return {
    scope: r.scope,
    subject: r.subject,
    state,
    limit: r.limit,
    spent: round(r.spent),
    at: new Date().toISOString(),
  };
}

/** The audit entry of a warning or a refused start. */
export function noticeAudit(
  r: Reading,
  state: 'warned' | 'refused',
  session: string | null,
  warnAt: number,
): AuditInput {
  return {
    kind: 'budget',
    by: 'node',
    session,
    summary:
      state === 'warned'
        ? `${describeKey(r)} budget passed ${Math.round(warnAt * 100)} % (${round(r.spent)} of ${formatAmount(r.limit)})`
        : `start refused: ${spentLine(r)}`,
    detail: { state, scope: r.scope, subject: r.subject, limit: r.limit, spent: r.spent },
  };
}

/** The audit entry of a stop: what it paused, and its decision. */
export function stoppedAudit(r: Reading, on: string, paused: string[], decision: string): AuditInput {
  return {
    kind: 'budget',
    by: 'node',
    session: on,
    summary: `${spentLine(r)}: paused ${paused.length ? paused.join(', ') : 'nothing'}; decision ${decision}`,
    detail: { state: 'stopped', scope: r.scope, subject: r.subject, limit: r.limit, spent: r.spent, decision, paused },
  };
}

export function deniedAudit(stop: Stop, by: string): AuditInput {
  return {
    kind: 'budget',
    by,
    session: null,
    summary: `${describeKey(stop.key)} budget not extended: its sessions stopped`,
    detail: { state: 'denied', scope: stop.key.scope, subject: stop.key.subject, decision: stop.decision },
  };
}

export function extendedAudit(stop: Stop, by: string, amount: Amount, after: Reading): AuditInput {
  return {
    kind: 'budget',
    by,
    session: null,
    summary: `${describeKey(stop.key)} budget extended by ${formatAmount(amount)} to ${formatAmount(after.limit)}`,
    detail: {
      state: 'extended',
      scope: stop.key.scope,
      subject: stop.key.subject,
      by: amount,
      limit: after.limit,
      spent: after.spent,
      decision: stop.decision,
    },
  };
}

/** The spend of a reading as people read it, in the limit's unit. */
export function spentText(r: Pick<Reading, 'limit' | 'spent'>): string {
  if ('usd' in r.limit) return r.spent === 0 ? '$0' : formatAmount({ usd: Math.max(r.spent, 0.0001) });
  return r.spent === 0 ? '0 tokens' : formatAmount({ tokens: Math.round(r.spent) });
}

/** `session s-1a2b's budget of $0.02 is spent ($0.0213)` */
export function spentLine(r: Reading): string {
  return `${describeKey(r)} budget of ${formatAmount(r.limit)} is spent (${spentText(r)}${r.day ? ` on ${r.day}` : ''})`;
}

/** How the operator extends it from the command line. */
export const approveHint = (decision: string, preset: Amount) =>
  `agency approve ${decision} --amount ${formatAmount(preset)}`;

/** A paused session's reason: one line naming the budget, its spend, and the decision. */
export function pausedReason(r: Reading, decision: string, preset: Amount): string {
  return `budget: ${spentLine(r)}; extend it with ${approveHint(decision, preset)}, or deny ${decision} to stop`;
}

/** The budget decision's summary: one line. */
export function decisionSummary(r: Reading, paused: number, preset: Amount): string {
  const what = paused === 1 ? '1 session paused' : `${paused} sessions paused`;
  return `${spentLine(r)}: ${what}; approve to extend it (by ${formatAmount(preset)} unless you name an amount), deny to stop`;
}

/** The decision's input, for the operator's views. */
export function stopInput(r: Reading, presets: Amount[]): BudgetStop {
  return { scope: r.scope, subject: r.subject, limit: r.limit, spent: r.spent, day: r.day, presets };
}

/** Why an answer cannot be taken as given: an amount for a decision that is not a budget's, or in the wrong unit. */
export function extensionProblem(d: Decision, args: Pick<OpArgs['decide'], 'approve' | 'amount'>): string | null {
  if (d.source !== 'budget')
    return args.amount ? 'an amount answers a budget decision only; this one is not about a budget' : null;
  const stop = d.input as Partial<BudgetStop> | null;
  if (!args.amount || !args.approve || !stop?.limit) return null;
  return sameUnit(stop.limit, args.amount)
    ? null
    : `this budget is in ${'usd' in stop.limit ? 'dollars: extend it by dollars ($0.50)' : 'tokens: extend it by tokens (200k)'}`;
}
