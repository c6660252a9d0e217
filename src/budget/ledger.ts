/**
 * The spend a node records, one turn (an API call of a session or of one of its workers) at a time. Budgets are
 * enforced from it (a turn is heard the moment it is recorded), and `agency cost` and the cockpit's charts read
 * it. The node's ledger keeps it on disk (spend-log.ts); `SpendTotals` is the running sums every ledger keeps.
 */
import { noSpend, type Spend, type Turn } from '../protocol/economics.js';

export interface SpendLedger {
  /** Records a turn; its listeners hear of it at once. */
  record(t: Turn): void;
  onTurn(f: (t: Turn) => void): () => void;
  /** everything a session spent, its workers' turns included */
  session(id: string): Spend;
  /** today's spend (UTC day): the node's, per VP (turns of no VP are not in `vps`) */
  today(): { day: string; node: Spend; vps: Map<string, Spend> };
}

export function addSpend(to: Spend, s: Spend): void {
  to.inputTokens += s.inputTokens;
  to.outputTokens += s.outputTokens;
  to.cacheCreationTokens += s.cacheCreationTokens;
  to.cacheReadTokens += s.cacheReadTokens;
  to.costUsd += s.costUsd;
}

/** The running sums of a ledger: per session (all time), and per UTC day for the node and each VP. */
export class SpendTotals {
  private readonly sessions = new Map<string, Spend>();
  private day = '';
  private node = noSpend();
  private vps = new Map<string, Spend>();

  add(t: Turn): void {
    let s = this.sessions.get(t.session);
    if (!s) this.sessions.set(t.session, (s = noSpend()));
    addSpend(s, t.spend);
    const day = t.at.slice(0, 10);
    if (day < this.day) return;
    if (day > this.day) {
      this.day = day;
      this.node = noSpend();
      this.vps = new Map();
    }
    addSpend(this.node, t.spend);
    if (t.vp !== null) {
      let v = this.vps.get(t.vp);
      if (!v) this.vps.set(t.vp, (v = noSpend()));
      addSpend(v, t.spend);
    }
  }

  session(id: string): Spend {
    return { ...(this.sessions.get(id) ?? noSpend()) };
  }

  today(now = new Date()): { day: string; node: Spend; vps: Map<string, Spend> } {
    const day = now.toISOString().slice(0, 10);
    if (day !== this.day) return { day, node: noSpend(), vps: new Map() };
    return { day, node: { ...this.node }, vps: new Map([...this.vps].map(([k, v]) => [k, { ...v }])) };
  }
}

/** A ledger that keeps nothing on disk: the sums alone (tests, tools). */
export class MemoryLedger implements SpendLedger {
  private readonly totals = new SpendTotals();
  private readonly listeners = new Set<(t: Turn) => void>();

  record(t: Turn): void {
    this.totals.add(t);
    for (const f of this.listeners) f(t);
  }

  onTurn(f: (t: Turn) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  session(id: string): Spend {
    return this.totals.session(id);
  }

  today(): { day: string; node: Spend; vps: Map<string, Spend> } {
    return this.totals.today();
  }
}
