/**
 * A budget stop on a node with sessions in every state: what it holds besides what it paused (sessions the
 * operator paused, queued ones), a queued session's start checked again when its turn comes, a node that stops
 * before the stop's decision is kept, an extension that cannot be applied, and an answer of a day that ended.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryLedger } from '../../src/budget/ledger.js';
import { composeAdmission, OPEN_ADMISSION, startInTurn } from '../../src/node/admission.js';
import { BudgetGuard } from '../../src/node/budget-guard.js';
import { NodeSettingsStore } from '../../src/node/settings-store.js';
import type { SessionRecord } from '../../src/node/state-file.js';
import { noSpend, type Turn } from '../../src/protocol/economics.js';
import { offlineNode } from '../helpers/node-server.js';
import { sessionRecord } from '../helpers/state-records.js';
import { until } from '../helpers/until.js';

const nodes: ReturnType<typeof offlineNode>[] = [];
afterAll(async () => {
  for (const n of nodes) await n.close();
});
afterEach(() => vi.useRealTimers());

const live = { endedAt: null, exitCode: null, vp: 'research' };
/** a node with a session at work, one the operator paused and one queued, all of VP research */
function node() {
  const n = offlineNode('agency-budget-hold-', {
    state: (home) => ({
      version: 1,
      sessions: [
        sessionRecord(home, 's-aaa111', { ...live, state: 'working' }),
        sessionRecord(home, 's-bbb222', { ...live, state: 'paused', held: 'operator' }),
        sessionRecord(home, 's-ccc333', { ...live, state: 'queued', held: 'queued' }),
      ],
      decisions: [],
    }),
  });
  nodes.push(n);
  return n;
}

function guard(n: ReturnType<typeof node>, ledger = new MemoryLedger()) {
  const settings = new NodeSettingsStore({ home: n.paths.home, info: n.info });
  settings.load();
  const warnings: string[] = [];
  const g = new BudgetGuard({
    node: n.info.name,
    home: n.paths.home,
    manager: n.manager,
    workers: n.workers,
    ledger,
    settings,
    audit: { append: () => undefined },
    warn: (t) => warnings.push(t),
  });
  g.start();
  return { g, ledger, settings, warnings };
}

const turn = (session: string, usd: number): Turn => ({
  at: new Date().toISOString(),
  session,
  worker: null,
  vp: 'research',
  discipline: 'backend',
  model: 'claude-sonnet-4-5',
  spend: { ...noSpend(), costUsd: usd },
});
const kept = (n: ReturnType<typeof node>) =>
  JSON.parse(readFileSync(join(n.paths.home, 'budgets.json'), 'utf8')) as {
    stops: { decision: string; paused: string[]; state: string }[];
  };
const openBudget = (n: ReturnType<typeof node>) =>
  n.manager.decisions
    .list()
    .filter((d) => d.source === 'budget' && d.state === 'open')
    .map((d) => d.id);

/** VP research's $1 a day, spent by s-run: the stop pauses s-run and asks */
function spent() {
  const n = node();
  const gd = guard(n);
  gd.settings.apply({ budgets: { vpDaily: { usd: 1 } } });
  gd.ledger.record(turn('s-aaa111', 1.2));
  const [decision] = openBudget(n);
  expect(decision).toBeDefined();
  return { n, ...gd, decision: decision! };
}

