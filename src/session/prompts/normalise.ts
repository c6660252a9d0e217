/**
 * Screen lines → a normalised form that dialog rules can match: no control characters, one kind of
 * quote, collapsed whitespace, and prose unwrapped across lines (dialog text wraps below ~69 columns,
 * agent-of-empires#3412). Leading indentation is kept on cleaned lines: the option structure needs it.
 */
import { stripUnsafe } from '../../protocol/safe-text.js';

/** ANSI escape sequences (CSI, OSC, two-byte ESC x), in case raw bytes reach us instead of screen cells. */
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])/g;
/** Invisible format characters that are not unsafe but would split a word a rule matches: zero-width ones, BOM. */
const ZERO_WIDTH = /[\u200b-\u200f\u2060-\u2065\ufeff]/g;
const SPACES = /[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;
const SINGLE_QUOTES = /[\u2018\u2019\u201a\u201b\u2032]/g;
const DOUBLE_QUOTES = /[\u201c\u201d\u201e\u201f\u2033]/g;
/** vertical box sides: a dialog drawn in a box (older versions) keeps its columns with the sides blanked */
const BOX_SIDE = /[│┃║]/;

/** One screen line without escape sequences, controls or box sides; quotes unified; trailing space gone. */
export function cleanLine(raw: string): string {
  let s = stripUnsafe(raw.replace(ANSI, '').replace(SPACES, ' ')).replace(ZERO_WIDTH, '');
  s = s.replace(SINGLE_QUOTES, "'").replace(DOUBLE_QUOTES, '"');
  const first = s.search(/\S/);
  if (first >= 0 && BOX_SIDE.test(s.charAt(first))) s = `${s.slice(0, first)} ${s.slice(first + 1)}`;
  s = s.trimEnd();
  if (s.length > 0 && BOX_SIDE.test(s.charAt(s.length - 1))) s = s.slice(0, -1).trimEnd();
  return s;
}

/** Cleaned, whitespace collapsed and trimmed: the form labels and prose are reported in. */
export function normaliseText(s: string): string {
  return cleanLine(s).replace(/\s+/g, ' ').trim();
}

/** The form fragments are compared in: normalised, lower case, `…` as `...`, dashes as `-`. */
export function fold(s: string): string {
  return normaliseText(s)
    .toLowerCase()
    .replace(/\u2026/g, '...')
    .replace(/[\u2010-\u2015\u2212]/g, '-');
}

/** fold() without any whitespace: survives a word hard-broken across lines (long paths, URLs). */
export function squash(s: string): string {
  return fold(s).replace(/\s+/g, '');
}

export function indentOf(line: string): number {
  const i = line.search(/\S/);
  return i < 0 ? line.length : i;
}

export const isBlank = (line: string): boolean => line.trim() === '';

/**
 * A horizontal rule: a line of `─` (or `━ ═`), optionally between box corners. Claude Code draws one
 * above every dialog and two around the idle input box. The dashed `╌` separators inside a diff are not
 * rules (they are part of the Write/Edit prompts).
 */
export function isRule(line: string): boolean {
  const t = line.trim();
  return t.length >= 8 && /^[╭┌├╰└]?[─━═]{6,}[╮┐┤╯┘]?$/.test(t);
}

/** a dashed separator inside a dialog (diff borders): a paragraph break, never a dialog boundary */
export function isSeparator(line: string): boolean {
  const t = line.trim();
  return t.length >= 8 && /^[╌┄┈-]+$/.test(t);
}

/** Cursor characters that mark the selected option (`❯` on 2.1.197; `>`/`›` in other renderings). */
const CURSOR = '[❯›▸►➤>]';
const NUMBERED = new RegExp(`^(\\s*)(?:(${CURSOR})\\s*)?(\\d{1,2})\\.(?!\\d)\\s*(\\S.*)$`);
const CHECKBOX = new RegExp(`^(\\s*)(?:(${CURSOR})\\s*)?\\[([ ✔✓✗xX×*])\\]\\s*(\\S.*)$`);
const LEADING_CHECKBOX = /^\[([ ✔✓✗xX×*])\]\s*/;

export interface OptionLine {
  kind: 'numbered' | 'checkbox';
  /** the number shown (numbered), or 0 for a checkbox item (numbered by position later) */
  n: number;
  label: string;
  selected: boolean;
  checked?: boolean;
  /** column of the digit (or of `[`): text indented further belongs to this option */
  itemCol: number;
}

/**
 * `❯ 1. Yes` / `  2. No` / `2.Yes, and…` (a wrapped label loses the space on 2.1.197) / `❯ [✔] fs`.
 * Returns null for anything else, including the idle prompt `❯ ` and diff lines such as `  1 hello`.
 */
export function parseOptionLine(line: string): OptionLine | null {
  const m = NUMBERED.exec(line);
  if (m) {
    const [, lead = '', cursor, digits = '0', rest = ''] = m;
    const itemCol = line.indexOf(digits, lead.length);
    const box = LEADING_CHECKBOX.exec(rest);
    const label = normaliseText(box ? rest.slice(box[0].length) : rest);
    if (!label) return null;
    return {
      kind: 'numbered',
      n: Number(digits),
      label,
      selected: cursor !== undefined,
      ...(box ? { checked: box[1] !== ' ' } : {}),
      itemCol,
    };
  }
  const c = CHECKBOX.exec(line);
  if (c) {
    const [, lead = '', cursor, mark = ' ', rest = ''] = c;
    const label = normaliseText(rest);
    if (!label) return null;
    return {
      kind: 'checkbox',
      n: 0,
      label,
      selected: cursor !== undefined,
      checked: mark !== ' ',
      itemCol: line.indexOf('[', lead.length),
    };
  }
  return null;
}

/**
 * Hints shown under a dialog: `Enter to confirm · Esc to cancel`, `Esc to cancel · Tab to amend`,
 * `Space to select · Enter to confirm · Esc to reject all`, `Enter to select · ↑/↓ to navigate`,
 * `Press Enter to continue…`. Not the idle box's `? for shortcuts` nor a spinner's `esc to interrupt`.
 */
export function isFooter(line: string): boolean {
  const t = fold(line);
  return (
    /\b(enter|esc|escape|space|tab)\b to (confirm|cancel|select|reject|continue|amend|navigate|submit|toggle|go back)\b/.test(
      t,
    ) || /↑\/↓ to navigate/.test(t)
  );
}

/**
 * Lines that only appear outside a dialog, after it has gone: Claude's transcript bullets (`●`, `⎿`),
 * the idle input box prompt, the exit message.
 */
export function isLaterUi(line: string): boolean {
  const t = line.trim();
  if (/^[●⎿]/.test(t)) return true;
  if (/^❯(\s|$)/.test(t) && parseOptionLine(t) === null) return true;
  return /^resume this session with/i.test(t) || /\? for shortcuts/.test(t);
}

/** Split lines into paragraphs (blank lines and separators break them), each unwrapped into one string. */
export function paragraphs(lines: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const l of lines) {
    if (isBlank(l) || isSeparator(l) || isRule(l)) {
      if (cur.length) out.push(cur);
      cur = [];
    } else {
      cur.push(l);
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Lines joined as the prose they wrap: one space between them, whitespace collapsed. */
export function unwrap(lines: readonly string[]): string {
  return normaliseText(lines.join(' '));
}

/**
 * The width the screen wraps at: the longest rule (Claude Code draws rules across the full width),
 * else the longest line. Used to tell a wrapped option label from a description line under it.
 */
export function wrapWidth(lines: readonly string[]): number {
  let rule = 0;
  let longest = 0;
  for (const l of lines) {
    const len = [...l].length;
    if (isRule(l)) rule = Math.max(rule, len);
    longest = Math.max(longest, len);
  }
  return Math.max(20, rule || longest);
}
