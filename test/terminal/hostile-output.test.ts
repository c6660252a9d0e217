import { afterEach, describe, expect, it } from 'vitest';
import { HeadlessScreen, renderStyledLine } from '../../src/terminal/index.js';
import type { ScreenSnapshot } from '../../src/terminal/index.js';
import { NUMERIC_REPLY, rng, unsafeAnsi, unsafeText } from './oracle.js';

const screens: HeadlessScreen[] = [];
afterEach(() => screens.splice(0).forEach((s) => s.dispose()));

function screen(cols = 40, rows = 10): { s: HeadlessScreen; replies: string[] } {
  const s = new HeadlessScreen({ cols, rows });
  screens.push(s);
  const replies: string[] = [];
  s.onResponse((d) => replies.push(d));
  return { s, replies };
}

/** Everything the screen lets out must be clean, whatever went in. */
function expectClean(s: HeadlessScreen): void {
  for (const line of s.lines()) expect(unsafeText(line)).toBeUndefined();
  expect(unsafeText(s.text(), '\n')).toBeUndefined();
  expect(unsafeText(s.title())).toBeUndefined();
  expect(s.title().length).toBeLessThanOrEqual(200);
  for (const line of s.styledLines()) {
    for (const run of line) expect(unsafeText(run.text)).toBeUndefined();
    expect(unsafeAnsi(renderStyledLine(line, s.cols))).toBeUndefined();
  }
  expect(unsafeAnsi(HeadlessScreen.renderSnapshotAnsi(s.snapshot()))).toBeUndefined();
  const back = s.scrollbackLines(0, s.scrollbackLength());
  for (const line of back) expect(unsafeText(line)).toBeUndefined();
}

const HOSTILE: Record<string, string> = {
  'OSC 52 clipboard write': '\x1b]52;c;aGVsbG8=\x07',
  'OSC 52 clipboard read': '\x1b]52;c;?\x07',
  'title report request': '\x1b]0;rm -rf ~\r\x07\x1b[21t',
  'icon label report request': '\x1b[20t',
  'window size reports': '\x1b[14t\x1b[18t\x1b[19t',
  'DECRQSS for SGR': '\x1b[31;1m\x1bP$qm\x1b\\',
  'DECRQSS for DECSCL': '\x1bP$q"p\x1b\\',
  XTGETTCAP: '\x1bP+q544e\x1b\\',
  XTVERSION: '\x1b[>0q',
  'OSC colour queries': '\x1b]10;?\x07\x1b]11;?\x1b\\\x1b]4;1;?\x07\x1b]12;?\x07',
  'C1 CSI as UTF-8': '\u009b31mred',
  'C1 OSC title ended by C1 ST': '\u009d0;evil\u009c',
  'C1 DCS and APC': '\u0090$qm\u009c\u009fapc payload\u009c',
  'title with embedded controls': '\x1b]0;ti\x01t\u0085l\x7fe\x1b[31m!\x07',
  'title with bidi override': '\x1b]2;safe\u202eexe.txt\x07',
  'bracketed paste markers': '\x1b[?2004h\x1b[200~pasted\x1b[201~\x1b[?2004l',
  'DCS sixel-ish': '\x1bPq#0;2;0;0;0#1;2;100;100;0#1~~@@vv@@~~\x1b\\',
  'APC, PM and SOS strings': '\x1b_Gf=100;AAAA\x1b\\\x1b^privacy\x1b\\\x1bXsos\x1b\\',
  'bell and other C0': 'a\x07b\x00c\x05d\x0ee\x0ff\x1a',
  hyperlink: '\x1b]8;;https://example.com/\x1b\\link\x1b]8;;\x1b\\',
  'unterminated OSC': '\x1b]0;never ends',
  'mode queries': '\x1b[?1$p\x1b[?2026$p\x1b[2$p',
  'kitty keyboard query': '\x1b[?u',
  'reset and soft reset': '\x1bc\x1b[!p',
  'mouse reporting on': '\x1b[?1000h\x1b[?1006h',
  'focus reporting on': '\x1b[?1004h',
};

/** which of the hostile inputs may legitimately produce a reply, and which reply (a numeric mode report) */
const EXPECTED_REPLIES: Record<string, string[]> = {
  'mode queries': ['\x1b[?1;2$y', '\x1b[?2026;2$y', '\x1b[2;4$y'],
};

