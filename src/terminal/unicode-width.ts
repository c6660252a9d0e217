/**
 * Column widths for the headless screen, closer to what modern terminals and `string-width` (which ink,
 * and so Claude Code, lays out with) use than xterm.js's built-in Unicode 6 table: emoji with emoji
 * presentation take two columns, a VS16 widens a text-style emoji to two, and skin-tone modifiers,
 * ZWJ sequences and flag pairs join into one two-column cell. CJK ranges are those of xterm's table.
 *
 * The properties come from the JavaScript engine's Unicode data (regex property escapes), tabulated
 * once per process on first use (~30 ms), so the per-character path is a table lookup.
 */

const ZWJ = 0x200d;
const VS16 = 0xfe0f;

// bits of a table entry
const WIDTH = 0b11;
const PICTO = 1 << 2; // Extended_Pictographic: joins after a ZWJ
const EMOJI = 1 << 3; // Emoji: a following VS16 makes it two columns
const MODIFIER = 1 << 4; // Emoji_Modifier (skin tones): joins an emoji
const REGIONAL = 1 << 5; // Regional_Indicator: two make a flag

// join states carried between characters (the "kind" bits of xterm's UnicodeCharProperties)
const AFTER_ZWJ = 1;
const ODD_REGIONAL = 2;
const EMOJI_BASE = 3;

const TABLE_END = 0x20000; // the BMP and the supplementary plane that holds the emoji
let table: Uint8Array | undefined;

function fill(t: Uint8Array, from: number, to: number, value: number): void {
  for (let c = from; c <= to; c++) t[c] = (t[c]! & ~WIDTH) | value;
}

function build(): Uint8Array {
  const t = new Uint8Array(TABLE_END).fill(1);
  fill(t, 0, 0x1f, 0);
  fill(t, 0x7f, 0x9f, 0);
  // East Asian wide and fullwidth, as in xterm.js's UnicodeV6
  for (const [a, b] of [
    [0x1100, 0x115f],
    [0x2329, 0x232a],
    [0x2e80, 0x303e],
    [0x3040, 0xa4cf],
    [0xac00, 0xd7a3],
    [0xf900, 0xfaff],
    [0xfe10, 0xfe19],
    [0xfe30, 0xfe6f],
    [0xff00, 0xff60],
    [0xffe0, 0xffe6],
    [0x16fe0, 0x16fe4],
    [0x17000, 0x18cff],
    [0x1b000, 0x1b2ff],
    [0x1f200, 0x1f2ff],
  ] as const)
    fill(t, a, b, 2);

  const codes: string[] = [];
  const chunk: number[] = [];
  for (let c = 0x20; c < TABLE_END; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    chunk.push(c);
    if (chunk.length === 4096) codes.push(String.fromCodePoint(...chunk.splice(0)));
  }
  codes.push(String.fromCodePoint(...chunk));
  const all = codes.join('');
  const mark = (re: RegExp, f: (c: number) => void) => {
    for (const m of all.matchAll(re)) f(m[0].codePointAt(0)!);
  };
  mark(/\p{Emoji_Presentation}/gu, (c) => fill(t, c, c, 2));
  mark(/\p{Extended_Pictographic}/gu, (c) => (t[c]! |= PICTO));
  mark(/\p{Emoji}/gu, (c) => (t[c]! |= EMOJI));
  mark(/\p{Emoji_Modifier}/gu, (c) => (t[c]! |= MODIFIER));
  mark(/\p{Regional_Indicator}/gu, (c) => (t[c]! = (t[c]! & ~WIDTH) | 1 | REGIONAL));
  // zero width last: combining marks, format characters (ZWJ, ZWSP, variation selectors), Hangul medial vowels
  mark(/[\p{Mn}\p{Me}\p{Cf}]/gu, (c) => {
    if (c !== 0xad) fill(t, c, c, 0);
  });
  fill(t, 0x1160, 0x11ff, 0);
  return t;
}

function entry(cp: number): number {
  if (cp < TABLE_END) return (table ??= build())[cp]!;
  if ((cp >= 0x20000 && cp <= 0x2fffd) || (cp >= 0x30000 && cp <= 0x3fffd)) return 2;
  if (cp >= 0xe0000 && cp <= 0xe0fff) return 0; // tags and variation selectors supplement
  return 1;
}

function props(state: number, width: number, join: boolean): number {
  return (state << 3) | (width << 1) | (join ? 1 : 0);
}

/** The xterm.js IUnicodeVersionProvider shape; registered on each screen with `terminal.unicode.register`. */
export const unicodeProvider = {
  version: 'agency-emoji',

  wcwidth(cp: number): 0 | 1 | 2 {
    return (entry(cp) & WIDTH) as 0 | 1 | 2;
  },

  /** packed as xterm's UnicodeService expects: state << 3 | width << 1 | shouldJoin */
  charProperties(cp: number, preceding: number): number {
    const e = entry(cp);
    const width = e & WIDTH;
    const before = (preceding >> 1) & WIDTH;
    const state = preceding >> 3;
    if (preceding !== 0 && before !== 0) {
      if (width === 0) {
        if (cp === ZWJ) return props(state === EMOJI_BASE ? AFTER_ZWJ : 0, before, true);
        if (cp === VS16 && state === EMOJI_BASE) return props(EMOJI_BASE, 2, true);
        return props(state === AFTER_ZWJ ? 0 : state, before, true);
      }
      if (state === AFTER_ZWJ && e & PICTO) return props(EMOJI_BASE, 2, true);
      if (e & MODIFIER && state === EMOJI_BASE) return props(EMOJI_BASE, 2, true);
      if (e & REGIONAL && state === ODD_REGIONAL) return props(0, 2, true);
    }
    const next = e & REGIONAL ? ODD_REGIONAL : e & (EMOJI | PICTO) ? EMOJI_BASE : 0;
    return props(next, width, false);
  },
};

/** Columns `s` takes on the headless screen (the same rules, applied the way xterm's getStringCellWidth does). */
export function stringWidth(s: string): number {
  let total = 0;
  let preceding = 0;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = (cp - 0xd800) * 0x400 + low - 0xdc00 + 0x10000;
        i++;
      }
    }
    const p = unicodeProvider.charProperties(cp, preceding);
    let w = (p >> 1) & WIDTH;
    if (p & 1) w -= (preceding >> 1) & WIDTH;
    total += w;
    preceding = p;
  }
  return total;
}
