/**
 * The spend a node records, one turn (an API call of a session or of one of its workers) at a time. Budgets are
 * enforced from it (a turn is heard the moment it is recorded), and `agency cost` and the cockpit's charts read
 * it. The node's ledger keeps it on disk (spend-log.ts); `SpendTotals` is the running sums every ledger keeps.
 */
import { addSpend, noSpend, type Spend, type Turn } from '../protocol/economics.js';
import { MODEL_NAME } from '../protocol/ops.js';

/** Where a session's turn was read: its transcript file's name and the offset just past the line. */
export interface TranscriptRead {
  file: string;
  end: number;
}

export interface SpendLedger {
  /** Records a turn (`read`: where in its session's transcripts it was read); its listeners hear of it at once. */
  record(t: Turn, read?: TranscriptRead): void;
  onTurn(f: (t: Turn) => void): () => void;
  /** everything a session spent, its workers' turns included */
  session(id: string): Spend;
  /** today's spend (UTC day): the node's, per VP (turns of no VP are not in `vps`) */
  today(): { day: string; node: Spend; vps: Map<string, Spend> };
}

/** The most a turn may count in a field (tokens, dollars): far above any real API call, so that sums stay finite. */
export const MAX_TURN_COUNT = 1e9;
/** What a turn's model is recorded as when it is not named as a model. */
export const OTHER_MODEL = '(other)';
const FAST = ' (fast)';

const bounded = (n: number) => (Number.isFinite(n) && n > 0 ? Math.min(n, MAX_TURN_COUNT) : 0);

/** A model name as recorded: a model's name (with ` (fast)` for fast mode), else OTHER_MODEL. */
export function recordedModel(model: string): string {
  const base = model.endsWith(FAST) ? model.slice(0, -FAST.length) : model;
  return MODEL_NAME.test(base) || model === '(no model)' ? model : OTHER_MODEL;
}

/** A turn as a ledger keeps it: a model name that is one, every figure finite and bounded. */
export function boundTurn(t: Turn): Turn {
  const s = t.spend;
  return {
    ...t,
    model: recordedModel(t.model),
    spend: {
      inputTokens: bounded(s.inputTokens),
      outputTokens: bounded(s.outputTokens),
      cacheCreationTokens: bounded(s.cacheCreationTokens),
      cacheReadTokens: bounded(s.cacheReadTokens),
      costUsd: bounded(s.costUsd),
    },
  };
}

export { addSpend };

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

  record(turn: Turn): void {
    const t = boundTurn(turn);
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