describe('hostile output', () => {
  for (const [name, bytes] of Object.entries(HOSTILE)) {
    it(`${name}: nothing comes out but printable text, and no reply`, async () => {
      const { s, replies } = screen();
      s.write(bytes);
      await s.flushed();
      expectClean(s);
      expect(replies).toEqual(EXPECTED_REPLIES[name] ?? []);
    });
  }

  it('all of them together, as bytes', async () => {
    const { s, replies } = screen();
    s.write(new TextEncoder().encode(Object.values(HOSTILE).join('text ')));
    await s.flushed();
    expectClean(s);
    expect(replies.every((r) => NUMERIC_REPLY.test(r))).toBe(true);
  });

  it('the title is the OSC 0/2 text with controls removed, and bounded', async () => {
    const { s } = screen();
    // xterm ignores C0 controls inside an OSC string; the bidi override is ours to remove
    s.write('\x1b]0;build\tstep 1\u202e\x07');
    await s.flushed();
    expect(s.title()).toBe('buildstep 1');
    // a C1 control inside the string aborts it: no title change
    s.write('\x1b]0;other\u0085title\x07');
    await s.flushed();
    expect(s.title()).toBe('buildstep 1');
    s.write(`\x1b]2;${'x'.repeat(100_000)}\x07`);
    await s.flushed();
    expect(s.title()).toBe('x'.repeat(200));
    s.write('\u009d0;evil\u009c');
    await s.flushed();
    expect(s.title()).toBe('evil');
  });

  it('a title-report request after setting a title is not answered', async () => {
    const { s, replies } = screen();
    s.write('\x1b]0;echo pwned\r\x07\x1b[21t\x1b[20t');
    await s.flushed();
    expect(replies).toEqual([]);
  });

  it('answers a cursor position request with a correct CPR', async () => {
    const { s, replies } = screen(40, 10);
    s.write('\x1b[5;10H\x1b[6n');
    await s.flushed();
    expect(replies).toEqual(['\x1b[5;10R']);
    s.write('abc\x1b[6n');
    await s.flushed();
    expect(replies[1]).toBe('\x1b[5;13R');
  });

  it('answers device attributes and status requests', async () => {
    const { s, replies } = screen();
    s.write('\x1b[c\x1b[>c\x1b[5n\x1b[?6n');
    await s.flushed();
    expect(replies).toHaveLength(4);
    expect(replies[0]).toMatch(/^\x1b\[\?[\d;]+c$/);
    expect(replies[1]).toMatch(/^\x1b\[>[\d;]+c$/);
    expect(replies[2]).toBe('\x1b[0n');
    expect(replies[3]).toBe('\x1b[?1;1R');
  });

  it('stops answering when the listener is disposed', async () => {
    const { s } = screen();
    const got: string[] = [];
    const sub = s.onResponse((d) => got.push(d));
    s.write('\x1b[6n');
    await s.flushed();
    sub.dispose();
    s.write('\x1b[6n');
    await s.flushed();
    expect(got).toHaveLength(1);
  });

  it('random bytes rich in escape introducers never get through (seeded fuzz)', async () => {
    const alphabet = [
      '\x1b',
      '[',
      ']',
      'P',
      '_',
      '^',
      'X',
      '\\',
      '\x07',
      '\x9b',
      '\x9d',
      '\x90',
      '\x9c',
      ';',
      '?',
      '>',
      '$',
      '0',
      '2',
      '5',
      '6',
      'c',
      'n',
      'q',
      't',
      'm',
      'H',
      'x',
      '中',
      '😀',
      '\r',
      '\n',
      '\x18',
    ];
    for (let seed = 1; seed <= 40; seed++) {
      const next = rng(seed);
      const { s, replies } = screen(30, 6);
      let bytes = '';
      for (let i = 0; i < 3000; i++) bytes += alphabet[Math.floor(next() * alphabet.length)];
      s.write(bytes);
      await s.flushed();
      expectClean(s);
      for (const r of replies) expect(r, `seed ${seed}`).toMatch(NUMERIC_REPLY);
      s.dispose();
    }
  });
});

describe('untrusted snapshots and runs', () => {
  it('renders a forged snapshot without letting anything of it through but text', () => {
    const forged = {
      cols: 20,
      rows: 3,
      cursor: { x: 99, y: -4, visible: 'yes' },
      lines: [
        [
          {
            text: '\x1b]52;c;aGk=\x07ok\x1b[2J',
            width: 2,
            style: { fg: '#ff0000;1m\x1b]0;x\x07', bg: 300, bold: 'true' },
          },
        ],
        'not a line',
        [null, { text: 42 }, { text: 'tab\there\nnewline\u009b6n', style: { fg: 1.5, bg: '#00ff00' } }],
        [{ text: 'beyond rows' }],
      ],
    } as unknown as ScreenSnapshot;
    const out = HeadlessScreen.renderSnapshotAnsi(forged);
    expect(unsafeAnsi(out)).toBeUndefined();
    expect(out).not.toContain('#ff0000');
    expect(out).not.toContain('beyond rows');
    expect(out.endsWith('\x1b[1;20H')).toBe(true); // cursor clamped, and not shown: visible was not `true`
  });

  it('refuses a snapshot whose size is not a sane integer', () => {
    for (const [cols, rows] of [
      [0, 5],
      [5, 0],
      [1e9, 5],
      [5.5, 5],
      [Number.NaN, 5],
      ['80', 24],
    ]) {
      expect(() =>
        HeadlessScreen.renderSnapshotAnsi({
          cols,
          rows,
          cursor: { x: 0, y: 0, visible: true },
          lines: [],
        } as unknown as ScreenSnapshot),
      ).toThrow(/invalid screen snapshot/);
    }
  });

  it('renderStyledLine cleans run text it did not get from a screen', () => {
    const out = renderStyledLine([{ text: 'a\x1b]0;t\x07b\x1b[6nc\u009d52;c;x\u009cd\x07', width: 4, style: {} }], 10);
    expect(unsafeAnsi(out)).toBeUndefined();
    expect(out.replace(/\x1b\[[0-9;]*m/g, '')).toBe('abcd      ');
  });
});
