// A snapshot repainted into a second, fresh emulator must show the same screen: the second emulator is the oracle.
import { afterEach, describe, expect, it } from 'vitest';
import { HeadlessScreen } from '../../src/terminal/index.js';
import { rng, unsafeAnsi } from './oracle.js';

const screens: HeadlessScreen[] = [];
afterEach(() => screens.splice(0).forEach((s) => s.dispose()));

function make(cols: number, rows: number): HeadlessScreen {
  const s = new HeadlessScreen({ cols, rows });
  screens.push(s);
  return s;
}

async function roundTrip(
  bytes: string,
  cols: number,
  rows: number,
): Promise<{ a: HeadlessScreen; b: HeadlessScreen; ansi: string }> {
  const a = make(cols, rows);
  a.write(bytes);
  await a.flushed();
  const snap = a.snapshot();
  const ansi = HeadlessScreen.renderSnapshotAnsi(JSON.parse(JSON.stringify(snap)));
  const b = make(cols, rows);
  b.write('garbage that the repaint must clear\r\n\x1b[41mred background\x1b[0m\x1b[?25h');
  b.write(ansi);
  await b.flushed();
  return { a, b, ansi };
}

function expectSame(a: HeadlessScreen, b: HeadlessScreen): void {
  expect(b.lines()).toEqual(a.lines());
  expect(b.styledLines()).toEqual(a.styledLines());
  expect(b.cursor()).toEqual(a.cursor());
}

describe('renderSnapshotAnsi round trip', () => {
  it('colours, attributes, wide characters and trailing backgrounds', async () => {
    const bytes = [
      '\x1b[1;31merror\x1b[0m: \x1b[38;5;208mfile.ts\x1b[0m:\x1b[38;2;10;200;30m12\x1b[0m',
      '\r\n\x1b[44m  blue bar  \x1b[0m',
      '\r\n中文 \x1b[7m反转\x1b[0m 😀 👍🏽 🇩🇪 ❤️ e\u0301',
      '\r\n\x1b[2;3;4;9mdim italic underline strike\x1b[0m',
      '\r\n\x1b[8msecret\x1b[0m visible',
      '\x1b[3;30H',
    ].join('');
    const { a, b, ansi } = await roundTrip(bytes, 40, 8);
    expect(unsafeAnsi(ansi)).toBeUndefined();
    expectSame(a, b);
  });

  it('a full last row (last column of the last line) does not scroll the repaint', async () => {
    const rows = ['top', 'middle', 'x'.repeat(20)];
    const { a, b } = await roundTrip(rows.join('\r\n'), 20, 3);
    expect(a.lines()).toEqual(rows);
    expectSame(a, b);
  });

  it('a hidden cursor stays hidden, and its position comes back', async () => {
    const { a, b, ansi } = await roundTrip('prompt> \x1b[?25l\x1b[2;5H', 20, 4);
    expect(a.cursor()).toEqual({ x: 4, y: 1, visible: false });
    expect(ansi).not.toContain('\x1b[?25h');
    expectSame(a, b);
  });

  it('the alternate screen as a full-screen app left it', async () => {
    const { a, b } = await roundTrip('shell\x1b[?1049h\x1b[H\x1b[2J\x1b[42m status \x1b[0m\x1b[3;1Hbody', 20, 4);
    expect(a.lines()).toEqual([' status', '', 'body', '']);
    expectSame(a, b);
  });

  it('seeded random coloured screens', async () => {
    const words = ['ok', 'fail', '中文', '😀', 'x', '     ', '→', 'e\u0301'];
    for (let seed = 1; seed <= 15; seed++) {
      const next = rng(seed);
      const pick = (n: number) => Math.floor(next() * n);
      let bytes = '';
      for (let i = 0; i < 120; i++) {
        switch (pick(6)) {
          case 0:
            bytes += `\x1b[${30 + pick(8)};${40 + pick(8)}m`;
            break;
          case 1:
            bytes += `\x1b[38;5;${pick(256)}m`;
            break;
          case 2:
            bytes += `\x1b[48;2;${pick(256)};${pick(256)};${pick(256)}m`;
            break;
          case 3:
            bytes += `\x1b[${1 + pick(9)}m`;
            break;
          case 4:
            bytes += `\x1b[${1 + pick(6)};${1 + pick(24)}H`;
            break;
          default:
            bytes += words[pick(words.length)]!;
            if (pick(8) === 0) bytes += '\x1b[0m\r\n';
        }
      }
      const { a, b } = await roundTrip(bytes, 24, 6);
      expect(b.lines(), `seed ${seed}`).toEqual(a.lines());
      expect(b.styledLines(), `seed ${seed}`).toEqual(a.styledLines());
      expect(b.cursor(), `seed ${seed}`).toEqual(a.cursor());
    }
  });
});
