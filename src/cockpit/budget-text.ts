/**
 * Budget decisions as the operator reads and answers them, in the TUI and the CLI alike: what ran out, its spend
 * and limit, the presets to extend it by, and the amount an answer names (typed, or a preset's number).
 */
import { z } from 'zod';
import { amountSchema, formatAmount, parseAmount, type Amount, type BudgetStop } from '../protocol/economics.js';
import type { Decision } from '../protocol/messages.js';

const stopSchema = z.object({
  scope: z.enum(['session', 'vp', 'fleet']),
  subject: z.string().max(200),
  limit: amountSchema,
  spent: z.number().min(0),
  day: z.string().max(10).nullable(),
  presets: z.array(amountSchema).max(10),
});

/** A budget decision's input, checked (it comes from a node); null for any other decision or one that does not hold. */
export function budgetStopOf(d: Pick<Decision, 'source' | 'input'>): BudgetStop | null {
  if (d.source !== 'budget') return null;
  const r = stopSchema.safeParse(d.input);
  return r.success ? r.data : null;
}

/** Spend in a limit's unit: `$0.0213`, `12.3k tokens`. */
export function spentIn(stop: Pick<BudgetStop, 'limit' | 'spent'>): string {
  if (stop.spent <= 0) return 'usd' in stop.limit ? '$0' : '0 tokens';
  return formatAmount('usd' in stop.limit ? { usd: stop.spent } : { tokens: Math.max(1, Math.round(stop.spent)) });
}

/** `VP research's daily budget (2025-01-02)`, `session s-1a2b's budget`, `the fleet's daily budget`. */
export function budgetName(stop: Pick<BudgetStop, 'scope' | 'subject' | 'day'>): string {
  const day = stop.day ? ` (${stop.day})` : '';
  if (stop.scope === 'session') return `session ${stop.subject}'s budget`;
  if (stop.scope === 'vp') return `VP ${stop.subject}'s daily budget${day}`;
  return `the fleet's daily budget${day}`;
}

/** One line: what a decision asks; a budget decision's with its spend, limit and presets. */
export function decisionText(d: Pick<Decision, 'source' | 'input' | 'tool' | 'summary'>): string {
  const stop = budgetStopOf(d);
  if (!stop) return `${d.tool}: ${d.summary}`;
  const presets = stop.presets.map((p, i) => `${i + 1}: ${formatAmount(p)}`).join(', ');
  return `budget: ${budgetName(stop)}: ${spentIn(stop)} spent of ${formatAmount(stop.limit)}; approve extends it (${presets}, or any amount), deny stops its sessions`;
}

/** The amount an answer names: nothing (the first preset), a preset's number, or an amount typed. */
export function amountAnswer(text: string, presets: readonly Amount[]): Amount | { problem: string } {
  const t = text.trim();
  if (t === '') return presets[0] ?? { problem: 'this decision offers no preset: type an amount ($0.50, 200k)' };
  if (/^[1-9]$/.test(t)) {
    const p = presets[Number(t) - 1];
    return p ?? { problem: `there are ${presets.length} presets: type 1 to ${presets.length}, or an amount` };
  }
  return parseAmount(t);
}

export { formatAmount };
