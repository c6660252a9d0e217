/** Reading xterm.js buffer rows as plain text and as styled runs. Cells hold printable characters only. */
import type { IBufferCell, IBufferLine } from '@xterm/headless';
import type { CellStyle, Color, StyledLine } from './types.js';
import { safeText } from './sanitize.js';

const BOLD = 1;
const DIM = 2;
const ITALIC = 4;
const UNDERLINE = 8;
const INVERSE = 16;
const INVISIBLE = 32;
const STRIKE = 64;
/** attributes that show on a blank cell */
const SHOWS_ON_BLANK = UNDERLINE | INVERSE | STRIKE;

function flagsOf(c: IBufferCell): number {
  return (
    (c.isBold() ? BOLD : 0) |
    (c.isDim() ? DIM : 0) |
    (c.isItalic() ? ITALIC : 0) |
    (c.isUnderline() ? UNDERLINE : 0) |
    (c.isInverse() ? INVERSE : 0) |
    (c.isInvisible() ? INVISIBLE : 0) |
    (c.isStrikethrough() ? STRIKE : 0)
  );
}

function color(mode: 'fg' | 'bg', c: IBufferCell): Color | undefined {
  const rgb = mode === 'fg' ? c.isFgRGB() : c.isBgRGB();
  const palette = mode === 'fg' ? c.isFgPalette() : c.isBgPalette();
  const v = mode === 'fg' ? c.getFgColor() : c.getBgColor();
  if (rgb) return `#${(v & 0xffffff).toString(16).padStart(6, '0')}`;
  if (palette) return v & 0xff;
  return undefined;
}

/** 16-colour and 256-colour palette entries compare equal: both read back as the same index */
function colorKey(rgb: boolean, palette: boolean, v: number): number {
  return rgb ? 0x1000000 | (v & 0xffffff) : palette ? 0x2000000 | (v & 0xff) : 0;
}

function styleOf(c: IBufferCell, flags: number): CellStyle {
  const s: CellStyle = {};
  const fg = color('fg', c);
  const bg = color('bg', c);
  if (fg !== undefined) s.fg = fg;
  if (bg !== undefined) s.bg = bg;
  if (flags & BOLD) s.bold = true;
  if (flags & DIM) s.dim = true;
  if (flags & ITALIC) s.italic = true;
  if (flags & UNDERLINE) s.underline = true;
  if (flags & INVERSE) s.inverse = true;
  if (flags & INVISIBLE) s.invisible = true;
  if (flags & STRIKE) s.strikethrough = true;
  return s;
}

function isBlank(c: IBufferCell): boolean {
  if (c.getWidth() !== 1) return false;
  const ch = c.getChars();
  return (ch === '' || ch === ' ') && c.isBgDefault() && (flagsOf(c) & SHOWS_ON_BLANK) === 0;
}

/** A row as plain text, trailing spaces removed. */
export function rowText(line: IBufferLine | undefined): string {
  if (!line) return '';
  return safeText(line.translateToString(true)).replace(/ +$/, '');
}

/** A row as runs of equally styled cells; trailing blank cells that look like nothing are left out. */
export function rowRuns(line: IBufferLine | undefined, cols: number, cell: IBufferCell): StyledLine {
  const runs: StyledLine = [];
  if (!line) return runs;
  let end = Math.min(cols, line.length);
  while (end > 0 && isBlank(line.getCell(end - 1, cell)!)) end--;

  let text = '';
  let width = 0;
  let fgKey = -1;
  let bgKey = -1;
  let flagKey = -1;
  let style: CellStyle = {};
  for (let x = 0; x < end; x++) {
    line.getCell(x, cell);
    let w = cell.getWidth();
    let ch = cell.getChars();
    if (w === 0) {
      if (ch === '') continue; // right half of a wide character: its text is in the left half
      // a combining or zero-width character with nothing to join (it followed an escape sequence): xterm
      // gave it a column of its own, so it shows as a blank column
      ch = ' ';
      w = 1;
    }
    const flags = flagsOf(cell);
    const fg = colorKey(cell.isFgRGB(), cell.isFgPalette(), cell.getFgColor());
    const bg = colorKey(cell.isBgRGB(), cell.isBgPalette(), cell.getBgColor());
    if (fg !== fgKey || bg !== bgKey || flags !== flagKey) {
      if (width > 0) runs.push({ text, width, style });
      fgKey = fg;
      bgKey = bg;
      flagKey = flags;
      style = styleOf(cell, flags);
      text = '';
      width = 0;
    }
    text += ch || ' ';
    width += w;
  }
  if (width > 0) runs.push({ text, width, style });
  for (const r of runs) r.text = safeText(r.text);
  return runs;
}
