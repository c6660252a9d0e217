/** A budget decision in the cockpit: shown with its spend, limit and presets; approving asks how much to extend by. */
import { describe, expect, it } from 'vitest';
import type { BudgetStop } from '../../src/protocol/economics.js';
import { decision, decisionEvent, fleetEvents } from '../cockpit/fixtures.js';
import { type Cockpit, KEY, mountEach } from './harness.js';

const app = mountEach();
const message = (c: Cockpit) => c.lines().at(-2)!.trim();
const where = (c: Cockpit) => c.lines()[1]!.trim();

const stop: BudgetStop = {
  scope: 'session',
  subject: 's-2001',
  limit: { usd: 0.02 },
  spent: 0.0213,
  day: null,
  presets: [{ usd: 0.01 }, { usd: 0.05 }],
};
const budgetDecision = (id: string) =>
  decision('studio-02', id, 's-2001', {
    tool: 'budget',
    source: 'budget',
    summary: "session s-2001's budget of $0.02 is spent",
    input: stop,
  });

async function inSession(c: Cockpit): Promise<void> {
  await c.press('l', { shows: '║ studio-02' });
  await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-02');
  await c.press(KEY.enter, { shows: '$0.0213 spent of $0.02' });
}

describe('a budget decision in the cockpit', () => {
  it('shows its spend, limit and presets; a approves with a preset by its number', async () => {
    const c = await app({ events: [...fleetEvents(3, 1), decisionEvent(budgetDecision('d-1'))] });
    await inSession(c);
    expect(c.lines().join('\n')).toMatch(
      /budget: session s-2001's budget: \$0\.0213 spent of \$0\.02; approve extends it \(1: \$0\.01, 2: \$0\.05/,
    );
    await c.press('a', { shows: 'extend by (Enter: $0.01; 1: $0.01, 2: $0.05; or $, k):' });
    expect(c.port.ops('decide')).toHaveLength(0);
    await c.type('2');
    await c.press(KEY.enter, (c) => c.port.ops('decide').length === 1);
    expect(c.port.ops('decide')).toEqual([
      { node: 'studio-02', op: 'decide', args: { decision: 'd-1', approve: true, amount: { usd: 0.05 } } },
    ]);
  });

  it('deny asks nothing', async () => {
    const c = await app({ events: [...fleetEvents(3, 1), decisionEvent(budgetDecision('d-3'))] });
    await inSession(c);
    await c.press('d', (c) => c.port.ops('decide').length === 1);
    expect(c.port.ops('decide')[0]!.args).toEqual({ decision: 'd-3', approve: false });
  });

  it('takes an amount typed, and refuses one it cannot read without answering', async () => {
    const c = await app({ events: [...fleetEvents(3, 1), decisionEvent(budgetDecision('d-2'))] });
    await inSession(c);
    await c.press('a', { shows: 'extend by' });
    await c.type('lots');
    await c.press(KEY.enter, (c) => /not approved: "lots" is not an amount/.test(message(c)));
    expect(c.port.ops('decide')).toHaveLength(0);
    await c.press('a', { shows: 'extend by' });
    await c.type('$0.5');
    await c.press(KEY.enter, (c) => c.port.ops('decide').length === 1);
    expect(c.port.ops('decide')[0]!.args).toEqual({ decision: 'd-2', approve: true, amount: { usd: 0.5 } });
  });
});
