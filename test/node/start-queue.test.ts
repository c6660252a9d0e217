/**
 * The node's start queue: session starts per VP and tokens per node as token buckets, the API's 429 pause;
 * sessions over them wait, oldest first, and start as the buckets refill, by a timer (fake time here).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditInput } from '../../src/audit/sink.js';
import { MemoryLedger } from '../../src/budget/ledger.js';
import { noSpend, type NodeSettings } from '../../src/protocol/economics.js';
import type { NodeInfo } from '../../src/protocol/messages.js';
import { DEFAULT_PAUSE_S, RatePause } from '../../src/node/rate-pause.js';
import { NodeSettingsStore } from '../../src/node/settings-store.js';
import { StartQueue } from '../../src/node/start-queue.js';
import { tempDir } from '../helpers/tmp.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-05T12:00:00Z') });
  dir = tempDir('agency-start-queue-');
});
afterEach(() => {
  vi.useRealTimers();
  dir.remove();
});

function node(settings: NodeSettings) {
  const info = { name: 'studio-01' } as NodeInfo;
  const store = new NodeSettingsStore({ home: dir.path, info });
  store.apply(settings);
  const ledger = new MemoryLedger();
  const told: NodeInfo['rateLimited'][] = [];
  const pause = new RatePause({ info, changed: () => told.push(info.rateLimited ?? null) });
  const audit: AuditInput[] = [];
  const queue = new StartQueue({ settings: store, turns: ledger, pause, audit: { append: (e) => audit.push(e) } });
  const started: string[] = [];
  const whys = new Map<string, string>();
  /** asks for a start; returns whether it started at once */
  const ask = (session: string, vp: string | null) => {
    const t = queue.turn({ session, vp, discipline: 'backend' });
    if (!t) {
      started.push(session);
      return true;
    }
    whys.set(session, t.why);
    t.onWhy?.((why) => whys.set(session, why));
    void t.ready.then(() => started.push(session));
    return false;
  };
  return { info, store, ledger, pause, queue, started, whys, told, ask, audit };
}

/** Lets timers up to `ms` from now fire, and the promises they settle run. */
async function pass(ms: number) {
  await vi.advanceTimersByTimeAsync(ms);
}

