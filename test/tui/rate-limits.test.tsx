/**
 * Rate limits and models in the cockpit: a tile counts its queued sessions, says until when the API
 * rate-limited its node, and names its live sessions' models (its workers' by model as before); the node
 * view says the same in its header and lists each session's model, queued ones with why they wait; within
 * 80×24 and 160×48.
 */
import { describe, expect, it } from 'vitest';
import type { CockpitEvent } from '../../src/cockpit/client.js';
import { stringWidth } from '../../src/terminal/index.js';
import { fleetEvents, link, nodeEvent, session, sessionEvent } from '../cockpit/fixtures.js';
import { workerSummary } from '../helpers/workers.js';
import { type Cockpit, KEY, mountEach } from './harness.js';

const app = mountEach();

const UNTIL = '2026-12-05T12:03:10.000Z';
const WHY = "queued: VP research's starts (2/min); starts in ~25 s, 2nd in line";

function events(): CockpitEvent[] {
  const l = link('studio-01');
  const limited = nodeEvent({
    ...l,
    info: {
      ...l.info!,
      rateLimited: { until: UNTIL, reason: 'the API rate-limited session s-1 (429): it asked to retry in 60 s' },
    },
  });
  return [
    ...fleetEvents(4, 0),
    limited,
    sessionEvent(session('studio-01', 's-1', { model: 'sonnet', activity: 'editing' })),
    sessionEvent(session('studio-01', 's-2', { model: 'claude-opus-4-5-20251101', state: 'idle' })),
    ...[3, 4, 5].map((i) =>
      sessionEvent(
        session('studio-01', `s-${i}`, {
          model: 'sonnet',
          state: 'queued',
          held: 'queued',
          activity: WHY,
          task: `task ${i}`,
        }),
      ),
    ),
    {
      kind: 'worker',
      worker: workerSummary({
        id: 'w-1',
        name: 'a',
        node: 'studio-01',
        session: 's-1',
        state: 'running',
        model: 'haiku',
      }),
    },
  ];
}

function fits(c: Cockpit, columns: number, rows: number): string {
  const lines = c.lines();
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(columns);
  return lines.join('\n');
}

describe('rate limits and models in the cockpit', () => {
  it.each([
    [160, 48],
    [80, 24],
  ])(
    'the tile counts queued sessions, says until when the node is rate-limited, and names models (%i×%i)',
    async (columns, rows) => {
      const c = await app({ columns, rows, events: events() });
      const frame = fits(c, columns, rows);
      const tile = c
        .lines()
        .filter((l) => l.includes('║'))
        .map((l) => l.split('║')[1] ?? '');
      const text = tile.join('\n');
      // where all states do not fit, those with none make room
      expect(text, frame).toMatch(/1 working · 1 idle · 3 queued/);
      expect(text).toMatch(/rate-limited until 12:03:10 UTC · /);
      // live sessions by model, most used first; workers by model on their own line or after the decisions
      expect(text).toMatch(/0 tokens {2}\$0\.00 {2}sonnet 4 · opus-4/);
      expect(text).toMatch(/haiku/);
      // a node that is not rate-limited says nothing of it
      expect(frame.split('\n').filter((l) => l.includes('rate-limited'))).toHaveLength(1);
    },
  );

  it.each([
    [160, 48],
    [80, 24],
  ])(
    'the node view says until when, and each session’s model; queued ones say why they wait (%i×%i)',
    async (columns, rows) => {
      const c = await app({ columns, rows, events: events() });
      await c.press(KEY.enter, (x) => x.lines()[1]!.includes('fleet › studio-01'));
      const frame = fits(c, columns, rows);
      expect(frame).toContain('rate-limited until 12:03:10 UTC: new starts wait');
      const row = (id: string) => c.lines().find((l) => l.includes(` ${id} `)) ?? '';
      expect(row('s-1')).toMatch(/s-1 +working .*backend +sonnet /);
      expect(row('s-2')).toMatch(columns >= 110 ? /s-2 +idle .*backend +opus-4-5 / : /s-2 +idle .*backend +opus-4… /);
      expect(row('s-3')).toMatch(/s-3 +queued .*backend +sonnet .*task 3/);
      if (columns >= 110) expect(row('s-4')).toContain(`task 4 — ${WHY.slice(0, 40)}`);
      // a session on Claude Code's own model says so
      await c.feed([sessionEvent(session('studio-01', 's-6', { state: 'idle' }))], { shows: ' s-6 ' });
      expect(row('s-6')).toMatch(/backend +default /);
      // the header counts them too, where it has the room
      if (columns >= 110) expect(c.lines()[0]).toContain('3 queued');
    },
  );
});
