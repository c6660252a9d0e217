/**
 * A token bucket: it holds at most `perMinute` tokens and refills continuously at `perMinute` a minute. Taking
 * from it is how a rate limit is kept (a session start takes one; an API turn takes its tokens). A spend larger
 * than what is left leaves the bucket in debt (below zero, at most one minute's worth): the next taker waits
 * until it has refilled past that. Pure: the time comes from the clock it is given.
 */

/** Milliseconds since the epoch, as Date.now gives them; tests pass their own. */
export type Clock = () => number;

const MINUTE_MS = 60_000;
/** what floating point may leave short of a whole token after exactly the time it takes to refill one */
const EPSILON = 1e-9;

export class TokenBucket {
  private level: number;
  private at: number;

  constructor(
    private perMinute: number,
    private readonly clock: Clock = Date.now,
  ) {
    if (!(perMinute > 0)) throw new Error(`a token bucket refills at more than 0 a minute (not ${perMinute})`);
    this.level = perMinute;
    this.at = clock();
  }

  /** How many it holds, and refills, a minute. */
  get rate(): number {
    return this.perMinute;
  }

  /** What it holds now (below zero while in debt). */
  tokens(): number {
    this.refill();
    return this.level;
  }

  /** Takes n if it holds them; false (and nothing taken) if not. */
  take(n = 1): boolean {
    this.refill();
    if (this.level < n - EPSILON) return false;
    this.level -= n;
    return true;
  }

  /** Takes n whatever it holds: what was spent is spent (the bucket goes into debt, at most a minute's worth). */
  spend(n: number): void {
    this.refill();
    this.level = Math.max(this.level - n, -this.perMinute);
  }

  /**
   * Milliseconds until n can have been taken, each as soon as it is there: 0 when it holds n now; for the k-th
   * of a line of takers, msUntil(k) is when its turn comes.
   */
  msUntil(n = 1): number {
    this.refill();
    if (this.level >= n - EPSILON) return 0;
    // rounded up to the millisecond, past what floating point leaves over
    return Math.ceil(((n - this.level) / this.perMinute) * MINUTE_MS - 1e-6);
  }

  /** A new rate: what it holds is kept, up to the new capacity. */
  setRate(perMinute: number): void {
    if (!(perMinute > 0)) throw new Error(`a token bucket refills at more than 0 a minute (not ${perMinute})`);
    this.refill();
    this.perMinute = perMinute;
    this.level = Math.min(this.level, perMinute);
  }

  private refill(): void {
    const now = this.clock();
    const elapsed = Math.max(0, now - this.at);
    this.at = now;
    this.level = Math.min(this.perMinute, this.level + (elapsed / MINUTE_MS) * this.perMinute);
  }
}
