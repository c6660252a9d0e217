import { describe, expect, it } from 'vitest';
import { safeLine, safeText, truncateCodePoints } from '../../src/terminal/index.js';
import { rng, unsafeText } from './oracle.js';

describe('safeText', () => {
  const cases: [string, string, string][] = [
    ['plain text is returned as it is', 'hello, 世界 😀', 'hello, 世界 😀'],
    ['newline and tab stay', 'a\tb\nc', 'a\tb\nc'],
    ['other C0 controls go', 'a\x00b\x07c\x08d\re\x1a', 'abcde'],
    ['DEL goes', 'a\x7fb', 'ab'],
    ['C1 controls go', 'a\u0085b\u0080c', 'abc'],
    ['SGR and cursor CSI go whole', '\x1b[1;31mred\x1b[0m \x1b[2J\x1b[10;20Hx', 'red x'],
    ['private CSI with intermediates', '\x1b[?2004h\x1b[>0q\x1b[!p\x1b[?2026$pok', 'ok'],
    ['OSC ended by BEL', 'a\x1b]0;title\x07b', 'ab'],
    ['OSC ended by ST', 'a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b', 'alinkb'],
    ['OSC 52 clipboard', '\x1b]52;c;aGVsbG8=\x07after', 'after'],
    ['unterminated OSC swallows the rest', 'a\x1b]0;never ends', 'a'],
    ['DCS, SOS, PM, APC', 'a\x1bP$qm\x1b\\b\x1bXsos\x1b\\c\x1b^pm\x1b\\d\x1b_apc\x1b\\e', 'abcde'],
    ['DCS is not ended by BEL', 'a\x1bPq\x07still dcs\x1b\\b', 'ab'],
    ['C1 CSI', 'a\u009b31mb', 'ab'],
    ['C1 OSC ended by C1 ST', 'a\u009d0;evil\u009cb', 'ab'],
    ['C1 DCS and APC', 'a\u0090$qm\u009cb\u009fx\u009cc', 'abc'],
    ['two- and three-byte ESC sequences', 'a\x1bcb\x1b7c\x1b(Bd\x1b#8e\x1b=f', 'abcdef'],
    ['ESC at the very end', 'abc\x1b', 'abc'],
    ['a CSI cut short by ESC: the new sequence is removed too', 'a\x1b[12\x1b[31mb', 'ab'],
    ['a CSI cut short by a non-ASCII character keeps it', 'a\x1b[1中b', 'a中b'],
    ['CAN aborts a string', 'a\x1b]0;t\x18b', 'ab'],
    ['bidi overrides and isolates go', 'file\u202etxt.exe\u2066x\u2069', 'filetxt.exex'],
    ['bracketed paste markers', '\x1b[200~paste\x1b[201~', 'paste'],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => expect(safeText(input)).toBe(expected));
  }

  it('returns the same string object when nothing needs removing', () => {
    const s = 'x'.repeat(1000);
    expect(safeText(s)).toBe(s);
  });

  it('never leaves a control, whatever the input (seeded fuzz)', () => {
    const next = rng(7);
    for (let n = 0; n < 2000; n++) {
      let s = '';
      for (let i = 0; i < 40; i++)
        s += String.fromCharCode(next() < 0.5 ? Math.floor(next() * 0xa0) : 0x20 + Math.floor(next() * 0x3000));
      expect(unsafeText(safeText(s), '\n\t')).toBeUndefined();
      expect(safeText(s)).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    }
  });
});

describe('safeLine and truncateCodePoints', () => {
  it('safeLine turns newlines and tabs into spaces', () => {
    expect(safeLine('a\nb\tc\x1b[31md')).toBe('a b cd');
  });

  it('truncateCodePoints never splits a surrogate pair', () => {
    expect(truncateCodePoints('😀😀😀', 2)).toBe('😀😀');
    expect(truncateCodePoints('ab', 5)).toBe('ab');
  });
});
