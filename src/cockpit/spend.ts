/**
 * What each node spent, as the cockpit last heard it (`{kind:'spend'}` and snapshots), checked before it is
 * kept, and the fleet's figures for the header: dollars in the last hour and today. A node's figures stop
 * counting once they are out of date: today's after the UTC day turns, the last hour's once not heard for
 * LAST_HOUR_FRESH_MS (a node tells its spend again every minute while its last hour is not zero).
 */
import { z } from 'zod';
import type { NodeSpend } from '../protocol/economics.js';

const n = z.number().finite().nonnegative();
const spend = z.object({
  inputTokens: n,
  outputTokens: n,
  cacheCreationTokens: n,
  cacheReadTokens: n,
  costUsd: n,
});
const nodeSpendSchema = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  today: spend,
  hours: z.array(z.object({ hour: z.string().max(40), costUsd: n, tokens: n })).max(48),
  lastHour: z.object({ costUsd: n, tokens: n }).optional(),
  vps: z.record(z.string().max(200), spend),
});

/** A node's spend as it sent it, or null when it is not one (garbage is not shown). */
export function readSpend(x: unknown): NodeSpend | null {
  const r = nodeSpendSchema.safeParse(x);
  return r.success ? (r.data as NodeSpend) : null;
}

/** A node's spend and when the cockpit heard it. */
export interface HeardSpend {
  spend: NodeSpend;
  at: number;
}

/** The fleet's dollars in the last hour and today (UTC), or null when no node has told any. */
export interface FleetSpend {
  lastHourUsd: number;
  /** every token of the last hour (input, output and cache) */
  lastHourTokens: number;
  todayUsd: number;
}

/** A node's last hour counts while heard this recently: it tells it again every minute while it is not zero. */
export const LAST_HOUR_FRESH_MS = 3 * 60_000;

export function fleetSpend(nodes: Iterable<HeardSpend>, now: number): FleetSpend | null {
  let any = false;
  const today = new Date(now).toISOString().slice(0, 10);
  const out: FleetSpend = { lastHourUsd: 0, lastHourTokens: 0, todayUsd: 0 };
  for (const { spend: s, at } of nodes) {
    any = true;
    if (s.day === today) out.todayUsd += s.today.costUsd;
    if (now - at < LAST_HOUR_FRESH_MS) {
      const hour = s.lastHour ?? s.hours.at(-1);
      out.lastHourUsd += hour?.costUsd ?? 0;
      out.lastHourTokens += hour?.tokens ?? 0;
    }
  }
  return any ? out : null;
}

export const sameFleetSpend = (a: FleetSpend | null | undefined, b: FleetSpend | null | undefined): boolean =>
  a === b ||
  (!!a &&
    !!b &&
    a.lastHourUsd.toFixed(4) === b.lastHourUsd.toFixed(4) &&
    a.lastHourTokens === b.lastHourTokens &&
    a.todayUsd.toFixed(4) === b.todayUsd.toFixed(4));

/** Each node's spend as last heard: the store's part of it. */
export class SpendBook {
  private readonly heard = new Map<string, HeardSpend>();
  private dirty = false;

  /** A node's spend as it sent it; what is not a spend is left out. */
  put(node: string, x: unknown, now: number): void {
    const spend = readSpend(x);
    if (!spend) return;
    this.heard.set(node, { spend, at: now });
    this.dirty = true;
  }

  /** The nodes' spend: `prev` when nothing was heard since the last call, else a new map. */
  take(prev: ReadonlyMap<string, NodeSpend>): ReadonlyMap<string, NodeSpend> {
    if (!this.dirty) return prev;
    this.dirty = false;
    return new Map([...this.heard].map(([k, v]) => [k, v.spend]));
  }

  fleet(now: number): FleetSpend | null {
    return fleetSpend(this.heard.values(), now);
  }
}

const BARS = '▁▂▃▄▅▆▇█';

/** Values as a line of bars, the largest full height; nothing spent is the lowest bar. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values.filter((v) => Number.isFinite(v)));
  return values
    .map((v) => (max > 0 && Number.isFinite(v) && v > 0 ? BARS[Math.max(1, Math.round((v / max) * 7))]! : BARS[0]!))
    .join('');
}
