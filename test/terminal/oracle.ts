/**
 * Independent checks for terminal output, written from the ECMA-48 definitions rather than from the module
 * under test: which escape sequences may appear in what we print, and whether any control is left.
 */

/** the only sequences our renderers may emit: SGR, cursor position, erase, and cursor show/hide */
const ALLOWED_SEQUENCE = /\x1b\[[0-9;]*[mHJK]|\x1b\[\?25[hl]/g;
/** C0 (ESC and BEL among them), DEL and C1 */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** Problems in bytes meant for a terminal: anything left after removing the allowed sequences that is a control. */
export function unsafeAnsi(s: string): string | undefined {
  const rest = s.replace(ALLOWED_SEQUENCE, '');
  const m = CONTROL.exec(rest);
  return m
    ? `control U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index} in ${JSON.stringify(rest.slice(Math.max(0, m.index - 10), m.index + 10))}`
    : undefined;
}

/** Problems in plain text: any control at all, except those listed in `allowed` (say '\n' between lines). */
export function unsafeText(s: string, allowed = ''): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (allowed.includes(s[i]!)) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
      return `control U+${c.toString(16).padStart(4, '0')} at ${i} in ${JSON.stringify(s.slice(Math.max(0, i - 10), i + 10))}`;
  }
  return undefined;
}

/** Replies a terminal may send back unprompted by data: CPR, DA1, DA2, DSR, DECRPM, nothing carrying text. */
export const NUMERIC_REPLY = /^\x1b\[(?:\??\d+;\d+R|[?>][\d;]+c|0n|\??\d+;[0-4]\$y)$/;

/** A small deterministic PRNG (mulberry32), so a failing fuzz case can be reproduced from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
