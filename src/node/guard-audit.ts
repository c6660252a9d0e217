/**
 * The guard's refusals in the audit trail, bounded: a session that repeats a refused call, or a caller with no
 * session of the node (no valid token, a request too large), cannot flood the trail. Per caller and per minute,
 * a refusal is written as its own entry the first time it is seen and while the caller has made fewer than its
 * allowance of entries; the rest are counted, and one entry says how many there were when the minute ends.
 */
import type { AuditInput, AuditSink } from '../audit/sink.js';

export const GUARD_WINDOW_MS = 60_000;
/** entries of their own per minute: a session's refusals, and those of callers that are no session */
export const PER_SESSION = 20;
export const NO_SESSION = 5;

interface Window {
  start: number;
  session: string | null;
  written: number;
  /** refusals counted, not written one by one */
  held: number;
  /** the summaries written in this window: a repeat is counted */
  seen: Set<string>;
  last: string;
}

export class GuardAudit {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sink: AuditSink,
    private readonly now: () => number = Date.now,
  ) {}

  /** A refusal of the guard's, as its entry. */
  deny(e: AuditInput & { session: string | null }): void {
    const key = e.session ?? '\u0000none';
    const now = this.now();
    let w = this.windows.get(key);
    if (w && now - w.start >= GUARD_WINDOW_MS) {
      this.close(key, w);
      w = undefined;
    }
    if (!w) {
      w = { start: now, session: e.session, written: 0, held: 0, seen: new Set(), last: '' };
      this.windows.set(key, w);
    }
    const allowance = e.session === null ? NO_SESSION : PER_SESSION;
    if (!w.seen.has(e.summary) && w.written < allowance) {
      w.written++;
      w.seen.add(e.summary);
      this.sink.append(e);
    } else {
      w.held++;
      w.last = e.summary;
    }
    this.arm();
  }

  /** Writes the counts of every window (the node stops). */
  flush(): void {
    for (const [k, w] of [...this.windows]) this.close(k, w);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private close(key: string, w: Window): void {
    this.windows.delete(key);
    if (w.held === 0) return;
    const who = w.session === null ? 'callers that are no session of this node' : `session ${w.session}`;
    this.sink.append({
      kind: 'guard-block',
      by: 'policy:guard',
      session: w.session,
      summary: `guard blocked ${w.held} more call${w.held === 1 ? '' : 's'} of ${who} within a minute, not recorded one by one; the last: ${w.last}`,
      detail: { repeated: w.held, from: new Date(w.start).toISOString(), last: w.last },
    });
  }

  /** A timer for the oldest window's end: its count is written then, even if no refusal follows. */
  private arm(): void {
    if (this.timer || this.windows.size === 0) return;
    let oldest = Infinity;
    for (const w of this.windows.values()) oldest = Math.min(oldest, w.start);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        const now = this.now();
        for (const [k, w] of [...this.windows]) if (now - w.start >= GUARD_WINDOW_MS) this.close(k, w);
        this.arm();
      },
      Math.max(1, oldest + GUARD_WINDOW_MS - this.now()),
    );
    this.timer.unref();
  }
}
