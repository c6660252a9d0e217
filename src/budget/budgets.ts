/**
 * Budgets and their stops, as pure bookkeeping: which budgets hold for a session, its VP and the fleet, what each
 * has spent, when one passes its warning mark (once; once a day for the daily ones) or runs out, and what an
 * extension adds (to a daily budget, until its day ends). The node's budget guard feeds it spend and acts on
 * what it says; nothing here touches a process, a file or the clock except through what it is given.
 */
import {
  MAX_AMOUNT,
  MIN_TOKENS,
  MIN_USD,
  amountValue,
  spentIn,
  type Amount,
  type BudgetScope,
  type Budgets,
  type Spend,
  type SpendElsewhere,
} from '../protocol/economics.js';

export const DEFAULT_WARN_AT = 0.8;

/** One budget: a session's, a VP's of a day, or the fleet's of a day. */
export interface BudgetKey {
  scope: BudgetScope;
  /** the session's id, the VP's id, or `fleet` */
  subject: string;
}

export const keyName = (k: BudgetKey): string => (k.scope === 'fleet' ? 'fleet' : `${k.scope}:${k.subject}`);

/** What a budget keeps besides the limit the settings give it. */
export interface Mark {
  /** the UTC day a daily budget's mark is of; null for a session's */
  day: string | null;
  /** a session's own limit (run --budget, its discipline's, or the config's when it started) */
  base?: Amount;
  /** what extensions added, in the unit they were given (one that is not the budget's unit counts nothing) */
  extra: Amount | null;
  warned: boolean;
  /** it ran out and a decision is asked (or was denied): it is not asked again until it is extended */
  stopped: boolean;
}

export type BookState = Record<string, Mark>;

type Sums = { usd: number; tokens: number };
/** What the rest of the fleet spent on a day, per node it came from (`*`: a report that named no nodes). */
export interface Away {
  day: string;
  nodes: Record<string, Sums & { vps: Record<string, Sums> }>;
}

/** Where a budget stands. */
export interface Reading extends BudgetKey {
  /** the limit with what extensions added */
  limit: Amount;
  /** spent, in the limit's unit */
  spent: number;
  day: string | null;
}

export type Crossing = 'warned' | 'stopped';

/** The same unit: both dollars or both tokens. */
export const sameUnit = (a: Amount, b: Amount): boolean => 'usd' in a === 'usd' in b;

/** a + b, or why they cannot be added. */
export function addAmounts(a: Amount, b: Amount): Amount | { problem: string } {
  if (!sameUnit(a, b))
    return {
      problem: `this budget is in ${'usd' in a ? 'dollars' : 'tokens'}: extend it by ${'usd' in a ? 'dollars ($0.50)' : 'tokens (200k)'}`,
    };
  const sum: Amount =
    'usd' in a
      ? { usd: Math.round((a.usd + (b as { usd: number }).usd) * 1e6) / 1e6 }
      : { tokens: a.tokens + (b as { tokens: number }).tokens };
  const max = 'usd' in sum ? MAX_AMOUNT.usd : MAX_AMOUNT.tokens;
  if (amountValue(sum) > max)
    return {
      problem: `that would make the budget ${'usd' in sum ? `$${sum.usd}` : `${sum.tokens} tokens`}, past the most a budget may be (${'usd' in sum ? `$${max}` : `${max} tokens`}): extend it by less`,
    };
  return sum;
}

const scaled = (a: Amount, f: number): Amount =>
  'usd' in a
    ? { usd: Math.max(MIN_USD, Math.round(a.usd * f * 1e6) / 1e6) }
    : { tokens: Math.max(MIN_TOKENS, Math.round(a.tokens * f)) };

/** What a budget decision offers: the config's presets in the budget's unit, else half the budget and the whole again. */
export function presetsFor(limit: Amount, b: Budgets | undefined): Amount[] {
  const mine = (b?.presets ?? []).filter((p) => sameUnit(p, limit));
  return mine.length ? mine : [scaled(limit, 0.5), scaled(limit, 1)];
}

