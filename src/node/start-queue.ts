/**
 * The node's rate limits on starting work (the `turn` and `cancel` of admission.ts): a token bucket of session
 * starts per VP (a session of no VP uses the node's own), one of API tokens per minute for the whole node
 * (each recorded turn's tokens are taken from it), and the API's own 429 pause (rate-pause.ts). A session over
 * them waits `queued`, never fails, and the queue is served oldest first across the node: a session waits
 * behind the older ones of its own VP, and everything waits while the node's tokens are spent or the API
 * paused it. A timer is set for the next moment a bucket refills or the pause ends; nothing polls.
 */
import { TokenBucket } from '../budget/token-bucket.js';
import { tokensOf, type NodeSettings, type Rates, type Turn } from '../protocol/economics.js';
import type { Admission, StartRequest } from './admission.js';
import type { RatePause } from './rate-pause.js';

/** The bucket of sessions of no VP. */
const NODE = '\u0000node';

interface Waiting {
  session: string;
  key: string;
  vp: string | null;
  start: () => void;
  told: Set<(why: string) => void>;
  why: string;
}

export interface StartQueueOptions {
  settings: { current(): NodeSettings; onChange(f: (s: NodeSettings) => void): () => void };
  /** the turns the node records (its ledger): their tokens are taken from the node's bucket */
  turns: { onTurn(f: (t: Turn) => void): () => void };
  pause: RatePause;
  now?: () => number;
}

const ordinal = (n: number) => {
  const t = n % 100;
  const suffix = t >= 11 && t <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
};
const perMinute = (n: number) =>
  n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M/min` : n >= 1e4 ? `${+(n / 1e3).toFixed(1)}k/min` : `${+n.toFixed(2)}/min`;
const inAbout = (ms: number) => (ms < 1000 ? 'any moment' : `in ~${Math.ceil(ms / 1000)} s`);

export class StartQueue implements Pick<Admission, 'turn' | 'cancel' | 'rateLimited'> {
  private readonly starts = new Map<string, TokenBucket>();
  private tokens: TokenBucket | null = null;
  private rates: Rates = {};
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly clock: () => number;

  constructor(private readonly o: StartQueueOptions) {
    this.clock = () => o.now?.() ?? Date.now();
    this.configure(o.settings.current());
    o.settings.onChange((s) => {
      this.configure(s);
      this.pump();
    });
    o.turns.onTurn((t) => this.tokens?.spend(tokensOf(t.spend)));
    o.pause.onOpen(() => this.pump());
  }

  turn(req: StartRequest): { why: string; ready: Promise<void>; onWhy: (f: (why: string) => void) => void } | null {
    const key = req.vp ?? NODE;
    if (this.nodeWait() === null && !this.queue.some((w) => w.key === key) && (this.bucket(key)?.take() ?? true))
      return null;
    let start!: () => void;
    const ready = new Promise<void>((resolve) => (start = resolve));
    const w: Waiting = { session: req.session, key, vp: req.vp, start, told: new Set(), why: '' };
    this.queue.push(w);
    this.pump();
    return { why: w.why, ready, onWhy: (f) => w.told.add(f) };
  }

  cancel(session: string): void {
    const before = this.queue.length;
    this.queue = this.queue.filter((w) => w.session !== session);
    if (this.queue.length !== before) this.pump();
  }

  /** The API rate-limited a session (429): the node pauses new starts. */
  rateLimited(session: string, retryMs: number | null): void {
    this.o.pause.hit(`session ${session}`, retryMs);
    this.pump();
  }

  /**
   * Why a worker may not start now (the node's tokens are spent, or the API paused the node), or null: workers
   * wait on the node's limits, not on a VP's session starts.
   */
  workerWait(): string | null {
    const w = this.nodeWait();
    return w && `waiting: ${w.why}; it starts ${inAbout(w.ms)}`;
  }

  /** The API rate-limited a worker (429): the node pauses new starts. */
  workerRateLimited(worker: string, retryMs: number | null): void {
    this.o.pause.hit(`worker ${worker}`, retryMs);
    this.pump();
  }

  /** The sessions waiting, oldest first. */
  waiting(): string[] {
    return this.queue.map((w) => w.session);
  }

  private configure(s: NodeSettings): void {
    this.rates = s.rates ?? {};
    const tpm = this.rates.tokensPerMinute;
    if (!tpm) this.tokens = null;
    else if (this.tokens) this.tokens.setRate(tpm);
    else this.tokens = new TokenBucket(tpm, this.clock);
    for (const [key, b] of [...this.starts]) {
      const rate = this.rateOf(key);
      if (rate === null) this.starts.delete(key);
      else b.setRate(rate);
    }
  }

  private rateOf(key: string): number | null {
    if (key === NODE) return this.rates.startsPerMinute ?? null;
    return this.rates.vps?.[key]?.startsPerMinute ?? this.rates.startsPerMinute ?? null;
  }

  /** The key's bucket of starts, made when first needed; null when its starts are not limited. */
  private bucket(key: string): TokenBucket | null {
    let b = this.starts.get(key);
    if (b) return b;
    const rate = this.rateOf(key);
    if (rate === null) return null;
    this.starts.set(key, (b = new TokenBucket(rate, this.clock)));
    return b;
  }

  /** What holds every start on the node, and for how long: the API's pause, then the node's tokens. */
  private nodeWait(): { why: string; ms: number } | null {
    const paused = this.o.pause.why();
    if (paused) return { why: paused, ms: this.o.pause.msLeft() };
    const ms = this.tokens?.msUntil(1) ?? 0;
    if (ms > 0) return { why: `the node's tokens (${perMinute(this.tokens!.rate)}) are spent`, ms };
    return null;
  }

  /** Starts what may start, oldest first; tells the rest why they wait; sets the timer for the next refill. */
  private pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const started: Waiting[] = [];
    // the VPs whose oldest waiting session could not start: their younger ones wait behind it
    const held = new Set<string>();
    for (const w of this.queue) {
      if (this.nodeWait() !== null) break;
      if (held.has(w.key)) continue;
      const b = this.bucket(w.key);
      if (b && !b.take()) {
        held.add(w.key);
        continue;
      }
      started.push(w);
    }
    this.queue = this.queue.filter((w) => !started.includes(w));
    for (const w of started) w.start();
    this.tell();
    this.arm();
  }

  private tell(): void {
    const node = this.nodeWait();
    const place = new Map<string, number>();
    for (const w of this.queue) {
      const k = (place.get(w.key) ?? 0) + 1;
      place.set(w.key, k);
      const b = this.bucket(w.key);
      const whose = w.vp === null ? `node's starts` : `VP ${w.vp}'s starts`;
      const own = b ? b.msUntil(k) : 0;
      const ms = Math.max(own, node?.ms ?? 0);
      const because = node && node.ms >= own ? node.why : `${whose} (${perMinute(b?.rate ?? 0)})`;
      const why = `queued: ${because}; starts ${inAbout(ms)}, ${ordinal(k)} in line`;
      if (why === w.why) continue;
      w.why = why;
      for (const f of w.told) f(why);
    }
  }

  /** The next moment something may start: the soonest refill of a bucket someone waits on, or the pause's end. */
  private arm(): void {
    if (this.queue.length === 0) return;
    const node = this.nodeWait();
    let ms = node?.ms ?? Infinity;
    if (!node) for (const w of this.queue) ms = Math.min(ms, this.bucket(w.key)?.msUntil(1) ?? 0);
    if (!Number.isFinite(ms)) return;
    this.timer = setTimeout(() => this.pump(), Math.max(ms, 1));
    this.timer.unref();
  }
}
