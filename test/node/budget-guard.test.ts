/**
 * A node's budget guard at its edge, with no session running: starts refused while the fleet's or a VP's daily
 * budget is spent (its own spend and the rest of the fleet's), what the refusal says, the notice it sends, the
 * settings it enforces coming from settings-apply, and its marks kept across a restart.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../src/budget/ledger.js';
import { BudgetGuard } from '../../src/node/budget-guard.js';
import { NodeSettingsStore } from '../../src/node/settings-store.js';
import { noSpend, type BudgetNotice, type NodeSpend, type Turn } from '../../src/protocol/economics.js';
import { elsewhere } from '../../src/fleet/spend-relay.js';
import { offlineNode } from '../helpers/node-server.js';

const nodes: ReturnType<typeof offlineNode>[] = [];
afterAll(async () => {
  for (const n of nodes) await n.close();
});

const today = () => new Date().toISOString().slice(0, 10);
const writeJson = (file: string, v: unknown) => writeFileSync(file, JSON.stringify(v));
const turn = (usd: number, vp: string | null): Turn => ({
  at: new Date().toISOString(),
  session: 's-elsewhere',
  worker: null,
  vp,
  discipline: 'backend',
  model: 'claude-sonnet-4-5',
  spend: { ...noSpend(), costUsd: usd },
});

function guard(node = offlineNode('agency-budget-'), ledger = new MemoryLedger()) {
  if (!nodes.includes(node)) nodes.push(node);
  const settings = new NodeSettingsStore({ home: node.paths.home, info: node.info });
  settings.load();
  const warnings: string[] = [];
  const g = new BudgetGuard({
    node: node.info.name,
    home: node.paths.home,
    manager: node.manager,
    workers: node.workers,
    ledger,
    settings,
    audit: { append: () => undefined },
    warn: (t) => warnings.push(t),
  });
  g.start();
  return { g, ledger, settings, warnings, node };
}

describe('starts and daily budgets', () => {
  it('a fleet budget applied to the node refuses starts once its spend reaches it, naming what to do', () => {
    const { g, ledger, settings, node } = guard();
    expect(() => g.check({ vp: null })).not.toThrow();
    settings.apply({ budgets: { fleetDaily: { usd: 1 } } });
    ledger.record(turn(0.7, null));
    expect(() => g.check({ vp: null })).not.toThrow();
    const notices: BudgetNotice[] = [];
    const off = node.manager.onEvent((e) => e.kind === 'budget' && notices.push(e.notice));
    ledger.record(turn(0.35, 'research'));
    let error: (Error & { code?: string }) | null = null;
    try {
      g.check({ vp: 'research' });
    } catch (e) {
      error = e as Error & { code?: string };
    }
    off();
    expect(error?.code).toBe('conflict');
    expect(error?.message).toMatch(
      new RegExp(`^not started: the fleet's daily budget of \\$1\\.00 is spent \\(\\$1\\.05 on ${today()}\\)`),
    );
    expect(error?.message).toContain('no decision about it is open on this node: raise budgets.fleetDaily');
    expect(notices).toEqual([
      expect.objectContaining({ scope: 'fleet', subject: 'fleet', state: 'refused', spent: 1.05 }),
    ]);
    // raised in the config and applied: starts go again
    settings.apply({ budgets: { fleetDaily: { usd: 2 } } });
    expect(() => g.check({ vp: 'research' })).not.toThrow();
  });

  it('a VP’s budget counts the rest of the fleet’s spend of that VP today, and only that VP', () => {
    const { g, ledger, settings } = guard();
    settings.apply({ budgets: { vpDaily: { usd: 5 }, vps: { research: { usd: 0.5 } } } });
    ledger.record(turn(0.3, 'research'));
    expect(() => g.check({ vp: 'research' })).not.toThrow();
    g.sync({ day: today(), fleet: { usd: 0.25, tokens: 0 }, vps: { research: { usd: 0.25, tokens: 0 } } });
    expect(() => g.check({ vp: 'research' })).toThrow(/VP research's daily budget of \$0\.5 is spent \(\$0\.55/);
    expect(() => g.check({ vp: 'ops' })).not.toThrow();
    expect(() => g.check({ vp: null })).not.toThrow();
    // a lower figure, or one of a past day, does not let starts go again
    g.sync({ day: today(), fleet: { usd: 0, tokens: 0 }, vps: { research: { usd: 0.1, tokens: 0 } } });
    g.sync({ day: '2000-01-01', fleet: { usd: 0, tokens: 0 }, vps: {} });
    expect(() => g.check({ vp: 'research' })).toThrow(/VP research's daily budget of \$0\.5 is spent \(\$0\.55/);
    // what another day's sync said does not count
    const other = guard();
    other.settings.apply({ budgets: { vps: { research: { usd: 0.5 } } } });
    other.g.sync({ day: '2000-01-01', fleet: { usd: 99, tokens: 0 }, vps: { research: { usd: 99, tokens: 0 } } });
    expect(() => other.g.check({ vp: 'research' })).not.toThrow();
  });

  it('in tokens too', () => {
    const { g, ledger, settings } = guard();
    settings.apply({ budgets: { vpDaily: { tokens: 1000 } } });
    ledger.record({ ...turn(0, 'ops'), spend: { ...noSpend(), inputTokens: 600, cacheReadTokens: 450 } });
    expect(() => g.check({ vp: 'ops' })).toThrow(/VP ops's daily budget of 1k tokens is spent \(1.1k tokens/);
  });

  it('keeps its marks in budgets.json, and a file that does not hold is a warning, not its end', async () => {
    const { settings, ledger, node } = guard();
    settings.apply({ budgets: { fleetDaily: { usd: 1 } } });
    ledger.record(turn(0.9, null));
    const file = join(node.paths.home, 'budgets.json');
    await import('node:timers/promises').then((t) => t.setImmediate());
    expect(existsSync(file)).toBe(true);
    const kept = JSON.parse(readFileSync(file, 'utf8'));
    expect(kept.marks.fleet).toMatchObject({ day: today(), warned: true, stopped: false });
    (await import('node:fs')).writeFileSync(file, '{"version": 1, "marks": 7}');
    const again = guard(node);
    expect(again.warnings.join('\n')).toMatch(/budgets\.json cannot be used \(marks: /);
  });

  it('an entry of budgets.json that does not hold is dropped with a warning naming it; the others are kept', () => {
    const node = offlineNode('agency-budget-entries-');
    const good = { day: today(), extra: { usd: 2 }, warned: false, stopped: false };
    writeJson(join(node.paths.home, 'budgets.json'), {
      version: 1,
      marks: { fleet: good, 'vp:ops': { day: today(), extra: { usd: -1 }, warned: false, stopped: false } },
      stops: [
        { key: { scope: 'fleet', subject: 'fleet' }, decision: 'no such id!', paused: [], day: null, state: 'open' },
      ],
      away: { day: today(), nodes: { b: { usd: 0.5, tokens: 0, vps: {} } } },
    });
    const { g, ledger, settings, warnings } = guard(node);
    expect(warnings.join('\n')).toMatch(
      /budgets\.json: dropped what does not hold, kept the rest: marks\.vp:ops \(extra\.usd: a budget is at least \$0\.001\); stops\.0 \(decision: /,
    );
    // the fleet's extension of today is kept ($1 + $2), and so is what the rest of the fleet spent
    settings.apply({ budgets: { fleetDaily: { usd: 1 } } });
    ledger.record(turn(2.4, null));
    expect(() => g.check({ vp: null })).not.toThrow();
    ledger.record(turn(0.1, null));
    expect(() => g.check({ vp: null })).toThrow(/the fleet's daily budget of \$3\.00 is spent \(\$3\.00/);
  });
});

describe('answers and the rest of the fleet', () => {
  it('an amount answers budget decisions only, in their unit', () => {
    const n = offlineNode('agency-budget-answer-');
    nodes.push(n);
    const merge = n.manager.decisions.ask(
      { node: 'edge', session: 's-1', tool: 'merge', summary: 'x', input: {} },
      'merge',
    );
    expect(() => n.manager.decide({ decision: merge.decision.id, approve: true, amount: { usd: 1 } })).toThrow(
      /an amount answers a budget decision only/,
    );
    const input = { scope: 'vp', subject: 'ops', limit: { tokens: 1000 }, spent: 1200, day: today(), presets: [] };
    const budget = n.manager.decisions.ask(
      { node: 'edge', session: 's-1', tool: 'budget', summary: 'x', input },
      'budget',
    );
    expect(() => n.manager.decide({ decision: budget.decision.id, approve: true, amount: { usd: 1 } })).toThrow(
      /this budget is in tokens: extend it by tokens/,
    );
    expect(n.manager.decide({ decision: budget.decision.id, approve: true, amount: { tokens: 500 } }).state).toBe(
      'approved',
    );
  });

  it('what the rest of the fleet spent today: every other node’s, per VP, not another day’s', () => {
    const spend = (usd: number, tokens: number) => ({ ...noSpend(), costUsd: usd, outputTokens: tokens });
    const d = today();
    const spends = new Map<string, NodeSpend>([
      ['a', { day: d, today: spend(1, 100), hours: [], vps: { ops: spend(0.5, 40) } }],
      ['b', { day: d, today: spend(2, 200), hours: [], vps: { ops: spend(1, 10), research: spend(1, 190) } }],
      ['c', { day: '2000-01-01', today: spend(50, 5000), hours: [], vps: { ops: spend(50, 5000) } }],
    ]);
    expect(elsewhere(spends, 'a', d)).toEqual({
      day: d,
      fleet: { usd: 2, tokens: 200 },
      vps: { ops: { usd: 1, tokens: 10 }, research: { usd: 1, tokens: 190 } },
      nodes: {
        b: { usd: 2, tokens: 200, vps: { ops: { usd: 1, tokens: 10 }, research: { usd: 1, tokens: 190 } } },
      },
    });
    expect(elsewhere(spends, 'b', d).fleet).toEqual({ usd: 1, tokens: 100 });
  });
});
