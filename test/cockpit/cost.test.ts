/** A node's answer to `cost` as the cockpit reads it: one odd key does not cost the node its whole answer. */
import { describe, expect, it } from 'vitest';
import { readCostRows } from '../../src/cockpit/cost.js';

const row = (key: string, costUsd = 1) => ({
  key,
  turns: 1,
  inputTokens: 10,
  outputTokens: 2,
  cacheCreationTokens: 0,
  cacheReadTokens: 0,
  costUsd,
});

describe('readCostRows', () => {
  it('a key longer than kept is cut; the figures of every row stay', () => {
    const rows = readCostRows({ rows: [row('claude-opus-4-8', 2), row(`m-${'x'.repeat(5000)}`, 3)] })!;
    expect(rows.map((r) => r.costUsd)).toEqual([2, 3]);
    expect(rows[1]!.key).toHaveLength(200);
    expect(rows[1]!.key.endsWith('…')).toBe(true);
  });

  it('what is not a cost (a figure that is not a finite count) is refused', () => {
    expect(readCostRows({ rows: [{ ...row('a'), costUsd: null }] })).toBeNull();
    expect(readCostRows('nonsense')).toBeNull();
  });
});
