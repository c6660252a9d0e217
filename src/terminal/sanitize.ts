/**
 * Text from a session made safe to print on the operator's terminal outside a pane: escape sequences
 * (CSI, OSC, DCS, SOS, PM, APC and two- or three-byte ESC sequences, in their 7-bit and C1 forms) are
 * removed whole, then every remaining character that protocol/safe-text.ts calls unsafe is dropped but `\n`
 * and `\t`: C0 and C1 controls, DEL, and the bidirectional overrides and isolates, so a title cannot reorder
 * the text printed after it.
 */
import { hasUnsafe, isUnsafeCode } from '../protocol/safe-text.js';

const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;
const C1_DCS = 0x90;
const C1_SOS = 0x98;
const C1_CSI = 0x9b;
const C1_ST = 0x9c;
const C1_OSC = 0x9d;
const C1_PM = 0x9e;
const C1_APC = 0x9f;

/** Index just past a CSI body starting at `i` (after `ESC [` or U+009B). */
function skipCsi(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    // ESC, CAN, SUB, a C1 control or a non-ASCII character ends the sequence unfinished: rescan from there
    if (c === ESC || c === CAN || c === SUB || c > 0x7e) return i;
    i++;
    if (c >= 0x40 && c <= 0x7e) return i; // final byte
    // parameter (0x30-0x3f) and intermediate (0x20-0x2f) bytes, and C0 controls, belong to the sequence
  }
  return i;
}

/** Index just past a control string (OSC, DCS, SOS, PM, APC) body starting at `i`, ended by ST (or BEL for OSC). */
function skipString(s: string, i: number, belEnds: boolean): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === C1_ST || (belEnds && c === BEL) || c === CAN || c === SUB) return i + 1;
    if (c === ESC) return s.charCodeAt(i + 1) === 0x5c /* \ */ ? i + 2 : i;
    i++;
  }
  return i; // unterminated: the rest of the string was the sequence's payload
}

/** Index just past whatever escape sequence starts with ESC at `i`. */
function skipEsc(s: string, i: number): number {
  const next = s.charCodeAt(i + 1);
  if (Number.isNaN(next)) return i + 1;
  switch (next) {
    case 0x5b:
      return skipCsi(s, i + 2); // [
    case 0x5d:
      return skipString(s, i + 2, true); // ]
    case 0x50:
    case 0x58:
    case 0x5e:
    case 0x5f:
      return skipString(s, i + 2, false); // P X ^ _
  }
  let j = i + 1;
  while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++; // intermediates
  const final = s.charCodeAt(j);
  return final >= 0x30 && final <= 0x7e ? j + 1 : j;
}

export function safeText(s: string): string {
  if (!hasUnsafe(s, 'layout')) return s;
  let out = '';
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (!isUnsafeCode(c, 'layout')) {
      i++;
      continue;
    }
    out += s.slice(start, i);
    if (c === ESC) i = skipEsc(s, i);
    else if (c === C1_CSI) i = skipCsi(s, i + 1);
    else if (c === C1_OSC) i = skipString(s, i + 1, true);
    else if (c === C1_DCS || c === C1_SOS || c === C1_PM || c === C1_APC) i = skipString(s, i + 1, false);
    else i++;
    start = i;
  }
  return out + s.slice(start);
}

/** safeText on one line: newlines and tabs become spaces, runs of blanks are kept as they are. */
export function safeLine(s: string): string {
  return safeText(s).replace(/[\n\t]/g, ' ');
}

/** At most `max` code points of `s`, never splitting a surrogate pair. */
export function truncateCodePoints(s: string, max: number): string {
  if (s.length <= max) return s;
  let n = 0;
  let i = 0;
  while (i < s.length && n < max) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
    n++;
  }
  return s.slice(0, i);
}
