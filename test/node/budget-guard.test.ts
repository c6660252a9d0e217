/**
 * A node's budget guard at its edge, with no session running: starts refused while the fleet's or a VP's daily
 * budget is spent (its own spend and the rest of the fleet's), what the refusal says, the notice it sends, the
 * settings it enforces coming from settings-apply, and its marks kept across a restart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../src/budget/ledger.js';
import { BudgetGuard } from '../../src/node/budget-guard.js';
import { NodeSettingsStore } from '../../src/node/settings-store.js';
import { noSpend, type BudgetNotice, type Turn } from '../../src/protocol/economics.js';
import { offlineNode } from '../helpers/node-server.js';

const nodes: ReturnType<typeof offlineNode>[] = [];
afterAll(async () => {
  for (const n of nodes) await n.close();
});

const today = () => new Date().toISOString().slice(0, 10);
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
    // what another day's sync said does not count
    g.sync({ day: '2000-01-01', fleet: { usd: 99, tokens: 0 }, vps: { research: { usd: 99, tokens: 0 } } });
    expect(() => g.check({ vp: 'research' })).not.toThrow();
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
});
