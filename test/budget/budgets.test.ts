/** Budgets as bookkeeping: what each holds, what it has spent, when it warns and stops, and what extensions add. */
import { describe, expect, it } from 'vitest';
import { addAmounts, BudgetBook, presetsFor, sessionLimit, vpLimit, type BudgetKey } from '../../src/budget/budgets.js';
import { MemoryLedger } from '../../src/budget/ledger.js';
import { noSpend, type Spend, type Turn } from '../../src/protocol/economics.js';

const today = () => new Date().toISOString().slice(0, 10);
const spend = (usd: number, tokens = 0): Spend => ({ ...noSpend(), costUsd: usd, inputTokens: tokens });

function turn(session: string, vp: string | null, s: Spend, worker: string | null = null, at = new Date()): Turn {
  return { at: at.toISOString(), session, worker, vp, discipline: 'backend', model: 'm', spend: s };
}

const S1: BudgetKey = { scope: 'session', subject: 's-1' };
const VP: BudgetKey = { scope: 'vp', subject: 'research' };
const FLEET: BudgetKey = { scope: 'fleet', subject: 'fleet' };

describe('which budget holds', () => {
  it('a session: the run’s, else its discipline’s, else the config’s; a VP: its own, else every VP’s', () => {
    expect(sessionLimit({ usd: 1 }, { usd: 2 }, { session: { usd: 3 } })).toEqual({ usd: 1 });
    expect(sessionLimit(undefined, { tokens: 500 }, { session: { usd: 3 } })).toEqual({ tokens: 500 });
    expect(sessionLimit(undefined, undefined, { session: { usd: 3 } })).toEqual({ usd: 3 });
    expect(sessionLimit(undefined, undefined, undefined)).toBeNull();
    expect(vpLimit('research', { vpDaily: { usd: 5 }, vps: { research: { usd: 9 } } })).toEqual({ usd: 9 });
    expect(vpLimit('ops', { vpDaily: { usd: 5 }, vps: { research: { usd: 9 } } })).toEqual({ usd: 5 });
    expect(vpLimit('ops', {})).toBeNull();
  });

  it('presets: the config’s in the budget’s unit, else half the budget and the whole again', () => {
    expect(presetsFor({ usd: 0.02 }, undefined)).toEqual([{ usd: 0.01 }, { usd: 0.02 }]);
    expect(presetsFor({ tokens: 1001 }, {})).toEqual([{ tokens: 501 }, { tokens: 1001 }]);
    const b = { presets: [{ usd: 1 }, { tokens: 100_000 }, { usd: 5 }] };
    expect(presetsFor({ usd: 2 }, b)).toEqual([{ usd: 1 }, { usd: 5 }]);
    expect(presetsFor({ tokens: 50 }, b)).toEqual([{ tokens: 100_000 }]);
  });
});

