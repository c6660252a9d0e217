/** A clock the test moves by hand: timers fire in order as time is advanced past them. */
import type { Clock } from '../../src/notify/coalesce.js';

export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: { at: number; seq: number; f: () => void }[] = [];

  now(): number {
    return this.t;
  }

  after(ms: number, f: () => void): () => void {
    const timer = { at: this.t + ms, seq: this.seq++, f };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Moves time on by `ms`, firing each timer due on the way at its own time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.f();
    }
    this.t = end;
  }

  get pending(): number {
    return this.timers.length;
  }
}
