/** A node tells its watchers what it spent when a turn is recorded: the first at once, then at most once a second. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryLedger } from '../../src/budget/ledger.js';
import { relaySpend } from '../../src/node/spend-events.js';
import type { NodeEvent } from '../../src/protocol/messages.js';
import { noSpend, type Turn } from '../../src/protocol/economics.js';
import { until } from '../helpers/until.js';

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((s) => s()));

const turn = (usd: number): Turn => ({
  at: new Date().toISOString(),
  session: 's-1',
  worker: null,
  vp: null,
  discipline: 'backend',
  model: 'claude-haiku-4-5',
  spend: { ...noSpend(), costUsd: usd },
});

describe('spend events', () => {
  it('the first turn is told at once; those within the next interval together, once, with the latest figures', async () => {
    const ledger = new MemoryLedger();
    const told: { e: NodeEvent; at: number }[] = [];
    stops.push(
      relaySpend({
        node: 'box1',
        ledger,
        spend: () => ({ day: ledger.today().day, today: ledger.today().node, hours: [], vps: {} }),
        emit: (e) => told.push({ e, at: performance.now() }),
        intervalMs: 300,
      }),
    );
    const t0 = performance.now();
    ledger.record(turn(1));
    expect(told).toHaveLength(1);
    for (let i = 0; i < 5; i++) ledger.record(turn(1));
    expect(told).toHaveLength(1);
    await until('the second event', () => told.length === 2, 2000);
    expect(told[1]!.at - t0).toBeGreaterThanOrEqual(290);
    const e = told[1]!.e;
    expect(e.kind === 'spend' && e.node === 'box1' && e.spend.today.costUsd).toBe(6);
  });
});

describe("the last hour's figure", () => {
  it('is told again with no turn while it is not zero, and no longer once it is', () => {
    vi.useFakeTimers();
    stops.push(() => vi.useRealTimers());
    const ledger = new MemoryLedger();
    const told: NodeEvent[] = [];
    let lastHour = 2.5;
    stops.push(
      relaySpend({
        node: 'box1',
        ledger,
        spend: () => ({
          day: ledger.today().day,
          today: ledger.today().node,
          hours: [],
          lastHour: { costUsd: lastHour, tokens: lastHour * 1000 },
          vps: {},
        }),
        emit: (e) => told.push(e),
        intervalMs: 10,
        refreshMs: 50,
      }),
    );
    ledger.record(turn(2.5));
    expect(told).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(told).toHaveLength(3);
    // the hour moved on past the turn: told once more, with nothing in it, then no more
    lastHour = 0;
    vi.advanceTimersByTime(50);
    expect(told).toHaveLength(4);
    vi.advanceTimersByTime(10_000);
    expect(told).toHaveLength(4);
    const e = told.at(-1)!;
    expect(e.kind === 'spend' && e.spend.lastHour).toEqual({ costUsd: 0, tokens: 0 });
  });
});
