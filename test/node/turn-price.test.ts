/** What a turn costs against the budgets: list prices, unknown models at the dearest rate, workers' cache writes. */
import { describe, expect, it } from 'vitest';
import { DEAREST, DEAREST_FAST, turnCost } from '../../src/node/turn-price.js';
import { billable } from '../../src/node/worker-host.js';
import { MODEL_PRICES } from '../../src/session/cost/index.js';

const tokens = (t: Partial<Parameters<typeof turnCost>[1]>) => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheCreationTokens: 0,
  cacheCreation1hTokens: 0,
  cacheReadTokens: 0,
  webSearchRequests: 0,
  ...t,
});

describe('turnCost', () => {
  it('a known model at its list price; an unknown one at the dearest, fast mode at the dearest of fast too', () => {
    const told: string[] = [];
    expect(turnCost('claude-sonnet-4-5', tokens({ inputTokens: 1e6 }), (t) => told.push(t))).toEqual({
      usd: 3,
      priced: true,
    });
    expect(told).toEqual([]);
    const unknown = turnCost('claude-next-1 (fast)', tokens({ outputTokens: 1e6 }), (t) => told.push(t));
    expect(unknown).toEqual({ usd: DEAREST_FAST.output, priced: false });
    expect(DEAREST_FAST.output).toBeGreaterThanOrEqual(DEAREST.output);
    expect(DEAREST.output).toBe(Math.max(...Object.values(MODEL_PRICES).map((p) => p.output)));
    turnCost('claude-next-1 (fast)', tokens({ outputTokens: 1 }), (t) => told.push(t));
    expect(told).toHaveLength(1);
  });

  it('a worker’s cache writes: the 1-hour share its stream told, else all of them at the 1-hour rate', () => {
    const t = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 1e6, cacheReadTokens: 0 };
    const sonnet = MODEL_PRICES['claude-sonnet-4-5']!;
    const at = (x: Parameters<typeof billable>[0]) => turnCost('claude-sonnet-4-5', billable(x), () => undefined).usd;
    expect(at(t)).toBeCloseTo(sonnet.cacheWrite1h, 9);
    expect(at({ ...t, cacheCreation1hTokens: 0 })).toBeCloseTo(sonnet.cacheWrite5m, 9);
    expect(at({ ...t, cacheCreation1hTokens: 5e5 })).toBeCloseTo((sonnet.cacheWrite1h + sonnet.cacheWrite5m) / 2, 9);
  });
});
