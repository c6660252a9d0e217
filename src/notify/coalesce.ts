/**
 * Coalescing: each thing is told once, a little after it happens, and a burst as one summary. A notice waits
 * `gatherMs` (so that what comes with it is told with it, and a decision answered at once is not told at
 * all), and rounds are at least `spacingMs` apart; a round of more than `burst` notices is one summary. A key
 * told is never told again; one withdrawn before its round (a decision answered) is dropped. A round that no
 * channel carried (the bell off at a focused cockpit) is not counted as told.
 */
import { summaryNotice, type Notice } from './notice.js';

/** Time, injectable: a test moves it by hand. */
export interface Clock {
  now(): number;
  /** calls `f` after `ms`; the returned function cancels it */
  after(ms: number, f: () => void): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after: (ms, f) => {
    const t = setTimeout(f, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

export interface CoalesceOptions {
  clock?: Clock;
  /** how long a notice waits for others before it is told (default 1 s) */
  gatherMs?: number;
  /** the least time between two rounds (default 5 s) */
  spacingMs?: number;
  /** a round of more than this many notices is told as one summary (default 3) */
  burst?: number;
  /** at a round, whether a notice is still to be told here (one another cockpit tells is counted as told) */
  keep?: (n: Notice) => boolean;
}

/** How many keys told are remembered (the oldest are forgotten first). */
const TOLD_KEPT = 10_000;

export class Coalescer {
  private readonly pending = new Map<string, Notice>();
  private readonly told = new Set<string>();
  private cancel: (() => void) | null = null;
  private dueAt = Infinity;
  private lastRound = -Infinity;
  private stopped = false;
  private readonly clock: Clock;
  private readonly gatherMs: number;
  private readonly spacingMs: number;
  private readonly burst: number;

  constructor(
    /** tells a round; false: no channel carried it */
    private readonly deliver: (round: Notice[]) => boolean,
    private readonly o: CoalesceOptions = {},
  ) {
    this.clock = o.clock ?? realClock;
    this.gatherMs = o.gatherMs ?? 1000;
    this.spacingMs = o.spacingMs ?? 5000;
    this.burst = o.burst ?? 3;
  }

  /** Something to tell. A key told already is not told again; one waiting keeps its place (a budget stop's richer text replaces its decision's). */
  offer(n: Notice): void {
    if (this.stopped || this.told.has(n.key)) return;
    const had = this.pending.get(n.key);
    if (had && !(had.kind === 'decision' && n.kind === 'budget')) return;
    this.pending.set(n.key, n);
    this.schedule();
  }

  /** What no longer needs telling (a decision answered, a node back) before its round: dropped. */
  withdraw(key: string): void {
    this.pending.delete(key);
    if (this.pending.size === 0 && this.cancel) {
      this.cancel();
      this.cancel = null;
      this.dueAt = Infinity;
    }
  }

  /** Whether the key was told (or counted as told). */
  wasTold(key: string): boolean {
    return this.told.has(key);
  }

  /** How many notices wait for their round. */
  get waiting(): number {
    return this.pending.size;
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = null;
    this.pending.clear();
  }

  private schedule(): void {
    const now = this.clock.now();
    const at = Math.max(now + this.gatherMs, this.lastRound + this.spacingMs);
    if (this.cancel && this.dueAt <= at) return;
    this.cancel?.();
    this.dueAt = at;
    this.cancel = this.clock.after(at - now, () => this.round());
  }

  private remember(key: string): void {
    this.told.add(key);
    if (this.told.size > TOLD_KEPT) this.told.delete(this.told.values().next().value!);
  }

  private round(): void {
    this.cancel = null;
    this.dueAt = Infinity;
    const all = [...this.pending.values()];
    this.pending.clear();
    const round: Notice[] = [];
    for (const n of all) {
      // one another cockpit tells is told
      if (this.o.keep && !this.o.keep(n)) this.remember(n.key);
      else round.push(n);
    }
    if (round.length === 0) return;
    this.lastRound = this.clock.now();
    if (this.deliver(round.length > this.burst ? [summaryNotice(round)] : round))
      for (const n of round) this.remember(n.key);
  }
}
