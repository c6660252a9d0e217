/**
 * Which characters are unsafe to show, in one place. Text from elsewhere (a node, a task, a path, a
 * dialog on a screen) may carry characters a terminal obeys rather than prints, or that reorder the text
 * around them. Unsafe are: the C0 controls (U+0000–U+001F), DEL and the C1 controls (U+007F–U+009F), the
 * line and paragraph separators (U+2028, U+2029), and the bidirectional embeddings, overrides and
 * isolates (U+202A–U+202E, U+2066–U+2069). Where a caller keeps line breaks or tabs as layout, it says so.
 */

/** What a caller keeps of the C0 controls as layout: nothing, `\n`, or `\n` and `\t`. */
export type Kept = 'nothing' | 'newlines' | 'layout';

/** The unsafe characters, as inclusive ranges of UTF-16 code units. */
const UNSAFE_RANGES: readonly (readonly [number, number])[] = [
  [0x0000, 0x001f], // C0 controls
  [0x007f, 0x009f], // DEL and the C1 controls
  [0x2028, 0x2029], // line and paragraph separators
  [0x202a, 0x202e], // bidi embeddings and overrides
  [0x2066, 0x2069], // bidi isolates
];
const KEPT: Record<Kept, string> = { nothing: '', newlines: '\n', layout: '\n\t' };

const hex = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;
const RANGES_CLASS = `[${UNSAFE_RANGES.map(([lo, hi]) => `${hex(lo)}-${hex(hi)}`).join('')}]`;
const classFor = (kept: Kept) => new RegExp(`${KEPT[kept] ? `(?![${KEPT[kept]}])` : ''}${RANGES_CLASS}`, 'g');
const CLASS: Record<Kept, RegExp> = {
  nothing: classFor('nothing'),
  newlines: classFor('newlines'),
  layout: classFor('layout'),
};

/** Whether the UTF-16 code unit `c` is unsafe to show (`\n`, and `\t`, pass when kept). */
export function isUnsafeCode(c: number, kept: Kept = 'nothing'): boolean {
  if (KEPT[kept].includes(String.fromCharCode(c))) return false;
  return UNSAFE_RANGES.some(([lo, hi]) => c >= lo && c <= hi);
}

/** Whether `s` holds any unsafe character. */
export function hasUnsafe(s: string, kept: Kept = 'nothing'): boolean {
  return s.search(CLASS[kept]) >= 0;
}

/** `s` without its unsafe characters. */
export function stripUnsafe(s: string, kept: Kept = 'nothing'): string {
  return s.replace(CLASS[kept], '');
}

const escape = (c: string) => hex(c.charCodeAt(0));

/** `s` with every unsafe character shown as its escape (`\u001b`), as in JSON, rather than obeyed. */
export function escapeUnsafe(s: string, kept: Kept = 'nothing'): string {
  return s.replace(CLASS[kept], escape);
}

/** A line someone typed or pasted: each run of line breaks and tabs becomes one space, other unsafe characters go. */
export function singleLine(s: string): string {
  return stripUnsafe(s.replace(/[\r\n\t]+/g, ' '));
}
