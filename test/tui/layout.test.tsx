/**
 * The frame at 80×24 and at 160×48: the header always keeps the decisions waiting and the cost, the footer
 * always keeps `q` (and `?`), in every view; and an empty fleet says what to do first.
 */
import { describe, expect, it } from 'vitest';
import type { FleetHealth } from '../../src/cockpit/types.js';
import { stringWidth } from '../../src/terminal/index.js';
import { fitHints, type Hint } from '../../src/tui/components/Footer.js';
import { healthLine } from '../../src/tui/components/Header.js';
import {
  at,
  decision,
  decisionEvent,
  fleetEvents,
  link,
  nodeEvent,
  session,
  sessionEvent,
} from '../cockpit/fixtures.js';
import { type Cockpit, KEY, mountEach } from './harness.js';

const app = mountEach();

const SIZES = [
  [80, 24],
  [160, 48],
] as const;

const usage = (costUsd: number) => ({
  inputTokens: 1000,
  outputTokens: 2000,
  cacheCreationTokens: 0,
  cacheReadTokens: 0,
  costUsd,
  unpricedModels: [],
});

/** Two nodes, sessions in every state, one ready to land, a decision waiting and $12.34 spent. */
const BUSY = [
  ...fleetEvents(2, 3),
  sessionEvent(session('studio-01', 's-8', { state: 'paused', usage: usage(10) })),
  sessionEvent(
    session('studio-02', 's-9', {
      state: 'exited',
      endedAt: at(1),
      usage: usage(2.34),
      landing: { ahead: 1, behind: 0, filesChanged: 1, merged: false, dirty: false, measuredAt: at(1) },
    }),
  ),
  decisionEvent(decision('studio-01', 'd-1', 's-1001')),
];

function frameFits(c: Cockpit, columns: number, rows: number): void {
  const lines = c.lines();
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(columns);
}

function headerAndFooter(c: Cockpit, columns: number, rows: number): void {
  frameFits(c, columns, rows);
  const header = c.lines()[0]!;
  expect(header).toMatch(/⚑ 1 (decision )?waiting/);
  expect(header).toContain('total $12.34');
  const keys = c.lines().at(-1)!;
  expect(keys).toMatch(/ q quit\b/);
  expect(keys).toMatch(/ \? help\b/);
}

describe('layout', () => {
  for (const [columns, rows] of SIZES) {
    it(`at ${columns}×${rows} every view keeps decisions and cost in the header and q in the footer`, async () => {
      const c = await app({ columns, rows, events: BUSY });
      c.port.answer.diff = () => ({
        session: 's-1001',
        from: 'a',
        to: 'b',
        files: [{ path: 'x.ts', added: 1, removed: 0, status: 'added' }],
        patch: '+x',
        truncated: false,
        dirty: false,
      });
      headerAndFooter(c, columns, rows); // fleet
      await c.press(KEY.enter, (c) => c.lines()[1]!.includes('fleet › studio-01'));
      headerAndFooter(c, columns, rows); // node
      await c.press('D', { shows: 'lines 1–' });
      headerAndFooter(c, columns, rows); // diff
      await c.press(KEY.escape, { shows: 'LANDING' });
      await c.press(KEY.enter, (c) => c.lines()[1]!.includes('› s-1001'));
      headerAndFooter(c, columns, rows); // session
      await c.press('n', { shows: 'new task' });
      frameFits(c, columns, rows);
      expect(c.lines()[0]).toContain('total $12.34');
      expect(c.lines().at(-1)).toMatch(/ Esc cancel\b/);
    });
  }

  it('the header says as much as fits, and never drops the decisions or the cost, from 40 to 200 columns', () => {
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
    };
    let was = Infinity;
    for (let w = 200; w >= 40; w--) {
      const p = healthLine(h, w);
      const line = p.left + p.decisions + p.rate;
      expect(stringWidth(line), `${w}: ${line}`).toBeLessThan(w);
      expect(p.decisions).toMatch(/⚑ 7 (decisions )?waiting/);
      expect(p.rate).toContain('total $123');
      expect(stringWidth(line)).toBeLessThanOrEqual(was); // narrower, never longer
      was = stringWidth(line);
    }
    expect(healthLine(h, 200).left).toContain('sessions 40 working 3 input 20 idle 2 paused 1 starting');
    expect(healthLine(h, 200).rate).toContain('tok/h');
  });

  it('the footer drops disabled hints first, then the last ones, and keeps ? help and q quit', () => {
    const hint = (id: string, off = false): Hint => ({ id, key: id[0]!, hint: id, off });
    const all = [
      hint('open'),
      hint('help'),
      hint('filter', true),
      hint('pause'),
      hint('resume'),
      hint('quit'),
      hint('merge'),
    ];
    expect(fitHints(all, 200).map((h) => h.id)).toEqual(all.map((h) => h.id));
    expect(fitHints(all, 50).map((h) => h.id)).toEqual(['open', 'help', 'pause', 'resume', 'quit']);
    expect(fitHints(all, 30).map((h) => h.id)).toEqual(['open', 'help', 'quit']);
    expect(fitHints(all, 5).map((h) => h.id)).toEqual(['help', 'quit']);
  });
});

describe('an empty fleet', () => {
  const said = (c: Cockpit) => c.lines().join(' ').replace(/\s+/g, ' ');

  for (const [columns, rows] of SIZES)
    it(`at ${columns}×${rows}, with no sessions anywhere, says how to start the first`, async () => {
      const c = await app({ columns, rows, events: fleetEvents(2, 0) });
      await c.until((c) => said(c).includes('no sessions yet: press n to start a task'));
      expect(said(c)).toContain(
        'no sessions yet: press n to start a task (you choose its repository, discipline and node), or run agency run "<task>" in a repository',
      );
      frameFits(c, columns, rows);
      expect(c.lines().at(-1)).toMatch(/ q quit\b/);
      // the first session takes the advice away
      await c.feed([sessionEvent(session('studio-02', 's-1'))], (c) => !said(c).includes('no sessions yet'));
    });

  it('with no node reachable, says why and to run agency doctor; not while still connecting', async () => {
    const c = await app({
      columns: 80,
      rows: 24,
      events: [nodeEvent({ ...link('local', 'connecting'), transport: 'local' })],
    });
    expect(said(c)).not.toContain('no node is reachable');
    expect(said(c)).not.toContain('no sessions yet');
    await c.feed(
      [
        nodeEvent({
          ...link('local', 'down', 'the node daemon did not start: see ~/.agency/node.log'),
          transport: 'local',
        }),
      ],
      (c) => said(c).includes('agency doctor'),
    );
    expect(said(c)).toContain(
      'no node is reachable: local down (the node daemon did not start: see ~/.agency/node.log). Run agency doctor to see what is wrong',
    );
    await c.press('n', (c) => c.lines().at(-2)!.includes('n (start a new task'));
    expect(c.controller.getSnapshot().message?.text).toMatch(
      /^n \(start a new task.*\): no node is reachable: local down/,
    );
  });
});
