// Screen contents against screens worked out by hand from the VT100/xterm definitions of each sequence.
import { afterEach, describe, expect, it } from 'vitest';
import { HeadlessScreen } from '../../src/terminal/index.js';

const screens: HeadlessScreen[] = [];
afterEach(() => screens.splice(0).forEach((s) => s.dispose()));

async function show(bytes: string, cols = 10, rows = 4, scrollback?: number): Promise<HeadlessScreen> {
  const s = new HeadlessScreen(scrollback === undefined ? { cols, rows } : { cols, rows, scrollback });
  screens.push(s);
  s.write(bytes);
  await s.flushed();
  return s;
}

describe('text on the screen', () => {
  it('cursor moves, overwrites and carriage returns', async () => {
    const s = await show('hello\rJ\x1b[2;3Hxy\x1b[1;7Hwor\x1b[4;1Hend\x1b[3;1H\x1b[5Cmid');
    expect(s.lines()).toEqual(['Jello wor', '  xy', '     mid', 'end']);
    expect(s.cursor()).toEqual({ x: 8, y: 2, visible: true });
  });

  const full = 'abcdefghij\r\nabcdefghij\r\nabcdefghij\r\nabcdefghij';

  it('line erasing: to the end, to the start (inclusive), whole line', async () => {
    const s = await show(`${full}\x1b[1;4H\x1b[K\x1b[2;4H\x1b[1K\x1b[3;5H\x1b[2K`);
    expect(s.lines()).toEqual(['abc', '    efghij', '', 'abcdefghij']);
  });

  it('display erasing above the cursor, inclusive', async () => {
    const s = await show(`${full}\x1b[3;6H\x1b[1J`);
    expect(s.lines()).toEqual(['', '', '      ghij', 'abcdefghij']);
  });

  it('erase below and tabs', async () => {
    const s = await show('a\tb\r\n12345678901\x1b[2;3H\x1b[J');
    expect(s.lines()).toEqual(['a       b', '12', '', '']);
  });

  it('insert and delete characters, backspace', async () => {
    const s = await show('abcdef\x1b[1;2H\x1b[2P\r\n123456\x1b[2;3H\x1b[2@\r\nxyz\b\bQ');
    expect(s.lines()).toEqual(['adef', '12  3456', 'xQz', '']);
  });

  it('wraps at the right margin', async () => {
    const s = await show('hello world, again');
    expect(s.lines()).toEqual(['hello worl', 'd, again', '', '']);
  });

  it('a character written in the last column does not wrap until the next one', async () => {
    const s = await show('0123456789\rX');
    expect(s.lines()).toEqual(['X123456789', '', '', '']);
  });

  it('wide characters come out once and take two columns', async () => {
    const s = await show('中文ab\r\n😀x\r\n한국어', 10, 4);
    expect(s.lines()).toEqual(['中文ab', '😀x', '한국어', '']);
    s.write('\x1b[1;5H|');
    await s.flushed();
    expect(s.lines()[0]).toBe('中文|b');
  });

  it('a wide character that does not fit in the last column wraps whole', async () => {
    const s = await show('abcd中', 5, 3);
    expect(s.lines()).toEqual(['abcd', '中', '']);
  });

  it('overwriting half of a wide character blanks the other half', async () => {
    const s = await show('ab中cd\x1b[1;4HX');
    expect(s.lines()).toEqual(['ab Xcd', '', '', '']);
  });

  it('emoji sequences join into one cell: skin tone, ZWJ family, flag, VS16', async () => {
    const s = await show('👍🏽|\r\n👨‍👩‍👧|\r\n🇩🇪|\r\n❤️|❤|', 12, 4);
    expect(s.lines()).toEqual(['👍🏽|', '👨‍👩‍👧|', '🇩🇪|', '❤️|❤|']);
    const widths = s.styledLines().map((l) => l.reduce((n, r) => n + r.width, 0));
    expect(widths).toEqual([3, 3, 3, 5]);
  });

  it('scroll region: line feeds at the bottom margin scroll only the region', async () => {
    const s = await show('L1\r\nL2\r\nL3\r\nL4\r\nL5\x1b[2;4r\x1b[4;1H\n\nX', 10, 5);
    expect(s.lines()).toEqual(['L1', 'L4', '', 'X', 'L5']);
    expect(s.scrollbackLength()).toBe(0);
  });

  it('reverse index at the top margin scrolls the region down', async () => {
    const s = await show('L1\r\nL2\r\nL3\r\nL4\x1b[2;3r\x1b[2;1H\x1bMN', 10, 4);
    expect(s.lines()).toEqual(['L1', 'N', 'L2', 'L4']);
  });

  it('the alternate screen comes and goes, and the main screen and cursor come back', async () => {
    const s = await show('main1\r\nmain2\x1b[?1049h\x1b[2J\x1b[Halt screen', 10, 4);
    expect(s.lines()).toEqual(['alt screen', '', '', '']);
    s.write('\x1b[?1049l');
    await s.flushed();
    expect(s.lines()).toEqual(['main1', 'main2', '', '']);
    expect(s.cursor()).toEqual({ x: 5, y: 1, visible: true });
  });

  it('keeps scrolled-off lines, bounded by the scrollback setting', async () => {
    const body = Array.from({ length: 30 }, (_, i) => `L${i + 1}`).join('\r\n');
    const s = await show(body, 10, 5);
    expect(s.lines()).toEqual(['L26', 'L27', 'L28', 'L29', 'L30']);
    expect(s.scrollbackLength()).toBe(25);
    expect(s.scrollbackLines(0, 3)).toEqual(['L1', 'L2', 'L3']);
    expect(s.scrollbackLines(23, 10)).toEqual(['L24', 'L25']);
    expect(s.scrollbackLines(-5, 1)).toEqual(['L1']);
    const small = await show(body, 10, 5, 10);
    expect(small.scrollbackLength()).toBe(10);
    expect(small.scrollbackLines(0, 1)).toEqual(['L16']);
  });

  it('scrollback stays readable while the alternate screen is up', async () => {
    const s = await show('A\r\nB\r\nC\r\nD\x1b[?1049h\x1b[Hfull screen app', 10, 2);
    expect(s.scrollbackLines(0, s.scrollbackLength())).toEqual(['A', 'B']);
    expect(s.lines()).toEqual(['full scree', 'n app']);
  });

  it('trailing spaces are trimmed, inner ones kept', async () => {
    const s = await show('a  b   \x1b[31m   \x1b[0m');
    expect(s.lines()[0]).toBe('a  b');
    expect(s.text()).toBe('a  b\n\n\n');
  });

  it('resize changes the size and keeps the text', async () => {
    const s = await show('abc\r\ndef', 10, 4);
    s.resize(20, 6);
    expect([s.cols, s.rows]).toEqual([20, 6]);
    expect(s.lines().slice(0, 2)).toEqual(['abc', 'def']);
    expect(() => s.resize(Number.NaN, 5)).toThrow(RangeError);
    s.resize(1, 0); // clamped to the emulator's minimum
    expect([s.cols, s.rows]).toEqual([2, 1]);
  });
});

