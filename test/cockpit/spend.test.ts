/** The header's figures from each node's spend as last heard: the last hour counts only while it is fresh. */
import { describe, expect, it } from 'vitest';
import { fleetSpend, LAST_HOUR_FRESH_MS } from '../../src/cockpit/spend.js';
import { noSpend, type NodeSpend } from '../../src/protocol/economics.js';

const NOW = Date.parse('2030-05-02T12:30:00.000Z');
const spend = (lastHourUsd: number, todayUsd: number): NodeSpend => ({
  day: '2030-05-02',
  today: { ...noSpend(), costUsd: todayUsd },
  hours: [],
  lastHour: { costUsd: lastHourUsd, tokens: lastHourUsd * 100 },
  vps: {},
});

describe('fleetSpend', () => {
  it("a node's last hour heard long ago (it stopped telling: nothing was spent since) no longer counts", () => {
    expect(
      fleetSpend(
        [
          { spend: spend(2, 5), at: NOW - 50 * 60_000 },
          { spend: spend(1, 3), at: NOW - 30_000 },
        ],
        NOW,
      ),
    ).toEqual({ lastHourUsd: 1, lastHourTokens: 100, todayUsd: 8 });
    expect(fleetSpend([{ spend: spend(1, 3), at: NOW - LAST_HOUR_FRESH_MS }], NOW)).toEqual({
      lastHourUsd: 0,
      lastHourTokens: 0,
      todayUsd: 3,
    });
  });
});
