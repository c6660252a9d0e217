/**
 * What a node keeps of its budgets across restarts (`~/.agency/budgets.json`: each budget's mark, and the stops
 * whose decisions are open or were denied), and the words it uses for them: a paused session's reason, a budget
 * decision's summary, a refused start, and what an extension may be.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeKey, sameUnit, type BookState, type BudgetKey, type Reading } from '../budget/budgets.js';
import { amountSchema, formatAmount, type Amount, type BudgetStop } from '../protocol/economics.js';
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
const fileSchema = z.object({
  version: z.literal(1),
  marks: z.record(
    z.string().max(200),
    z.object({
      day: DAY,
      base: amountSchema.optional(),
      extra: amountSchema.nullable(),
      warned: z.boolean(),
      stopped: z.boolean(),
    }),
  ),
  stops: z.array(
    z.object({
      key: z.object({ scope: z.enum(['session', 'vp', 'fleet']), subject: ID }),
      decision: ID,
      paused: z.array(ID),
      day: DAY,
      state: z.enum(['open', 'denied']),
    }),
  ),
});

export interface BudgetFile {
  marks: BookState;
  stops: Stop[];
}

/** Reads what the node kept; a file that does not hold is a warning, and the node starts with no marks. */
export function loadBudgets(home: string, warn: (text: string) => void): BudgetFile {
  const file = join(home, BUDGETS_FILE);
  if (!existsSync(file)) return { marks: {}, stops: [] };
  try {
    const r = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!r.success) throw new Error(`${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`);
    return { marks: r.data.marks as BookState, stops: r.data.stops };
  } catch (e) {
    warn(
      `${file} cannot be used (${(e as Error).message}): budgets count from what the ledger holds, with no extensions`,
    );
    return { marks: {}, stops: [] };
  }
}

export function saveBudgets(home: string, f: BudgetFile): void {
  writeFileAtomic(join(home, BUDGETS_FILE), `${JSON.stringify({ version: 1, ...f })}\n`);
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
