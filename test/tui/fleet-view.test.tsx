/** The fleet view: 16 tiles in 160×48, a decision that highlights its tile and the header, focus and drilling in. */
import { describe, expect, it } from 'vitest';
import { stringWidth } from '../../src/terminal/index.js';
import { decision, decisionEvent, fleetEvents, link, nodeEvent, session, sessionEvent } from '../cockpit/fixtures.js';
import { type Cockpit, KEY, mountEach } from './harness.js';

const app = mountEach();

const names = Array.from({ length: 16 }, (_, i) => `studio-${String(i + 1).padStart(2, '0')}`);

/** Where a text is in the frame: its line and column (in cells). */
function find(lines: string[], text: string): { line: number; col: number } | null {
  for (let i = 0; i < lines.length; i++) {
    const at = lines[i]!.indexOf(text);
    if (at >= 0) return { line: i, col: stringWidth(lines[i]!.slice(0, at)) };
  }
  return null;
}

/** The text of a line from column `col` for `width` cells. */
function cells(line: string, col: number, width: number): string {
  let out = '';
  let c = 0;
  for (const ch of line) {
    const w = stringWidth(ch);
    if (c >= col && c + w <= col + width) out += ch;
    c += w;
  }
  return out;
}

/** The name of the tile drawn with a double border (the focused one). */
function focused(lines: string[]): string | null {
  for (let i = 0; i < lines.length; i++) {
    const col = lines[i]!.indexOf('╔');
    if (col < 0) continue;
    const below = lines[i + 1]!;
    const m = /studio-\d\d|local|[a-z]+-\d+/.exec(cells(below, stringWidth(lines[i]!.slice(0, col)), 40));
    return m ? m[0] : null;
  }
  return null;
}

