import { describe, expect, it } from 'vitest';
import { renderStyledLine, sgr, stringWidth } from '../../src/terminal/index.js';
import type { StyledLine } from '../../src/terminal/index.js';
import { unsafeAnsi } from './oracle.js';

const run = (text: string, style = {}) => ({ text, width: stringWidth(text), style });
/** the text a terminal would show: SGR removed (the renderer emits nothing else) */
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('sgr', () => {
  // expected sequences written from ECMA-48 / xterm's ctlseqs, not from the implementation
  const cases: [string, object, string][] = [
    ['default', {}, '\x1b[0m'],
    ['bold red', { bold: true, fg: 1 }, '\x1b[0;1;31m'],
    ['bright fg, normal bg', { fg: 9, bg: 4 }, '\x1b[0;91;44m'],
    ['bright bg', { bg: 15 }, '\x1b[0;107m'],
    ['256-colour', { fg: 208, bg: 16 }, '\x1b[0;38;5;208;48;5;16m'],
    ['true colour', { fg: '#0a0B0c', bg: '#ffffff' }, '\x1b[0;38;2;10;11;12;48;2;255;255;255m'],
    [
      'every attribute',
      { bold: true, dim: true, italic: true, underline: true, inverse: true, invisible: true, strikethrough: true },
      '\x1b[0;1;2;3;4;7;8;9m',
    ],
    ['invalid colours are dropped', { fg: 256, bg: '#12345' }, '\x1b[0m'],
    ['non-integer palette', { fg: 1.5, bg: -1 }, '\x1b[0m'],
    ['colour strings carrying sequences', { fg: '#ffffff;5m', bg: '#ff0000\x1b]0;x\x07' }, '\x1b[0m'],
  ];
  for (const [name, style, expected] of cases) it(name, () => expect(sgr(style)).toBe(expected));
});

describe('renderStyledLine', () => {
  it('runs behind their SGR, reset at the end, padded with plain spaces to the width', () => {
    const line: StyledLine = [run('ok', { fg: 2 }), run(' done')];
    expect(renderStyledLine(line, 10)).toBe('\x1b[0;32mok\x1b[0m done\x1b[0m   ');
  });

  it('an empty line is spaces only', () => {
    expect(renderStyledLine([], 4)).toBe('    ');
  });

  it('cuts at the width, counting wide characters as two columns', () => {
    expect(visible(renderStyledLine([run('abc中文def')], 6))).toBe('abc中 ');
    expect(visible(renderStyledLine([run('中文'), run('x')], 4))).toBe('中文');
    expect(visible(renderStyledLine([run('ab😀'), run('x')], 3))).toBe('ab '); // the emoji does not fit: nothing after it either
    expect(visible(renderStyledLine([run('👍🏽🇩🇪e\u0301')], 5))).toBe('👍🏽🇩🇪e\u0301');
  });

  it('the visible width is exactly the requested width', () => {
    const line: StyledLine = [run('status:', { bold: true }), run(' 中文 😀 ', { bg: 4 }), run('tail that is long')];
    for (const w of [0, 1, 5, 9, 10, 11, 16, 40])
      expect(stringWidth(visible(renderStyledLine(line, w))), `width ${w}`).toBe(w);
  });

  it('emits nothing but SGR even for forged runs', () => {
    const forged = [
      { text: '\x1b[2J\x1b]0;t\x07\ttab\nline\u009b6n\x07', width: 3, style: { fg: '#ff0000m\x1b[5' } },
    ] as unknown as StyledLine;
    const out = renderStyledLine(forged, 20);
    expect(unsafeAnsi(out)).toBeUndefined();
    expect(visible(out)).toBe(' tab line           ');
  });
});

describe('stringWidth', () => {
  // widths a modern terminal (and string-width) gives these
  const cases: [string, number][] = [
    ['abc', 3],
    ['中文', 4],
    ['한국어', 6],
    ['ｱｲｳ', 3], // halfwidth katakana
    ['ＡＢ', 4], // fullwidth latin
    ['😀', 2],
    ['👍🏽', 2],
    ['👨‍👩‍👧', 2],
    ['🇩🇪', 2],
    ['❤', 1],
    ['❤️', 2],
    ['e\u0301', 1],
    ['\u200b', 0],
    ['✅', 2],
    ['⏺', 1],
    ['●', 1],
    ['⎿', 1],
    ['→', 1],
    ['𠀀', 2], // CJK extension B
  ];
  for (const [s, w] of cases) it(`${JSON.stringify(s)} is ${w} wide`, () => expect(stringWidth(s)).toBe(w));
});
