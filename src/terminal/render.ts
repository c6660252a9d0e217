/**
 * Styled rows back to bytes for a real terminal. Only sequences written here are emitted: SGR for styles,
 * and for a snapshot, clear screen, cursor position and cursor show/hide. Everything taken from the input
 * (text, colours, sizes) is validated, because a snapshot may have crossed a network before it is drawn.
 */
import type { CellStyle, Color, ScreenSnapshot, StyledLine } from './types.js';
import { safeLine } from './sanitize.js';
import { unicodeProvider } from './unicode-width.js';

export const MAX_COLS = 2000;
export const MAX_ROWS = 1000;
const RESET = '\x1b[0m';
const HEX = /^#[0-9a-fA-F]{6}$/;

function colorParams(c: Color | undefined, base: 30 | 40): string | undefined {
  if (typeof c === 'number') {
    if (!Number.isInteger(c) || c < 0 || c > 255) return undefined;
    if (c < 8) return String(base + c);
    if (c < 16) return String(base + 60 + c - 8);
    return `${base + 8};5;${c}`;
  }
  if (typeof c === 'string' && HEX.test(c)) {
    const v = parseInt(c.slice(1), 16);
    return `${base + 8};2;${(v >> 16) & 0xff};${(v >> 8) & 0xff};${v & 0xff}`;
  }
  return undefined;
}

/** The SGR sequence that sets exactly this style (starting from a reset). */
export function sgr(style: CellStyle | undefined): string {
  const p = ['0'];
  if (style && typeof style === 'object') {
    if (style.bold === true) p.push('1');
    if (style.dim === true) p.push('2');
    if (style.italic === true) p.push('3');
    if (style.underline === true) p.push('4');
    if (style.inverse === true) p.push('7');
    if (style.invisible === true) p.push('8');
    if (style.strikethrough === true) p.push('9');
    const fg = colorParams(style.fg, 30);
    const bg = colorParams(style.bg, 40);
    if (fg) p.push(fg);
    if (bg) p.push(bg);
  }
  return `\x1b[${p.join(';')}m`;
}

/** The longest prefix of `text` that fits in `room` columns, and its width. */
function fit(text: string, room: number): { text: string; width: number } {
  let width = 0;
  let preceding = 0;
  let end = 0;
  for (let i = 0; i < text.length;) {
    let cp = text.codePointAt(i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate prints as a replacement character
    const step = cp > 0xffff ? 2 : 1;
    const p = unicodeProvider.charProperties(cp, preceding);
    let w = (p >> 1) & 3;
    if (p & 1) w -= (preceding >> 1) & 3;
    if (width + w > room) break;
    width += w;
    preceding = p;
    i += step;
    end = i;
  }
  return { text: text.slice(0, end), width };
}

/** The runs of one line, each behind its own SGR, cut at `width` columns; optionally padded with plain spaces. */
function renderRuns(line: StyledLine, width: number, pad: boolean): string {
  let out = '';
  let col = 0;
  if (Array.isArray(line)) {
    for (const run of line) {
      if (col >= width) break;
      if (!run || typeof run !== 'object' || typeof run.text !== 'string') continue;
      const text = safeLine(run.text);
      const part = fit(text, width - col);
      if (part.text !== '') {
        out += sgr(run.style) + part.text;
        col += part.width;
      }
      if (part.text.length < text.length) break; // cut here (a wide character that does not fit stays out whole)
    }
  }
  if (out !== '') out += RESET;
  if (pad && col < width) out += ' '.repeat(width - col);
  return out;
}

/** One styled line as ANSI for a terminal `width` columns wide: SGR and text only, padded or cut to `width`. */
export function renderStyledLine(line: StyledLine, width: number): string {
  const w = Number.isInteger(width) ? Math.max(0, Math.min(width, MAX_COLS)) : 0;
  return renderRuns(line, w, true);
}

function intIn(v: unknown, min: number, max: number, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) ? Math.max(min, Math.min(max, v)) : fallback;
}

/**
 * Bytes that repaint a terminal of the snapshot's size to show the snapshot: hide the cursor, reset SGR,
 * clear, draw each row at its position, then place and show (or leave hidden) the cursor.
 */
export function renderSnapshotAnsi(s: ScreenSnapshot): string {
  if (!s || typeof s !== 'object') throw new TypeError('invalid screen snapshot: expected an object');
  const { cols, rows } = s;
  if (
    !Number.isInteger(cols) ||
    cols < 1 ||
    cols > MAX_COLS ||
    !Number.isInteger(rows) ||
    rows < 1 ||
    rows > MAX_ROWS
  ) {
    throw new TypeError(
      `invalid screen snapshot: size ${String(cols)}x${String(rows)} is not within 1x1..${MAX_COLS}x${MAX_ROWS}`,
    );
  }
  let out = `\x1b[?25l${RESET}\x1b[H\x1b[2J`;
  const lines = Array.isArray(s.lines) ? s.lines : [];
  for (let r = 0; r < rows && r < lines.length; r++) {
    const body = renderRuns(lines[r]!, cols, false);
    if (body !== '') out += `\x1b[${r + 1};1H${body}`;
  }
  const cursor = s.cursor && typeof s.cursor === 'object' ? s.cursor : { x: 0, y: 0, visible: true };
  const x = intIn(cursor.x, 0, cols - 1, 0);
  const y = intIn(cursor.y, 0, rows - 1, 0);
  out += `\x1b[${y + 1};${x + 1}H`;
  if (cursor.visible === true) out += '\x1b[?25h';
  return out;
}
