/** A session's pane: bytes into a headless screen of the remote's size, the visible rows out, scrollback, subscription while shown. */
import { afterEach, describe, expect, it } from 'vitest';
import { PaneScreen } from '../../src/tui/pane.js';
import { fleetEvents } from '../cockpit/fixtures.js';
import { type Cockpit, FakePort, KEY, mountEach, stripSgr } from './harness.js';

const app = mountEach();
const panes: PaneScreen[] = [];
afterEach(() => {
  while (panes.length) panes.pop()!.dispose();
});

const numbered = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => `line ${String(from + i).padStart(2, '0')}`);
const text = (rows: ReturnType<PaneScreen['view']>['rows']) =>
  rows.map((r) => (r.kind === 'scrollback' ? r.text : r.line.map((x) => x.text).join('')).trimEnd());

async function pane(
  cols: number,
  rows: number,
): Promise<{ p: PaneScreen; port: FakePort; write: (s: string) => Promise<void> }> {
  const port = new FakePort();
  port.screen = { cols, rows };
  const p = new PaneScreen(port, 'n1', 's-1');
  panes.push(p);
  await p.start();
  const write = async (s: string) => {
    port.streams.get('n1/s-1')!.onData(0, Buffer.from(s));
    await p.screen!.flushed();
  };
  return { p, port, write };
}

describe('session pane', () => {
  it('keeps the remote screen size and shows its visible rows; scrolls back into the scrollback', async () => {
    const { p, port, write } = await pane(40, 10);
    expect(port.ops()).toEqual([{ node: 'n1', op: 'screen', args: { session: 's-1' } }]);
    expect(port.subscriptions).toEqual(['subscribe n1/s-1 from 0']);
    expect([p.screen!.cols, p.screen!.rows]).toEqual([40, 10]);
    await write(
      numbered(30)
        .map((l) => `${l}\r\n`)
        .join(''),
    );
    // 30 lines and the empty line the cursor is on: the screen holds the last 10, the scrollback the first 21
    expect(text(p.view(10, 0).rows)).toEqual([...numbered(9, 22), '']);
    expect(p.view(10, 0).scrollMax).toBe(21);
    expect(p.view(10, 0).cursor).toMatchObject({ x: 0, y: 9 });
    expect(text(p.view(10, 5).rows)).toEqual(numbered(10, 17));
    expect(text(p.view(10, 100).rows)).toEqual(numbered(10, 1));
    // a pane shorter than the screen shows the rows where the program writes
    expect(text(p.view(4, 0).rows)).toEqual([...numbered(3, 28), '']);
  });

  it('a pane taller than the output shows it from the top; a reset repaints from the node screen', async () => {
    const { p, port, write } = await pane(40, 10);
    await write('hello\r\nworld');
    expect(text(p.view(10, 0).rows)).toEqual(['hello', 'world', '', '', '', '', '', '', '', '']);
    port.streams
      .get('n1/s-1')!
      .onReset({ session: 's-1', cols: 30, rows: 5, lines: ['from', 'the node\x1b]52;c;eA==\x07'], outputSeq: 99 });
    await p.screen!.flushed();
    expect([p.screen!.cols, p.screen!.rows]).toEqual([30, 5]);
    expect(text(p.view(5, 0).rows)).toEqual(['from', 'the node', '', '', '']);
  });

  it('in the app: drawn from the cells, remote width kept, PgUp scrolls back, End returns, Escape unsubscribes', async () => {
    const c = await app({ columns: 160, rows: 40, events: fleetEvents(1, 1) });
    c.port.screen = { cols: 80, rows: 20 };
    await c.press(KEY.enter, { shows: 'fleet › studio-01' });
    await c.press(KEY.enter, (c) => c.port.streams.has('studio-01/s-1001'));
    // the pane's rows sit inside its border: │…│
    const paneRows = (c: Cockpit) =>
      c
        .lines()
        .filter((l) => l.startsWith('│'))
        .map((l) => l.slice(1, l.lastIndexOf('│')).trimEnd());
    const long = 'x'.repeat(120);
    c.port.streams.get('studio-01/s-1001')!.onData(
      0,
      Buffer.from(
        `${numbered(99)
          .map((l) => `\x1b[32m${l}\x1b[0m\x1b]52;c;cm0gLXJmIH4=\x07\r\n`)
          .join('')}${long}`,
      ),
    );
    // parsed, drawn in the pane's next frame, and its scrollback reported to the controller (for PgUp)
    await c.until((c) => paneRows(c).at(-1) === 'x'.repeat(40) && (c.pane()?.scrollMax ?? 0) > 0);
    const rows = paneRows(c);
    expect(rows.at(-1)).toBe('x'.repeat(40));
    expect(rows.at(-2)).toBe('x'.repeat(80)); // wrapped at the remote's 80 columns, not the pane's 158
    expect(rows.at(-3)).toBe('line 99');
    expect(c.frame()).not.toContain(']52;');
    expect(c.port.ops().map((x) => x.op)).toEqual(['screen']); // nothing resizes the remote PTY

    await c.press(KEY.pageUp, { shows: /lines back: End returns/ });
    const back = paneRows(c);
    expect(back.at(-1)).not.toBe('x'.repeat(40));
    expect(c.lines()[2]).toMatch(/lines back: End returns/);
    const first = Number(back.find((l) => l.startsWith('line '))!.slice(5));
    const top = (c: Cockpit) =>
      Number(
        paneRows(c)
          .find((l) => l.startsWith('line '))!
          .slice(5),
      );
    await c.press('k', (c) => top(c) === first - 1);
    await c.press('k', (c) => top(c) === first - 2);
    await c.press(KEY.end, { gone: /lines back/ });
    expect(stripSgr(c.frame())).not.toMatch(/lines back/);

    await c.press('?', (c) => c.port.subscriptions.length === 2);
    expect(c.port.subscriptions).toEqual(['subscribe studio-01/s-1001 from 0', 'unsubscribe studio-01/s-1001']); // not shown: not followed
    await c.press('?', (c) => c.port.subscriptions.length === 3);
    expect(c.port.subscriptions.at(-1)).toBe('subscribe studio-01/s-1001 from 0');
    await c.press(KEY.escape, (c) => c.port.subscriptions.length === 4);
    expect(c.port.subscriptions.at(-1)).toBe('unsubscribe studio-01/s-1001');
  });
});