describe('cursor visibility', () => {
  it('follows DECTCEM, including inside a list of modes, DECSTR and RIS', async () => {
    const s = await show('');
    const steps: [string, boolean][] = [
      ['\x1b[?25l', false],
      ['\x1b[?25h', true],
      ['\x1b[?1049;25l', false],
      ['\x1b[?1049l', false], // leaving the alternate screen does not show it
      ['\x1b[!p', true], // soft reset
      ['\x1b[?25l', false],
      ['\x1bc', true], // full reset
      ['\x1b[?12;25h', true],
    ];
    for (const [bytes, visible] of steps) {
      s.write(bytes);
      await s.flushed();
      expect(s.cursor().visible, JSON.stringify(bytes)).toBe(visible);
    }
  });
});

describe('input modes and change events', () => {
  it('reports the input modes the program set', async () => {
    const s = await show('');
    expect(s.inputModes()).toEqual({
      applicationCursorKeys: false,
      applicationKeypad: false,
      bracketedPaste: false,
      sendFocus: false,
      mouseTracking: 'none',
    });
    s.write('\x1b[?1h\x1b=\x1b[?2004h\x1b[?1004h\x1b[?1002h');
    await s.flushed();
    expect(s.inputModes()).toEqual({
      applicationCursorKeys: true,
      applicationKeypad: true,
      bracketedPaste: true,
      sendFocus: true,
      mouseTracking: 'drag',
    });
  });

  it('onChange fires after output is parsed, until disposed', async () => {
    const s = await show('');
    let changes = 0;
    const sub = s.onChange(() => changes++);
    s.write('a');
    await s.flushed();
    expect(changes).toBeGreaterThan(0);
    sub.dispose();
    const seen = changes;
    s.write('b');
    await s.flushed();
    expect(changes).toBe(seen);
  });
});

