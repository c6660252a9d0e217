/**
 * The fleet's spend in the cockpit: the header's last hour and today, as much as fits, and a node's chart of its
 * last hours with the figures, at 80×24 and 160×48; a node's figures that are not a spend are not shown.
 */
import { describe, expect, it } from 'vitest';
import { FleetStore } from '../../src/cockpit/store.js';
import type { FleetHealth } from '../../src/cockpit/types.js';
import type { NodeSpend } from '../../src/protocol/economics.js';
import type { CockpitEvent } from '../../src/cockpit/client.js';
import { stringWidth } from '../../src/terminal/index.js';
import { healthLine } from '../../src/tui/components/Header.js';
import { decision, decisionEvent, fleetEvents } from '../cockpit/fixtures.js';
import { KEY, mountEach, type Cockpit } from './harness.js';

const app = mountEach();
const HOUR = 3_600_000;

/** A node's spend as it tells it now: `perHour` dollars per clock hour, oldest first, the current hour last. */
function spendOf(perHour: number[], today: number, vps: Record<string, number> = {}): NodeSpend {
  const now = Date.now();
  const current = Math.floor(now / HOUR);
  const spend = (usd: number) => ({
    inputTokens: 10,
    outputTokens: 10,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    costUsd: usd,
  });
  return {
    day: new Date(now).toISOString().slice(0, 10),
    today: spend(today),
    hours: perHour.map((usd, i) => ({
      hour: new Date((current - perHour.length + 1 + i) * HOUR).toISOString(),
      costUsd: usd,
      tokens: usd * 1000,
    })),
    lastHour: { costUsd: perHour.at(-1)!, tokens: perHour.at(-1)! * 1000 },
    vps: Object.fromEntries(Object.entries(vps).map(([k, v]) => [k, spend(v)])),
  };
}

const spendEvent = (node: string, spend: unknown): CockpitEvent => ({ kind: 'spend', node, spend }) as CockpitEvent;

// studio-01 spent $0.74 in the last hour and $5.10 today; studio-02 $0.50 and $3.00: the fleet $1.24/h, $8.10
const HOURS = [
  0, 0, 0.1, 0.2, 0, 0, 0.4, 0.8, 1.6, 0.9, 0.3, 0, 0, 0, 0.05, 0.1, 0.2, 0.3, 0.2, 0.1, 0, 0.6, 1.2, 0.74,
];
const EVENTS = [
  ...fleetEvents(2, 3),
  decisionEvent(decision('studio-01', 'd-1', 's-1001')),
  spendEvent('studio-01', spendOf(HOURS, 5.1, { 'vp-eng': 4, 'vp-ops': 1.1 })),
  spendEvent('studio-02', spendOf(new Array<number>(23).fill(0).concat([0.5]), 3)),
];

const SIZES = [
  [80, 24],
  [160, 48],
] as const;

function fits(c: Cockpit, columns: number, rows: number): void {
  const lines = c.lines();
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(columns);
}

describe('spend in the cockpit', () => {
  for (const [columns, rows] of SIZES)
    it(`at ${columns}×${rows}: the header shows the fleet's last hour and today, the node view its chart`, async () => {
      const c = await app({ columns, rows, events: EVENTS });
      await c.until({ shows: '$8.10 today' });
      fits(c, columns, rows);
      expect(c.lines()[0]).toContain('$1.24/h · $8.10 today');
      expect(c.lines()[0]).toMatch(/⚑ 1 (decision )?waiting/);

      await c.press(KEY.enter, (c) => c.lines()[1]!.includes('fleet › studio-01'));
      fits(c, columns, rows);
      const line = c.lines().find((l) => l.startsWith(' spend '))!;
      expect(line).toBeDefined();
      // 24 hours from 80 columns on: the largest hour ($1.60) a full bar, an hour of nothing the lowest
      const chart = /^ spend (\S+) 24h {2}\$0\.74\/h · \$5\.10 today/.exec(line);
      expect(chart, line).not.toBeNull();
      const bars = [...chart![1]!];
      expect(bars).toHaveLength(24);
      expect(bars[8]).toBe('█');
      expect(bars[0]).toBe('▁');
      expect(bars[7]).toBe('▅'); // 0.8 of 1.6: half of the largest, the middle bar
      if (columns >= 160) expect(line).toContain('vp-eng $4.00 · vp-ops $1.10');
      // the header still says the fleet's
      expect(c.lines()[0]).toContain('$8.10 today');
    });

  it('the header says as much as fits and keeps the decisions and today from 40 to 200 columns', () => {
    const h: FleetHealth = {
      nodesUp: 12,
      nodesTotal: 16,
      sessions: { queued: 0, starting: 1, working: 40, 'needs-input': 3, idle: 20, paused: 2, exited: 5, failed: 1 },
      live: 66,
      readyToLand: 4,
      workers: { queued: 5, running: 10, done: 3, failed: 0, stopped: 0 },
      workerModels: {
        haiku: { queued: 5, running: 6, done: 3, failed: 0, stopped: 0 },
        sonnet: { queued: 0, running: 3, done: 0, failed: 0, stopped: 0 },
        opus: { queued: 0, running: 1, done: 0, failed: 0, stopped: 0 },
      },
      decisions: 7,
      tokens: 1e6,
      costUsd: 123.45,
      tokensPerHour: 2e5,
      costPerHour: 4.5,
      spend: { lastHourUsd: 1.24, lastHourTokens: 31_000, todayUsd: 8.1 },
    };
    let was = Infinity;
    for (let w = 200; w >= 40; w--) {
      const p = healthLine(h, w);
      const line = p.left + p.decisions + p.rate;
      expect(stringWidth(line), `${w}: ${line}`).toBeLessThan(w);
      expect(p.decisions).toMatch(/⚑ 7 (decisions )?waiting/);
      expect(p.rate).toContain('$8.10 today');
      expect(stringWidth(line)).toBeLessThanOrEqual(was);
      was = stringWidth(line);
    }
    // the tokens of the nodes' last hour, not the cockpit's own sampling (2e5 here)
    expect(healthLine(h, 200).rate).toBe('│ 31.0k tok/h  $1.24/h · $8.10 today');
    expect(healthLine(h, 100).rate).toBe('│ $1.24/h · $8.10 today');
  });

  it("keeps no figures that are not a node's spend, and stops counting a day that is over", () => {
    const store = new FleetStore({ tickMs: 0 });
    try {
      store.ingest(spendEvent('a', { day: 'today', today: 'lots' }));
      store.ingest(spendEvent('b', { ...spendOf([1], 2), hours: [{ hour: 'x', costUsd: -5, tokens: 0 }] }));
      store.flush();
      expect(store.getSnapshot().spend.size).toBe(0);
      expect(store.getSnapshot().health.spend ?? null).toBeNull();
      store.ingest(spendEvent('c', { ...spendOf([0.25], 7), day: '2001-01-01' }));
      store.ingest(spendEvent('d', spendOf([0.5], 1.5)));
      store.flush();
      expect(store.getSnapshot().health.spend).toEqual({ lastHourUsd: 0.75, lastHourTokens: 750, todayUsd: 1.5 });
    } finally {
      store.dispose();
    }
  });
});