/** A session's own budget: the run's, else its discipline's, else the config's for every session; null for none. */
export function sessionLimit(
  run: Amount | undefined,
  discipline: Amount | undefined,
  b: Budgets | undefined,
): Amount | null {
  return run ?? discipline ?? b?.session ?? null;
}

/** A VP's daily budget: its own, else the one every VP has. */
export const vpLimit = (vp: string, b: Budgets | undefined): Amount | null => b?.vps?.[vp] ?? b?.vpDaily ?? null;

export const fleetLimit = (b: Budgets | undefined): Amount | null => b?.fleetDaily ?? null;

/** The ledger's figures a check needs: a session's spend (its workers' counted in), and today's per node and VP. */
export interface SpendView {
  session(id: string): Spend;
  today(): { day: string; node: Spend; vps: Map<string, Spend> };
}

/**
 * The node's budgets: its settings, what the rest of the fleet spent today, and each budget's mark. Readings add
 * the rest of the fleet's spend to the node's own for the daily budgets; a session's is its own alone.
 */
export class BudgetBook {
  private budgets: Budgets | undefined;
  private away: Away | null;
  private readonly marks: Map<string, Mark>;

  constructor(state: BookState = {}, away: Away | null = null) {
    this.marks = new Map(Object.entries(state));
    this.away = away;
  }

  settings(b: Budgets | undefined): void {
    this.budgets = b;
  }

  get config(): Budgets | undefined {
    return this.budgets;
  }

  get warnAt(): number {
    return this.budgets?.warnAt ?? DEFAULT_WARN_AT;
  }

  /**
   * What the rest of the fleet spent (budget-sync): per node it came from, the highest figure heard that day, so
   * a report that is late or of a node that restarted lowers nothing. Returns whether a figure went up.
   */
  sync(e: SpendElsewhere): boolean {
    if (this.away && e.day < this.away.day) return false;
    if (this.away?.day !== e.day) this.away = { day: e.day, nodes: {} };
    const from = e.nodes ?? { '*': { ...e.fleet, vps: e.vps } };
    let up = false;
    for (const [node, n] of Object.entries(from)) {
      const kept = (this.away.nodes[node] ??= { usd: 0, tokens: 0, vps: {} });
      up = raise(kept, n) || up;
      for (const [vp, v] of Object.entries(n.vps)) up = raise((kept.vps[vp] ??= { usd: 0, tokens: 0 }), v) || up;
    }
    return up;
  }

  /** The rest of the fleet's figures, to keep across a restart. */
  elsewhere(): Away | null {
    return this.away;
  }

  /** A session starts to be counted, with its own limit (kept across restarts in the book's state). */
  addSession(id: string, base: Amount): void {
    if (!this.marks.has(keyName({ scope: 'session', subject: id })))
      this.marks.set(keyName({ scope: 'session', subject: id }), {
        day: null,
        base,
        extra: null,
        warned: false,
        stopped: false,
      });
  }

  dropSession(id: string): void {
    this.marks.delete(keyName({ scope: 'session', subject: id }));
  }

  /** Whether a budget passed its warning mark (for a daily one: on `day`). */
  warned(key: BudgetKey, day: string | null): boolean {
    const m = this.marks.get(keyName(key));
    return !!m && m.warned && (key.scope === 'session' || m.day === day);
  }

  hasSession(id: string): boolean {
    return this.marks.has(keyName({ scope: 'session', subject: id }));
  }

  /** Where a budget stands now, or null when no such budget is set. */
  read(key: BudgetKey, spend: SpendView): Reading | null {
    if (key.scope === 'session') {
      const m = this.marks.get(keyName(key));
      if (!m?.base) return null;
      return {
        ...key,
        limit: withExtra(m.base, m.extra),
        spent: spentIn(m.base, spend.session(key.subject)),
        day: null,
      };
    }
    const base = key.scope === 'vp' ? vpLimit(key.subject, this.budgets) : fleetLimit(this.budgets);
    if (!base) return null;
    const today = spend.today();
    const m = this.daily(key, today.day);
    const own = key.scope === 'vp' ? today.vps.get(key.subject) : today.node;
    const away = this.away?.day === today.day ? this.awayFor(key) : null;
    const spent = (own ? spentIn(base, own) : 0) + (away ? ('usd' in base ? away.usd : away.tokens) : 0);
    return { ...key, limit: withExtra(base, m.extra), spent, day: today.day };
  }