describe('a budget stop holds every session it covers', () => {
  it('the operator’s paused and queued sessions are held and may not be resumed; one at work joins the stop', () => {
    const { n, g, ledger } = spent();
    expect(kept(n).stops).toEqual([expect.objectContaining({ paused: ['s-aaa111'], state: 'open' })]);
    for (const id of ['s-aaa111', 's-bbb222', 's-ccc333']) expect(g.holds(id)).toBe(true);
    expect(() => n.manager.resumable(n.manager.record('s-bbb222'))).toThrow(
      /^session s-bbb222 is paused because VP research's daily budget of \$1\.00 is spent \(\$1\.20 on .*\): approve decision d-/,
    );
    // a turn of a session the stop did not pause: it is paused too, and the approval lets it go with the others
    ledger.record(turn('s-bbb222', 0.05));
    expect(kept(n).stops[0]!.paused).toEqual(['s-aaa111', 's-bbb222']);
    expect(openBudget(n)).toHaveLength(1);
  });

  it('a queued session’s turn comes while the budget is spent: it stays queued, held for it, and starts once extended', async () => {
    const { n, g, decision } = spent();
    const r: SessionRecord = { ...n.manager.record('s-ccc333') };
    const started: string[] = [];
    startInTurn(
      composeAdmission(g, OPEN_ADMISSION),
      r,
      (p) => Object.assign(r, p),
      () => started.push(r.id),
    );
    expect(started).toEqual([]);
    expect(r).toMatchObject({ state: 'queued', held: 'budget' });
    expect(r.activity).toMatch(/^queued: not started: VP research's daily budget of \$1\.00 is spent/);
    n.manager.decisions.settle(decision, true, null, 'operator', { usd: 1 });
    await until('the queued session starts', () => started.length === 1, 5000);
    expect(r.held).toBeNull();
  });
});

describe('a stop across a restart and a failed extension', () => {
  it('its decision is on disk with it; a node that lost the decision asks again while the budget is spent', () => {
    const { n, ledger, decision } = spent();
    // written at once, not on the table's next write
    expect(readFileSync(n.paths.state, 'utf8')).toContain(decision);
    // another node home with the same sessions, the stop kept and its decision lost (a crash before the write)
    const again = node();
    for (const f of ['budgets.json', 'settings.json']) copyFileSync(join(n.paths.home, f), join(again.paths.home, f));
    guard(again, ledger);
    const [asked] = openBudget(again);
    expect(asked).toBeDefined();
    expect(kept(again).stops).toEqual([expect.objectContaining({ decision: asked, paused: ['s-aaa111'] })]);
    // the budget no longer spent (raised) by then: the stop ends, and a later crossing stops again
    const third = node();
    copyFileSync(join(n.paths.home, 'budgets.json'), join(third.paths.home, 'budgets.json'));
    const t = guard(third, new MemoryLedger());
    t.settings.apply({ budgets: { vpDaily: { usd: 1 } } });
    expect(openBudget(third)).toEqual([]);
    expect(kept(third).stops).toEqual([]);
    t.ledger.record(turn('s-aaa111', 1.5));
    expect(openBudget(third)).toHaveLength(1);
  });

  it('an extension that cannot be applied asks again, its sessions still held', async () => {
    const { n, g, decision, warnings } = spent();
    n.manager.decisions.settle(decision, true, null, 'operator', { usd: 1_000_000 });
    await until('asked again', () => openBudget(n).length === 1 && openBudget(n)[0] !== decision, 5000);
    expect(warnings.join('\n')).toMatch(/past the most a budget may be .*; asked again/);
    expect(kept(n).stops).toEqual([expect.objectContaining({ paused: ['s-aaa111'], state: 'open' })]);
    expect(g.holds('s-aaa111')).toBe(true);
  });

  it('an answer to a daily stop of a day that ended extends nothing: the new day lets its sessions go', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-05T23:59:00Z') });
    const { n, g, ledger, decision } = spent();
    vi.setSystemTime(new Date('2026-12-06T00:00:30Z'));
    n.manager.decisions.settle(decision, true, null, 'operator', { usd: 5 });
    await until('the stop ends', () => kept(n).stops.length === 0, 5000);
    expect(g.holds('s-aaa111')).toBe(false);
    // the new day's budget is the config's, not extended: $1.20 more spends it again
    ledger.record(turn('s-aaa111', 1.2));
    expect(openBudget(n)).toHaveLength(1);
  });
});