describe('StartQueue', () => {
  it('2 starts a minute for a VP, 5 sessions: 2 start, 3 wait, and start oldest first as the bucket refills', async () => {
    const n = node({ rates: { startsPerMinute: 2 } });
    const asked = ['s-1', 's-2', 's-3', 's-4', 's-5'].map((s) => n.ask(s, 'research'));
    expect(asked).toEqual([true, true, false, false, false]);
    expect(n.queue.waiting()).toEqual(['s-3', 's-4', 's-5']);
    expect(n.whys.get('s-3')).toBe("queued: VP research's starts (2/min); starts about 12:00:30 UTC, 1st in line");
    expect(n.whys.get('s-5')).toBe("queued: VP research's starts (2/min); starts about 12:01:30 UTC, 3rd in line");
    await pass(29_000);
    expect(n.started).toEqual(['s-1', 's-2']);
    await pass(1_000);
    expect(n.started).toEqual(['s-1', 's-2', 's-3']);
    // the line moved up: the next is told its new place
    expect(n.whys.get('s-4')).toBe("queued: VP research's starts (2/min); starts about 12:01:00 UTC, 1st in line");
    await pass(60_000);
    expect(n.started).toEqual(['s-1', 's-2', 's-3', 's-4', 's-5']);
    expect(n.queue.waiting()).toEqual([]);
  });

  it('each VP has its own bucket (or the one the settings name for it); a session of no VP uses the node’s', async () => {
    const n = node({ rates: { startsPerMinute: 1, vps: { ops: { startsPerMinute: 3 } } } });
    expect([n.ask('a-1', 'research'), n.ask('a-2', 'research')]).toEqual([true, false]);
    // another VP is not held behind research's line
    expect([n.ask('b-1', 'ops'), n.ask('b-2', 'ops'), n.ask('b-3', 'ops'), n.ask('b-4', 'ops')]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect([n.ask('c-1', null), n.ask('c-2', null)]).toEqual([true, false]);
    expect(n.whys.get('c-2')).toBe("queued: node's starts (1/min); starts about 12:01:00 UTC, 1st in line");
    await pass(20_000);
    expect(n.started).toContain('b-4');
    expect(n.started).not.toContain('a-2');
    await pass(40_000);
    expect(n.started).toEqual(expect.arrayContaining(['a-2', 'c-2']));
  });

  it('a younger session of a VP never passes an older one, even when it asks just as the bucket refills', async () => {
    const n = node({ rates: { startsPerMinute: 1 } });
    n.ask('s-1', 'research');
    n.ask('s-2', 'research');
    vi.setSystemTime(Date.now() + 60_000); // the bucket has refilled, the timer not yet fired
    expect(n.ask('s-3', 'research')).toBe(false);
    await pass(0);
    expect(n.started).toEqual(['s-1', 's-2']);
    await pass(60_000);
    expect(n.started).toEqual(['s-1', 's-2', 's-3']);
  });

  it('a cancelled session leaves the line; the next takes its place', async () => {
    const n = node({ rates: { startsPerMinute: 1 } });
    n.ask('s-1', 'research');
    n.ask('s-2', 'research');
    n.ask('s-3', 'research');
    n.queue.cancel('s-2');
    expect(n.queue.waiting()).toEqual(['s-3']);
    expect(n.whys.get('s-3')).toBe("queued: VP research's starts (1/min); starts about 12:01:00 UTC, 1st in line");
    await pass(60_000);
    expect(n.started).toEqual(['s-1', 's-3']);
    n.queue.cancel('s-unknown');
    expect(n.queue.waiting()).toEqual([]);
  });

  it('no rates: every session starts at once; rates taken away start those waiting', async () => {
    const n = node({});
    expect([1, 2, 3, 4].map((i) => n.ask(`s-${i}`, 'research'))).toEqual([true, true, true, true]);
    n.store.apply({ rates: { startsPerMinute: 1 } });
    expect([n.ask('t-1', 'research'), n.ask('t-2', 'research')]).toEqual([true, false]);
    n.store.apply({});
    await pass(0);
    expect(n.started).toContain('t-2');
  });

  it('the node’s tokens a minute: turns spend them; while the bucket is empty every start waits, workers too', async () => {
    const n = node({ rates: { tokensPerMinute: 1000 } });
    expect(n.ask('s-1', 'research')).toBe(true);
    n.ledger.record({
      at: new Date().toISOString(),
      session: 's-1',
      worker: null,
      vp: 'research',
      discipline: 'backend',
      model: 'haiku',
      spend: { ...noSpend(), inputTokens: 1200, outputTokens: 300 },
    });
    expect(n.queue.workerWait()).toBe("waiting: the node's tokens (1000/min) are spent; it starts about 12:00:35 UTC");
    expect(n.ask('s-2', null)).toBe(false);
    expect(n.whys.get('s-2')).toBe(
      "queued: the node's tokens (1000/min) are spent; starts about 12:00:35 UTC, 1st in line",
    );
    await pass(30_000);
    expect(n.started).toEqual(['s-1']);
    await pass(1_000);
    expect(n.started).toEqual(['s-1', 's-2']);
    expect(n.queue.workerWait()).toBeNull();
  });

  it('a 429 pauses every start until the retry time; the node info says until when, and clears after', async () => {
    const n = node({});
    n.queue.rateLimited('s-1', 20_000);
    expect(n.info.rateLimited).toEqual({
      until: '2026-12-05T12:00:20.000Z',
      reason: 'the API rate-limited session s-1 (429): it asked to retry in 20 s',
    });
    expect(n.told).toHaveLength(1);
    expect(n.ask('s-2', 'research')).toBe(false);
    expect(n.whys.get('s-2')).toBe(
      'queued: the API rate-limited node studio-01 (429) until 12:00:20 UTC; starts about 12:00:20 UTC, 1st in line',
    );
    expect(n.queue.workerWait()).toMatch(/^waiting: the API rate-limited node studio-01 \(429\) until 12:00:20 UTC/);
    await pass(19_999);
    expect(n.started).toEqual([]);
    await pass(1);
    expect(n.started).toEqual(['s-2']);
    expect(n.info.rateLimited).toBeNull();
    expect(n.told).toEqual([expect.objectContaining({ until: '2026-12-05T12:00:20.000Z' }), null]);
  });

  it('a 429 with no retry time known pauses for the default, and says so; a shorter one later does not cut it', async () => {
    const n = node({});
    n.queue.workerRateLimited('w-1', null);
    expect(n.info.rateLimited?.reason).toBe(
      `the API rate-limited worker w-1 (429): it named no retry time, so new starts wait ${DEFAULT_PAUSE_S} s`,
    );
    n.queue.rateLimited('s-9', 5_000);
    expect(n.info.rateLimited?.until).toBe('2026-12-05T12:01:00.000Z');
    n.ask('s-1', null);
    await pass(DEFAULT_PAUSE_S * 1000 - 1);
    expect(n.started).toEqual([]);
    await pass(1);
    expect(n.started).toEqual(['s-1']);
  });

  it('a long line: each waiting session is told again only when its place or start time changes materially', async () => {
    const n = node({ rates: { startsPerMinute: 60 } });
    const tells = new Map<string, number>();
    const sessions = Array.from({ length: 300 }, (_, i) => `s-${i}`);
    for (const id of sessions) {
      const t = n.queue.turn({ session: id, vp: 'research', discipline: 'backend' });
      if (!t) continue;
      n.whys.set(id, t.why);
      t.onWhy((why) => tells.set(id, (tells.get(id) ?? 0) + 1) && n.whys.set(id, why));
      void t.ready.then(() => n.started.push(id));
    }
    expect(n.queue.waiting()).toHaveLength(240);
    // far back, the place is said as the band it is within, and the time as a clock time
    expect(n.whys.get('s-299')).toMatch(
      /^queued: VP research's starts \(60\/min\); starts about \d\d:\d\d:\d\d UTC, within the first 500 in line$/,
    );
    await pass(300_000);
    expect(n.queue.waiting()).toEqual([]);
    const total = [...tells.values()].reduce((a, b) => a + b, 0);
    // told at each exact place near the front and at each band further back: about 20 each, not one per start
    expect(Math.max(...tells.values())).toBeLessThanOrEqual(20);
    expect(total).toBeLessThan(240 * 20);
  });

  it("one session's 429s lengthen the pause once per 10 minutes; each pause it makes is audited, naming it", async () => {
    const n = node({});
    n.queue.rateLimited('s-1', null);
    expect(n.info.rateLimited?.until).toBe('2026-12-05T12:01:00.000Z');
    await pass(30_000);
    n.queue.rateLimited('s-1', null);
    n.queue.rateLimited('s-1', 120_000);
    expect(n.info.rateLimited?.until).toBe('2026-12-05T12:01:00.000Z');
    // another session's 429 is its own
    n.queue.rateLimited('s-2', null);
    expect(n.info.rateLimited?.until).toBe('2026-12-05T12:01:30.000Z');
    expect(n.audit).toEqual([
      {
        kind: 'pause',
        by: 'node',
        session: 's-1',
        summary:
          'new starts on the node wait until 12:01:00 UTC: the API rate-limited session s-1 (429): it named no retry time, so new starts wait 60 s',
        detail: {
          rateLimited: {
            until: '2026-12-05T12:01:00.000Z',
            reason: 'the API rate-limited session s-1 (429): it named no retry time, so new starts wait 60 s',
          },
          session: 's-1',
        },
      },
      expect.objectContaining({ session: 's-2', detail: expect.objectContaining({ session: 's-2' }) as unknown }),
    ]);
    await pass(10 * 60_000);
    n.queue.rateLimited('s-1', null);
    expect(n.audit).toHaveLength(3);
    n.queue.workerRateLimited('w-1', null);
    expect(n.audit).toHaveLength(3); // the pause is already as long
  });

  it('a retry time beyond what a timer holds waits an hour at most, and no timer spins', async () => {
    const n = node({});
    n.queue.workerRateLimited('w-1', 1e12);
    expect(n.info.rateLimited?.until).toBe('2026-12-05T13:00:00.000Z');
    expect(n.ask('s-1', null)).toBe(false);
    // a timer that fired at once would start s-1 (or set itself again) here
    await pass(59 * 60_000);
    expect(n.started).toEqual([]);
    expect(vi.getTimerCount()).toBeLessThanOrEqual(2);
    await pass(60_000);
    expect(n.started).toEqual(['s-1']);
  });
});
