/**
 * The recorded spend summed per minute, per (session, VP, discipline, model): what `agency cost` groups and
 * the cockpit's charts read, without going back to the turns. A group's minutes are kept in order in flat
 * arrays, so `since` is a binary search and a grouped answer is a pass over the groups, however many turns
 * they hold. Per clock hour, the node's dollars and tokens besides (the charts).
 */
import { noSpend, tokensOf, type CostBy, type CostResult, type CostRow, type Turn } from '../protocol/economics.js';

/** what one minute of a group holds: input, output, cache write, cache read tokens, dollars, turns */
const WIDTH = 6;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** minutes kept for the last hour's figure (a day: turns recorded late still land in it) */
const RECENT_MINUTES = 1440;
/** a group's key when it has no VP */
export const NO_VP = '(none)';
/** models kept apart per session; the turns of any further model are grouped as OTHER_MODEL */
export const MODELS_PER_SESSION = 20;
const OTHER_MODEL = '(other)';

interface Group {
  session: string;
  vp: string | null;
  discipline: string;
  model: string;
  /** minute numbers (ms / 60 000), ascending */
  minutes: number[];
  /** WIDTH numbers per minute */
  sums: number[];
  /** all minutes summed */
  total: number[];
}

const row = (key: string): CostRow => ({ key, turns: 0, ...noSpend() });

function addTo(r: CostRow, v: readonly number[], at: number): void {
  r.inputTokens += v[at]!;
  r.outputTokens += v[at + 1]!;
  r.cacheCreationTokens += v[at + 2]!;
  r.cacheReadTokens += v[at + 3]!;
  r.costUsd += v[at + 4]!;
  r.turns += v[at + 5]!;
}