describe('fleet view', () => {
  it('shows 16 tiles in a 160×48 terminal, every node by name, within the terminal', async () => {
    const c = await app({ columns: 160, rows: 48, events: fleetEvents(16, 8) });
    const lines = c.lines();
    for (const n of names) expect(find(lines, n), n).not.toBeNull();
    expect(lines.length).toBeLessThanOrEqual(48);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(160);
    expect(lines[0]).toContain('nodes 16/16 up');
    expect(lines[0]).toContain('sessions 128 working');
    // every tile says what its node is doing, and with room to spare, what its other sessions do
    const frame = lines.join('\n');
    for (let n = 1; n <= 16; n++)
      expect(frame).toMatch(new RegExp(`│ s-${n}001: editing file 1|║ s-${n}001: editing file 1`));
    expect(frame).toContain('● s-16004: editing file 4');
  });

  it('reflows on resize: fewer tiles to a row, still within the terminal', async () => {
    const c = await app({ columns: 160, rows: 48, events: fleetEvents(16, 2) });
    const row = (ls: string[]) => ls.find((l) => l.includes('studio-01'))!;
    expect(row(c.lines()).match(/studio-\d\d/g)).toHaveLength(4);
    // drawn, and the grid has told the controller that up and down now move by two tiles
    await c.resize(80, 30, (c) => c.controller.getSnapshot().columns === 2);
    const lines = c.lines();
    expect(row(lines).match(/studio-\d\d/g)).toHaveLength(2);
    expect(lines.length).toBeLessThanOrEqual(30);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    // the focused tile stays in view as focus moves past the rows that fit
    for (const to of ['studio-03', 'studio-05', 'studio-07', 'studio-09', 'studio-11'])
      await c.press('j', (c) => focused(c.lines()) === to);
    expect(focused(c.lines())).toBe('studio-11');
  });

  it('a decision highlights its tile and bumps the header count, and goes when answered', async () => {
    const c = await app({ events: fleetEvents(16, 2) });
    expect(c.lines()[0]).toContain('no decisions waiting');
    await c.feed(
      [
        sessionEvent(
          session('studio-07', 's-7001', {
            state: 'needs-input',
            openDecisions: 1,
            updatedAt: '2026-01-01T00:01:00.000Z',
          }),
        ),
        decisionEvent(decision('studio-07', 'd-1', 's-7001', { summary: 'rm -rf build' })),
      ],
      { shows: 'waiting: Bash rm -rf build' },
    );
    const lines = c.lines();
    expect(lines[0]).toContain('⚑ 1 decision waiting');
    const tile = find(lines, 'studio-07')!;
    expect(cells(lines[tile.line + 2]!, tile.col, 34)).toContain('⚑ 1 decision waiting');
    expect(cells(lines[tile.line + 3]!, tile.col, 34)).toContain('waiting: Bash rm -rf build');
    // other tiles are not highlighted
    const other = find(lines, 'studio-06')!;
    expect(cells(lines[other.line + 2]!, other.col, 34)).toContain('no decisions');

    await c.feed([decisionEvent(decision('studio-07', 'd-1', 's-7001', { state: 'approved' }))], {
      gone: 'waiting: Bash rm -rf build',
    });
    expect(c.lines()[0]).toContain('no decisions waiting');
  });

  it('a decision reaches the header and its tile without waiting for the batch of summaries', async () => {
    // summaries wait for a batch of ten minutes here: only a decision's own schedule can draw it in time
    // (how soon it is drawn is measured by `npm run bench -- tui-latency`)
    const c = await app({ events: fleetEvents(16, 8), batchMs: 600_000 });
    c.store.ingest(decisionEvent(decision('studio-16', 'd-9', 's-16001'))); // as a node's event arrives: no flush by hand
    await c.until((c) => c.lines()[0]!.includes('⚑ 1 decision waiting'));
    const tile = find(c.lines(), 'studio-16')!;
    expect(cells(c.lines()[tile.line + 2]!, tile.col, 34)).toContain('⚑ 1 decision waiting');
  });

  it('arrows and hjkl move focus; Enter drills into the node, then the session; Escape comes back out', async () => {
    const c = await app({ events: fleetEvents(16, 3) });
    expect(focused(c.lines())).toBe('studio-01');
    const focusOn = (name: string) => (c: Cockpit) => focused(c.lines()) === name;
    await c.press('l', focusOn('studio-02'));
    await c.press(KEY.down, focusOn('studio-06'));
    await c.press('j', focusOn('studio-10'));
    await c.press('h', focusOn('studio-09'));
    await c.press(KEY.up, focusOn('studio-05'));
    await c.press(KEY.right, focusOn('studio-06'));

    await c.press(KEY.enter, (c) => c.lines()[1]!.includes('fleet › studio-06'));
    expect(c.frame()).toContain('s-6001');
    expect(c.frame()).toContain('s-6003');
    const selected = (c: Cockpit) => c.lines().find((l) => l.includes('›') && l.includes('s-600'));
    await c.press('j', (c) => selected(c)?.includes('s-6002') === true);
    await c.press(KEY.enter, (c) => c.lines()[1]!.includes('fleet › studio-06 › s-6002'));
    expect(c.port.subscriptions).toEqual(['subscribe studio-06/s-6002 from 0']);

    await c.press(KEY.escape, (c) => !c.lines()[1]!.includes('s-6002'));
    expect(c.lines()[1]).toContain('fleet › studio-06');
    expect(c.port.subscriptions).toEqual(['subscribe studio-06/s-6002 from 0', 'unsubscribe studio-06/s-6002']);
    await c.press(KEY.escape, (c) => c.lines()[1]?.trim() === 'fleet');
    expect(focused(c.lines())).toBe('studio-06');
  });

  it('shows a node that is down with the reason', async () => {
    const c = await app({
      events: [...fleetEvents(2, 1), nodeEvent(link('studio-02', 'down', 'connect ECONNREFUSED 10.0.0.12:22'))],
    });
    const lines = c.lines();
    expect(lines[0]).toContain('nodes 1/2 up');
    const tile = find(lines, 'studio-02')!;
    expect(cells(lines[tile.line]!, tile.col, 38)).toContain('down');
    expect(cells(lines[tile.line + 3]!, tile.col, 38)).toContain('down: connect ECONNREFUSED');
  });

  it('marks a node whose sessions run outside the OS sandbox, and one that cannot start it', async () => {
    const withSandbox = (name: string, sandbox: { mode: 'on' | 'off' | 'unavailable'; reason?: string }) => {
      const l = link(name);
      return nodeEvent({ ...l, info: { ...l.info!, sandbox } });
    };
    const c = await app({
      events: [
        ...fleetEvents(3, 1),
        withSandbox('studio-01', { mode: 'on' }),
        withSandbox('studio-02', { mode: 'off', reason: 'opted out with AGENCY_SANDBOX=off' }),
        withSandbox('studio-03', { mode: 'unavailable', reason: 'bwrap and socat are not installed' }),
      ],
    });
    const lines = c.lines();
    const title = (name: string) => {
      const at = find(lines, name)!;
      return cells(lines[at.line]!, at.col, 36);
    };
    expect(title('studio-01')).not.toMatch(/sandbox/);
    expect(title('studio-02')).toMatch(/studio-02 +unsandboxed 1 live/);
    expect(title('studio-03')).toMatch(/studio-03 +no sandbox 1 live/);
  });
});
