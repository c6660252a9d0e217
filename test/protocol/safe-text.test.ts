import { describe, expect, it } from 'vitest';
import { escapeUnsafe, hasUnsafe, isUnsafeCode, singleLine, stripUnsafe } from '../../src/protocol/safe-text.js';

// The oracle, written out by hand from the rule (not from the module): every character listed here is unsafe,
// and these neighbours of the unsafe ranges are not.
const UNSAFE = [
  ...'\x00\x01\x07\x08\t\n\x0b\x0c\r\x1a\x1b\x1f',
  '\x7f',
  '\x80',
  '\x85',
  '\x90',
  '\x9b',
  '\x9c',
  '\x9d',
  '\x9f',
  '\u2028',
  '\u2029',
  '\u202a',
  '\u202b',
  '\u202c',
  '\u202d',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
];
const SAFE = [' ', '~', 'a', '\xa0', 'é', '\u2027', '\u202f', '\u2065', '\u206a', '\u200b', '中', '😀', '\ufeff'];

describe('the class of characters unsafe to show', () => {
  it('holds the C0 and C1 controls, DEL, the line separators and the bidi overrides and isolates, nothing else', () => {
    for (const c of UNSAFE) expect(isUnsafeCode(c.charCodeAt(0)), `U+${c.charCodeAt(0).toString(16)}`).toBe(true);
    for (const c of SAFE) expect(isUnsafeCode(c.charCodeAt(0)), c).toBe(false);
  });

  it('keeps newlines, or newlines and tabs, only when the caller keeps them as layout', () => {
    expect([isUnsafeCode(10), isUnsafeCode(10, 'newlines'), isUnsafeCode(10, 'layout')]).toEqual([true, false, false]);
    expect([isUnsafeCode(9), isUnsafeCode(9, 'newlines'), isUnsafeCode(9, 'layout')]).toEqual([true, true, false]);
    expect(isUnsafeCode(13, 'layout')).toBe(true);
  });

  it('test, strip and escape agree with the class for every UTF-16 code unit', () => {
    for (const kept of ['nothing', 'newlines', 'layout'] as const) {
      for (let c = 0; c <= 0xffff; c++) {
        if (c >= 0xd800 && c <= 0xdfff) continue;
        const ch = String.fromCharCode(c);
        const unsafe = isUnsafeCode(c, kept);
        if (hasUnsafe(`a${ch}b`, kept) !== unsafe) throw new Error(`hasUnsafe U+${c.toString(16)} ${kept}`);
        if ((stripUnsafe(`a${ch}b`, kept) === 'ab') !== unsafe) throw new Error(`stripUnsafe U+${c.toString(16)}`);
        if ((escapeUnsafe(ch, kept) !== ch) !== unsafe) throw new Error(`escapeUnsafe U+${c.toString(16)}`);
      }
    }
  });

  it('escapes as JSON does, four hex digits', () => {
    expect(escapeUnsafe('a\x1b[2Jb\u202ec\x9b')).toBe('a\\u001b[2Jb\\u202ec\\u009b');
    expect(escapeUnsafe('one\ntwo\tthree', 'newlines')).toBe('one\ntwo\\u0009three');
    expect(stripUnsafe('file\u202etxt.exe\u2066\u2069', 'layout')).toBe('filetxt.exe');
    expect(stripUnsafe('a\tb\nc\rd', 'layout')).toBe('a\tb\ncd');
  });

  it('a typed or pasted line: runs of line breaks and tabs become one space, other unsafe characters go', () => {
    expect(singleLine('one\r\ntwo\n\nthree\tfour')).toBe('one two three four');
    expect(singleLine('a\x1b[31mb\u202ec\x9bd\x7fe\u2028f')).toBe('a[31mbcdef');
    expect(singleLine('plain, 世界 😀')).toBe('plain, 世界 😀');
  });
});