describe('styled lines', () => {
  it('groups cells into runs with palette and true colours and attributes', async () => {
    const s = await show(
      '\x1b[1;31mA\x1b[0;38;5;200mB\x1b[48;2;1;2;3mC\x1b[0;7;4mD\x1b[0;2;3;9mE\x1b[0;92mF\x1b[0;8mG\x1b[0m  x',
      12,
      2,
    );
    expect(s.styledLines()[0]).toEqual([
      { text: 'A', width: 1, style: { fg: 1, bold: true } },
      { text: 'B', width: 1, style: { fg: 200 } },
      { text: 'C', width: 1, style: { fg: 200, bg: '#010203' } },
      { text: 'D', width: 1, style: { inverse: true, underline: true } },
      { text: 'E', width: 1, style: { dim: true, italic: true, strikethrough: true } },
      { text: 'F', width: 1, style: { fg: 10 } },
      { text: 'G', width: 1, style: { invisible: true } },
      { text: '  x', width: 3, style: {} },
    ]);
    expect(s.styledLines()[1]).toEqual([]);
  });

  it('SGR 31 and SGR 38;5;1 are the same colour and one run', async () => {
    const s = await show('\x1b[31ma\x1b[38;5;1mb');
    expect(s.styledLines()[0]).toEqual([{ text: 'ab', width: 2, style: { fg: 1 } }]);
  });

  it('keeps trailing blanks that show (a coloured background) and drops those that do not', async () => {
    const s = await show('a\x1b[44m  \x1b[0m\r\nb\x1b[31m   \x1b[0m\r\n\x1b[4m \x1b[0m', 10, 3);
    expect(s.styledLines()).toEqual([
      [
        { text: 'a', width: 1, style: {} },
        { text: '  ', width: 2, style: { bg: 4 } },
      ],
      [{ text: 'b', width: 1, style: {} }],
      [{ text: ' ', width: 1, style: { underline: true } }],
    ]);
  });

  it('a combining mark cut off from its base by an escape sequence keeps the columns aligned', async () => {
    const s = await show('e\x1b[31m\u0301x');
    expect(s.cursor().x).toBe(3);
    expect(s.styledLines()[0]).toEqual([
      { text: 'e', width: 1, style: {} },
      { text: ' x', width: 2, style: { fg: 1 } },
    ]);
  });

  it('a wide character is one character of a two-column run', async () => {
    const s = await show('\x1b[32m中\x1b[0mx');
    expect(s.styledLines()[0]).toEqual([
      { text: '中', width: 2, style: { fg: 2 } },
      { text: 'x', width: 1, style: {} },
    ]);
  });
});