/** The first index of `a` (ascending) whose value is at least `x`. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SpendRollup {
  private readonly groups = new Map<string, Group>();
  /** per clock hour (ms / 3 600 000): the node's dollars and tokens */
  private readonly hours = new Map<number, { costUsd: number; tokens: number }>();
  /** per minute of the last day or so: the node's dollars and tokens (the last hour's figure) */
  private readonly recent = new Map<number, { costUsd: number; tokens: number }>();
  private newestMinute = -Infinity;
  /** per session, the models it has groups of */
  private readonly models = new Map<string, Set<string>>();

  /** The model a session's turn is grouped under: its own, unless the session already has many. */
  private modelOf(session: string, model: string): string {
    let m = this.models.get(session);
    if (!m) this.models.set(session, (m = new Set()));
    if (m.has(model)) return model;
    if (m.size >= MODELS_PER_SESSION) model = OTHER_MODEL;
    m.add(model);
    return model;
  }

  /** Adds a turn made at `ms` (epoch milliseconds). */
  add(turn: Omit<Turn, 'at' | 'worker'>, ms: number): void {
    const t = { ...turn, model: this.modelOf(turn.session, turn.model) };
    const key = `${t.session}\u0000${t.vp ?? ''}\u0000${t.discipline}\u0000${t.model}`;
    let g = this.groups.get(key);
    if (!g) {
      g = {
        session: t.session,
        vp: t.vp,
        discipline: t.discipline,
        model: t.model,
        minutes: [],
        sums: [],
        total: new Array<number>(WIDTH).fill(0),
      };
      this.groups.set(key, g);
    }
    const s = t.spend;
    const v = [s.inputTokens, s.outputTokens, s.cacheCreationTokens, s.cacheReadTokens, s.costUsd, 1];
    const minute = Math.floor(ms / MINUTE_MS);
    const n = g.minutes.length;
    let at: number;
    if (n > 0 && g.minutes[n - 1] === minute) at = n - 1;
    else if (n === 0 || g.minutes[n - 1]! < minute) {
      at = n;
      g.minutes.push(minute);
      for (let i = 0; i < WIDTH; i++) g.sums.push(0);
    } else {
      // a turn older than the group's last minute (recorded late): its minute is found, or put in place
      at = lowerBound(g.minutes, minute);
      if (g.minutes[at] !== minute) {
        g.minutes.splice(at, 0, minute);
        g.sums.splice(at * WIDTH, 0, ...new Array<number>(WIDTH).fill(0));
      }
    }
    for (let i = 0; i < WIDTH; i++) {
      g.sums[at * WIDTH + i]! += v[i]!;
      g.total[i]! += v[i]!;
    }
    const hour = Math.floor(ms / HOUR_MS);
    const h = this.hours.get(hour) ?? { costUsd: 0, tokens: 0 };
    h.costUsd += s.costUsd;
    h.tokens += tokensOf(s);
    this.hours.set(hour, h);
    if (minute > this.newestMinute - RECENT_MINUTES) {
      const m = this.recent.get(minute) ?? { costUsd: 0, tokens: 0 };
      m.costUsd += s.costUsd;
      m.tokens += tokensOf(s);
      this.recent.set(minute, m);
      if (minute > this.newestMinute) {
        this.newestMinute = minute;
        if (this.recent.size > RECENT_MINUTES * 2)
          for (const k of this.recent.keys()) if (k <= minute - RECENT_MINUTES) this.recent.delete(k);
      }
    }
  }

  /** The 60 minutes up to and including the one `now` is in. */
  lastHour(now: Date): { costUsd: number; tokens: number } {
    const current = Math.floor(now.getTime() / MINUTE_MS);
    const out = { costUsd: 0, tokens: 0 };
    for (let m = current - 59; m <= current; m++) {
      const v = this.recent.get(m);
      if (v) {
        out.costUsd += v.costUsd;
        out.tokens += v.tokens;
      }
    }
    return out;
  }

  /**
   * The spend from `since` on (counted from the start of its minute), one row per key, the largest in
   * dollars first; `node` is the key of every row when grouped by node.
   */
  query(by: CostBy, since: Date | null, node: string): CostResult {
    const from = since === null ? null : Math.floor(since.getTime() / MINUTE_MS);
    const rows = new Map<string, CostRow>();
    const total = row('total');
    for (const g of this.groups.values()) {
      let start = 0;
      if (from !== null && g.minutes[0]! < from) {
        start = lowerBound(g.minutes, from);
        if (start === g.minutes.length) continue;
      }
      const key =
        by === 'node' ? node : by === 'vp' ? (g.vp ?? NO_VP) : by === 'session' ? g.session : g[by as 'model'];
      let r = rows.get(key);
      if (!r) rows.set(key, (r = row(key)));
      if (start === 0) addTo(r, g.total, 0);
      else for (let i = start; i < g.minutes.length; i++) addTo(r, g.sums, i * WIDTH);
    }
    for (const r of rows.values())
      addTo(total, [r.inputTokens, r.outputTokens, r.cacheCreationTokens, r.cacheReadTokens, r.costUsd, r.turns], 0);
    const sorted = [...rows.values()].sort((a, b) => b.costUsd - a.costUsd || a.key.localeCompare(b.key));
    return { by, since: since === null ? null : since.toISOString(), rows: sorted, total };
  }

  /** The last `count` clock hours up to the one `now` is in, oldest first. */
  lastHours(now: Date, count: number): { hour: string; costUsd: number; tokens: number }[] {
    const current = Math.floor(now.getTime() / HOUR_MS);
    const out: { hour: string; costUsd: number; tokens: number }[] = [];
    for (let h = current - count + 1; h <= current; h++) {
      const v = this.hours.get(h);
      out.push({ hour: new Date(h * HOUR_MS).toISOString(), costUsd: v?.costUsd ?? 0, tokens: v?.tokens ?? 0 });
    }
    return out;
  }

  /** How many (session, VP, discipline, model) groups and minutes it holds. */
  size(): { groups: number; minutes: number } {
    let minutes = 0;
    for (const g of this.groups.values()) minutes += g.minutes.length;
    return { groups: this.groups.size, minutes };
  }
}