describe('a session’s budget', () => {
  it('counts its workers, warns once past the mark, stops once at the limit', () => {
    const ledger = new MemoryLedger();
    const book = new BudgetBook();
    book.addSession('s-1', { usd: 1 });
    ledger.record(turn('s-1', null, spend(0.5)));
    expect(book.observe(book.read(S1, ledger)!)).toBeNull();
    ledger.record(turn('s-1', null, spend(0.31), 'w-1'));
    const r = book.read(S1, ledger)!;
    expect(r.spent).toBeCloseTo(0.81);
    expect(book.observe(r)).toBe('warned');
    ledger.record(turn('s-1', null, spend(0.05)));
    expect(book.observe(book.read(S1, ledger)!)).toBeNull();
    ledger.record(turn('s-1', null, spend(0.2), 'w-2'));
    expect(book.observe(book.read(S1, ledger)!)).toBe('stopped');
    expect(book.stopped(S1, null)).toBe(true);
    ledger.record(turn('s-1', null, spend(0.01)));
    expect(book.observe(book.read(S1, ledger)!)).toBeNull();
  });

  it('in tokens, every kind counted; a jump past the limit stops without a warning first', () => {
    const ledger = new MemoryLedger();
    const book = new BudgetBook();
    book.addSession('s-1', { tokens: 1000 });
    ledger.record(turn('s-1', null, { ...noSpend(), inputTokens: 300, outputTokens: 300, cacheReadTokens: 500 }));
    const r = book.read(S1, ledger)!;
    expect(r.spent).toBe(1100);
    expect(book.observe(r)).toBe('stopped');
  });

  it('an extension adds to it, in its own unit only; a later crossing stops it again', () => {
    const ledger = new MemoryLedger();
    const book = new BudgetBook();
    book.addSession('s-1', { usd: 0.02 });
    ledger.record(turn('s-1', null, spend(0.021)));
    expect(book.observe(book.read(S1, ledger)!)).toBe('stopped');
    expect(book.extend(S1, { tokens: 5 }, ledger)).toEqual({ problem: expect.stringMatching(/in dollars/) });
    const after = book.extend(S1, { usd: 0.01 }, ledger);
    expect(after).toMatchObject({ limit: { usd: 0.03 } });
    expect(book.stopped(S1, null)).toBe(false);
    ledger.record(turn('s-1', null, spend(0.01)));
    expect(book.observe(book.read(S1, ledger)!)).toBe('stopped');
  });

  it('an extension too small leaves it stopped', () => {
    const ledger = new MemoryLedger();
    const book = new BudgetBook();
    book.addSession('s-1', { usd: 1 });
    ledger.record(turn('s-1', null, spend(1.5)));
    book.observe(book.read(S1, ledger)!);
    const after = book.extend(S1, { usd: 0.25 }, ledger);
    expect(after).toMatchObject({ limit: { usd: 1.25 }, spent: 1.5 });
    expect(book.stopped(S1, null)).toBe(true);
  });

  it('is kept across a restart with its extension and marks', () => {
    const ledger = new MemoryLedger();
    const book = new BudgetBook();
    book.addSession('s-1', { usd: 1 });
    ledger.record(turn('s-1', null, spend(1)));
    book.observe(book.read(S1, ledger)!);
    book.extend(S1, { usd: 1 }, ledger);
    const again = new BudgetBook(JSON.parse(JSON.stringify(book.state())));
    expect(again.read(S1, ledger)).toMatchObject({ limit: { usd: 2 }, spent: 1 });
    expect(again.observe(again.read(S1, ledger)!)).toBeNull();
  });
});

