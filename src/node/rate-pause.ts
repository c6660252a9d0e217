/**
 * The API rate-limited (429) a session or a worker of this node: no new session or worker starts on the node
 * until the retry time the API named, or, when it named none that Claude Code shows, for DEFAULT_PAUSE_S. The
 * node's info says so (`rateLimited`), its watchers are told when the pause begins, moves and ends, and what
 * waits on it hears when it ends.
 */
import type { NodeInfo } from '../protocol/messages.js';

/** How long new starts wait after a 429 whose retry time is not known. */
export const DEFAULT_PAUSE_S = 60;
/** The longest retry time followed: one named longer (or absurdly long) waits this long. */
export const MAX_PAUSE_MS = 3_600_000;
/** The longest a timer may be set for (setTimeout fires at once beyond it); a longer wait is set again. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const clockTime = (ms: number) => new Date(ms).toISOString().slice(11, 19);

export class RatePause {
  private until = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly opened = new Set<() => void>();

  constructor(
    private readonly o: {
      info: NodeInfo;
      /** the node's info changed: its watchers are told */
      changed: () => void;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /**
   * The API rate-limited `who` (`session s-…`, `worker w-…`): new starts wait `retryMs` from now, as the API
   * named it (at most MAX_PAUSE_MS), or DEFAULT_PAUSE_S when it named none. A pause already longer stays as it
   * is. Returns the pause when this began or lengthened it, else null.
   */
  hit(who: string, retryMs: number | null): { until: string; reason: string } | null {
    const now = this.now();
    const named = retryMs !== null && Number.isFinite(retryMs) ? Math.min(Math.max(0, retryMs), MAX_PAUSE_MS) : null;
    const ms = named ?? DEFAULT_PAUSE_S * 1000;
    const until = now + ms;
    if (until <= this.until) return null;
    this.until = until;
    const asked =
      named === null
        ? `it named no retry time, so new starts wait ${DEFAULT_PAUSE_S} s`
        : `it asked to retry in ${Math.ceil(named / 1000)} s`;
    const pause = { until: new Date(until).toISOString(), reason: `the API rate-limited ${who} (429): ${asked}` };
    this.o.info.rateLimited = pause;
    this.o.changed();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.end(), Math.min(until - now, MAX_TIMER_MS));
    this.timer.unref();
    return pause;
  }

  /** Milliseconds until new starts may go again (0: they may now). */
  msLeft(): number {
    return Math.max(0, this.until - this.now());
  }

  /** Why starts wait now, or null when they do not. */
  why(): string | null {
    if (this.msLeft() <= 0) return null;
    return `the API rate-limited node ${this.o.info.name} (429) until ${clockTime(this.until)} UTC`;
  }

  /** Called when a pause ends. */
  onOpen(f: () => void): () => void {
    this.opened.add(f);
    return () => this.opened.delete(f);
  }

  private end(): void {
    this.timer = null;
    // a clock that runs behind its timer: try again when it has caught up
    const left = this.msLeft();
    if (left > 0) {
      this.timer = setTimeout(() => this.end(), Math.min(left, MAX_TIMER_MS));
      this.timer.unref();
      return;
    }
    this.o.info.rateLimited = null;
    this.o.changed();
    for (const f of [...this.opened]) f();
  }
}
