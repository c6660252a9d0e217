/**
 * The node's rate limits on starting work (the `turn` and `cancel` of admission.ts): a token bucket of session
 * starts per VP (a session of no VP uses the node's own), one of API tokens per minute for the whole node
 * (each recorded turn's tokens are taken from it), and the API's own 429 pause (rate-pause.ts). A session over
 * them waits `queued`, never fails, and the queue is served oldest first across the node: a session waits
 * behind the older ones of its own VP, and everything waits while the node's tokens are spent or the API
 * paused it. A timer is set for the next moment a bucket refills or the pause ends; nothing polls.
 *
 * A waiting session is told when it may start (a clock time) and its place, and told again only when either
 * changes materially, so a long line costs a few events per session, not one per start. One session or worker
 * may begin or lengthen the API's pause once every REPEAT_PAUSE_MS; each time it does is in the audit trail.
 */
import { TokenBucket } from '../budget/token-bucket.js';
import { tokensOf, type NodeSettings, type Rates, type Turn } from '../protocol/economics.js';
import type { AuditSink } from '../audit/sink.js';
import type { Admission, StartRequest } from './admission.js';
import { MAX_TIMER_MS, type RatePause } from './rate-pause.js';

/** The bucket of sessions of no VP. */
const NODE = '\u0000node';

interface Waiting {
  session: string;
  key: string;
  vp: string | null;
  start: () => void;
  told: Set<(why: string) => void>;
  why: string;
  /** what it was last told: why it waits, when it may start (ms), and its place as said */
  because: string;
  at: number;
  place: string;
}

/** How often one session or worker may begin or lengthen the API's pause of the node's starts. */
export const REPEAT_PAUSE_MS = 10 * 60_000;
/** A waiting session is told again when the time it may start moves by this much. */
const MATERIAL_MS = 10_000;
/** Places in line said exactly; further back, the band it is within. */
const EXACT_PLACES = 10;

export interface StartQueueOptions {
  settings: { current(): NodeSettings; onChange(f: (s: NodeSettings) => void): () => void };
  /** the turns the node records (its ledger): their tokens are taken from the node's bucket */
  turns: { onTurn(f: (t: Turn) => void): () => void };
  pause: RatePause;
  /** where a 429 that pauses the node's starts is recorded */
  audit?: AuditSink;
  now?: () => number;
}

const ordinal = (n: number) => {
  const t = n % 100;
  const suffix = t >= 11 && t <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
};
const perMinute = (n: number) =>
  n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M/min` : n >= 1e4 ? `${+(n / 1e3).toFixed(1)}k/min` : `${+n.toFixed(2)}/min`;
/** A moment as a clock time, rounded up to 5 s: `about 12:03:40 UTC`. */
const about = (ms: number) => `about ${new Date(Math.ceil(ms / 5000) * 5000).toISOString().slice(11, 19)} UTC`;
/** A place in line: exact near the front, else the band it is within (1–2–5 steps). */
function placeText(k: number): string {
  if (k <= EXACT_PLACES) return `${ordinal(k)} in line`;
  let band = EXACT_PLACES;
  for (let step = 0; band < k; step++) band = band * (step % 3 === 1 ? 2.5 : 2);
  return `within the first ${band} in line`;
}

export class StartQueue implements Pick<Admission, 'turn' | 'cancel' | 'rateLimited'> {
  private readonly starts = new Map<string, TokenBucket>();
  private tokens: TokenBucket | null = null;
  private rates: Rates = {};
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly clock: () => number;
  /** per session or worker (`session s-…`), when it last began or lengthened the pause */
  private readonly paused = new Map<string, number>();

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
    const w: Waiting = {
      session: req.session,
      key,
      vp: req.vp,
      start,
      told: new Set(),
      why: '',
      because: '',
      at: 0,
      place: '',
    };
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
    this.hit(`session ${session}`, { session }, retryMs);
  }

  /**
   * Why a worker may not start now (the node's tokens are spent, or the API paused the node), or null: workers
   * wait on the node's limits, not on a VP's session starts.
   */
  workerWait(): string | null {
    const w = this.nodeWait();
    return w && `waiting: ${w.why}; it starts ${about(this.clock() + w.ms)}`;
  }

  /** The API rate-limited a worker (429): the node pauses new starts. */
  workerRateLimited(worker: string, retryMs: number | null): void {
    this.hit(`worker ${worker}`, { worker }, retryMs);
  }

  /** A 429 of `who`: the pause begins or lengthens, unless `who` did so within REPEAT_PAUSE_MS; audited when it does. */
  private hit(who: string, of: { session?: string; worker?: string }, retryMs: number | null): void {
    const now = this.clock();
    const last = this.paused.get(who);
    if (last !== undefined && now - last < REPEAT_PAUSE_MS) return;
    const pause = this.o.pause.hit(who, retryMs);
    if (!pause) return;
    this.paused.set(who, now);
    if (this.paused.size > 1000)
      for (const [k, at] of this.paused) if (now - at >= REPEAT_PAUSE_MS) this.paused.delete(k);
    this.o.audit?.append({
      kind: 'pause',
      by: 'node',
      session: of.session ?? null,
      summary: `new starts on the node wait until ${pause.until.slice(11, 19)} UTC: ${pause.reason}`,
      detail: { rateLimited: pause, session: of.session ?? null, ...(of.worker ? { worker: of.worker } : {}) },
    });
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
    const started = new Set<Waiting>();
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
      started.add(w);
    }
    if (started.size > 0) this.queue = this.queue.filter((w) => !started.has(w));
    for (const w of started) w.start();
    this.tell();
    this.arm();
  }

  private tell(): void {
    const node = this.nodeWait();
    const now = this.clock();
    const place = new Map<string, number>();
    for (const w of this.queue) {
      const k = (place.get(w.key) ?? 0) + 1;
      place.set(w.key, k);
      const b = this.bucket(w.key);
      const whose = w.vp === null ? `node's starts` : `VP ${w.vp}'s starts`;
      const own = b ? b.msUntil(k) : 0;
      const at = now + Math.max(own, node?.ms ?? 0);
      const because = node && node.ms >= own ? node.why : `${whose} (${perMinute(b?.rate ?? 0)})`;
      const where = placeText(k);
      if (because === w.because && where === w.place && Math.abs(at - w.at) < MATERIAL_MS) continue;
      w.because = because;
      w.place = where;
      w.at = at;
      w.why = `queued: ${because}; starts ${about(at)}, ${where}`;
      for (const f of w.told) f(w.why);
    }
  }

  /** The next moment something may start: the soonest refill of a bucket someone waits on, or the pause's end. */
  private arm(): void {
    if (this.queue.length === 0) return;
    const node = this.nodeWait();
    let ms = node?.ms ?? Infinity;
    if (!node) for (const w of this.queue) ms = Math.min(ms, this.bucket(w.key)?.msUntil(1) ?? 0);
    if (!Number.isFinite(ms)) return;
    this.timer = setTimeout(() => this.pump(), Math.min(Math.max(ms, 1), MAX_TIMER_MS));
    this.timer.unref();
  }
}