  /** Marks what a reading crossed: its warning mark (once), or its limit (once, until extended). */
  observe(r: Reading): Crossing | null {
    const m = this.mark(r);
    const limit = amountValue(r.limit);
    if (r.spent >= limit) {
      m.warned = true;
      if (m.stopped) return null;
      m.stopped = true;
      return 'stopped';
    }
    if (r.spent >= limit * this.warnAt && !m.warned) {
      m.warned = true;
      return 'warned';
    }
    return null;
  }

  /** Whether a budget ran out and was not extended since (for a daily one: today). */
  stopped(key: BudgetKey, day: string | null): boolean {
    const m = this.marks.get(keyName(key));
    return !!m && m.stopped && (key.scope === 'session' || m.day === day);
  }

  /** The stop is over (its limit was raised, or its day ended): a later crossing stops it again. */
  clearStop(key: BudgetKey): void {
    const m = this.marks.get(keyName(key));
    if (m) m.stopped = false;
  }

  /** Adds to a budget (a daily one until its day ends); the reading after, or why it cannot. */
  extend(key: BudgetKey, by: Amount, spend: SpendView): Reading | { problem: string } {
    const before = this.read(key, spend);
    if (!before) return { problem: `there is no ${describeKey(key)} budget to extend` };
    const m = this.mark(before);
    // the limit it would make: past the largest a budget may be, it is refused
    const total = addAmounts(before.limit, by);
    if ('problem' in total) return total;
    const sum = m.extra ? addAmounts(m.extra, by) : sameUnit(before.limit, by) ? by : addAmounts(before.limit, by);
    if ('problem' in sum) return sum;
    m.extra = sum;
    const after = this.read(key, spend)!;
    if (after.spent < amountValue(after.limit)) {
      m.stopped = false;
      // passed the mark again after the extension: warned again only if it comes near the new limit
      m.warned = after.spent >= amountValue(after.limit) * this.warnAt;
    }
    return after;
  }

  /** What to keep across a restart. */
  state(): BookState {
    return Object.fromEntries(this.marks);
  }

  private awayFor(key: BudgetKey): Sums | null {
    if (!this.away) return null;
    const all = Object.entries(this.away.nodes);
    // per-node reports, when there are any, are the whole of it; an old report's total only stands alone
    const from = all.some(([n]) => n !== '*') ? all.filter(([n]) => n !== '*') : all;
    const sum = { usd: 0, tokens: 0 };
    for (const [, n] of from) {
      const s = key.scope === 'fleet' ? n : n.vps[key.subject];
      if (!s) continue;
      sum.usd += s.usd;
      sum.tokens += s.tokens;
    }
    return sum;
  }

  private mark(r: Reading): Mark {
    return r.scope === 'session' ? this.marks.get(keyName(r))! : this.daily(r, r.day!);
  }

  /** A daily budget's mark for `day`: a new day starts clean. */
  private daily(key: BudgetKey, day: string): Mark {
    const name = keyName(key);
    let m = this.marks.get(name);
    if (!m || m.day !== day) {
      m = { day, extra: null, warned: false, stopped: false };
      this.marks.set(name, m);
    }
    return m;
  }
}

/** Raises each figure of `kept` to `to`'s where that is higher; whether one rose. */
function raise(kept: Sums, to: Sums): boolean {
  const up = to.usd > kept.usd || to.tokens > kept.tokens;
  kept.usd = Math.max(kept.usd, to.usd);
  kept.tokens = Math.max(kept.tokens, to.tokens);
  return up;
}

const withExtra = (base: Amount, extra: Amount | null): Amount => {
  if (!extra || !sameUnit(base, extra)) return base;
  return addAmounts(base, extra) as Amount;
};

/** `session s-1a2b`, `VP research's daily`, `the fleet's daily`. */
export function describeKey(k: BudgetKey): string {
  if (k.scope === 'session') return `session ${k.subject}'s`;
  if (k.scope === 'vp') return `VP ${k.subject}'s daily`;
  return "the fleet's daily";
}