describe('daily budgets', () => {
  it('a VP’s counts its sessions, not others; the fleet’s counts every session and the rest of the fleet', () => {
    const ledger = new MemoryLedger();
    const book = new BudgetBook();
    book.settings({ vpDaily: { usd: 1 }, fleetDaily: { usd: 3 } });
    ledger.record(turn('s-1', 'research', spend(0.5)));
    ledger.record(turn('s-2', 'ops', spend(0.7)));
    ledger.record(turn('s-3', 'research', spend(0.4), 'w-1'));
    expect(book.read(VP, ledger)).toMatchObject({ spent: 0.9, limit: { usd: 1 }, day: today() });
    expect(book.observe(book.read(VP, ledger)!)).toBe('warned');
    expect(book.read(FLEET, ledger)!.spent).toBeCloseTo(1.6);
    book.sync({ day: today(), fleet: { usd: 1.5, tokens: 0 }, vps: { research: { usd: 0.2, tokens: 0 } } });
    expect(book.observe(book.read(VP, ledger)!)).toBe('stopped');
    expect(book.read(FLEET, ledger)!.spent).toBeCloseTo(3.1);
    expect(book.observe(book.read(FLEET, ledger)!)).toBe('stopped');
    // a report of a past day, or a lower one of today, lowers nothing: the stops stay
    book.sync({ day: '2000-01-01', fleet: { usd: 0, tokens: 0 }, vps: {} });
    book.sync({ day: today(), fleet: { usd: 0.1, tokens: 0 }, vps: {} });
    expect(book.read(FLEET, ledger)!.spent).toBeCloseTo(3.1);
    expect(book.read(VP, ledger)!.spent).toBeCloseTo(1.1);
    // what another day's sync said counts nothing today
    const fresh = new BudgetBook();
    fresh.settings({ fleetDaily: { usd: 3 } });
    fresh.sync({ day: '2000-01-01', fleet: { usd: 100, tokens: 0 }, vps: {} });
    expect(fresh.read(FLEET, ledger)!.spent).toBeCloseTo(1.6);
  });

  it('per node: each node’s highest figure of the day counts, so one that restarted lowers nothing', () => {
    const ledger = new MemoryLedger();
    const book = new BudgetBook();
    book.settings({ fleetDaily: { usd: 10 }, vpDaily: { usd: 10 } });
    const from = (nodes: Record<string, number>) => ({
      day: today(),
      fleet: { usd: 0, tokens: 0 },
      vps: {},
      nodes: Object.fromEntries(
        Object.entries(nodes).map(([n, usd]) => [n, { usd, tokens: 0, vps: { research: { usd, tokens: 0 } } }]),
      ),
    });
    expect(book.sync(from({ a: 2, b: 3 }))).toBe(true);
    expect(book.read(FLEET, ledger)!.spent).toBe(5);
    // node b restarted and reports less; node a reports more: b's 3 stands, a's rises
    expect(book.sync(from({ a: 2.5, b: 0.5 }))).toBe(true);
    expect(book.read(FLEET, ledger)!.spent).toBe(5.5);
    expect(book.read(VP, ledger)!.spent).toBe(5.5);
    expect(book.sync(from({ b: 1 }))).toBe(false);
    // kept across a restart with the book
    const again = new BudgetBook(book.state(), JSON.parse(JSON.stringify(book.elsewhere())));
    again.settings(book.config);
    expect(again.read(FLEET, ledger)!.spent).toBe(5.5);
  });

  it('an extension that would sum past the largest budget is refused, saying so; presets are never below the least', () => {
    expect(addAmounts({ usd: 900_000 }, { usd: 200_000 })).toEqual({
      problem: expect.stringMatching(/past the most a budget may be \(\$1000000\): extend it by less/),
    });
    expect(addAmounts({ tokens: 9e12 }, { tokens: 2e12 })).toHaveProperty('problem');
    expect(addAmounts({ usd: 1 }, { usd: 0.5 })).toEqual({ usd: 1.5 });
    expect(presetsFor({ usd: 0.001 }, undefined)).toEqual([{ usd: 0.001 }, { usd: 0.001 }]);
    expect(presetsFor({ tokens: 150 }, undefined)).toEqual([{ tokens: 100 }, { tokens: 150 }]);
  });

  it('in tokens, from the ledger and the rest of the fleet', () => {
    const ledger = new MemoryLedger();
    const book = new BudgetBook();
    book.settings({ vps: { research: { tokens: 10_000 } } });
    ledger.record(turn('s-1', 'research', spend(0, 6000)));
    book.sync({ day: today(), fleet: { usd: 0, tokens: 0 }, vps: { research: { usd: 0, tokens: 4500 } } });
    const r = book.read(VP, ledger)!;
    expect(r.spent).toBe(10_500);
    expect(book.observe(r)).toBe('stopped');
  });

  it('a new day starts clean: no spend, no warning given, no extension', () => {
    const ledger = new MemoryLedger();
    const yesterday = new Date(Date.now() - 86_400_000);
    const y = yesterday.toISOString().slice(0, 10);
    const book = new BudgetBook({ fleet: { day: y, extra: { usd: 5 }, warned: true, stopped: true } });
    book.settings({ fleetDaily: { usd: 1 } });
    ledger.record(turn('s-1', null, spend(0.9), null, yesterday));
    expect(book.stopped(FLEET, today())).toBe(false);
    const r = book.read(FLEET, ledger)!;
    expect(r).toMatchObject({ spent: 0, limit: { usd: 1 }, day: today() });
    ledger.record(turn('s-1', null, spend(0.85)));
    expect(book.observe(book.read(FLEET, ledger)!)).toBe('warned');
  });

  it('an extension lasts until the day ends', () => {
    const ledger = new MemoryLedger();
    const book = new BudgetBook();
    book.settings({ vpDaily: { usd: 1 } });
    ledger.record(turn('s-1', 'research', spend(1.1)));
    expect(book.observe(book.read(VP, ledger)!)).toBe('stopped');
    expect(book.extend(VP, { usd: 0.5 }, ledger)).toMatchObject({ limit: { usd: 1.5 } });
    expect(book.stopped(VP, today())).toBe(false);
    const kept = book.state();
    expect(kept['vp:research']).toMatchObject({ day: today(), extra: { usd: 0.5 } });
    // the same marks on another day: the extension is gone
    const tomorrow = new BudgetBook({ 'vp:research': { ...kept['vp:research']!, day: '2000-01-01' } });
    tomorrow.settings({ vpDaily: { usd: 1 } });
    expect(tomorrow.read(VP, ledger)!.limit).toEqual({ usd: 1 });
  });

  it('no budget set: nothing to read', () => {
    const book = new BudgetBook();
    expect(book.read(VP, new MemoryLedger())).toBeNull();
    expect(book.read(FLEET, new MemoryLedger())).toBeNull();
    expect(book.read(S1, new MemoryLedger())).toBeNull();
  });
});
