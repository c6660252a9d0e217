/**
 * Text for the frame. Everything a node sent (tasks, activity, errors, names) goes through `clean` before
 * it reaches a <Text>: ink keeps SGR and OSC sequences in text as they are, so escape sequences, OSC 52
 * and C1 controls from a node must be removed here, never left for ink to pass on.
 */
import { safeLine, stringWidth, truncateCodePoints } from '../terminal/index.js';

/** One line of remote text, safe to print, at most `max` columns (cut with an ellipsis). */
export function clean(s: string | null | undefined, max = 400): string {
  if (!s) return '';
  const line = safeLine(truncateCodePoints(s, max * 4))
    .replace(/\s+/g, ' ')
    .trim();
  return fit(line, max);
}

/** Text as typed, safe to print: controls and escape sequences gone, spaces kept as they are (no trim). */
export function plain(s: string, maxCodePoints = 8000): string {
  return safeLine(truncateCodePoints(s, maxCodePoints));
}

/** `s` cut to `max` columns, with an ellipsis when cut. */
export function fit(s: string, max: number): string {
  if (max <= 0) return '';
  if (stringWidth(s) <= max) return s;
  let out = '';
  let width = 0;
  for (const ch of s) {
    const w = stringWidth(ch);
    if (width + w > max - 1) break;
    out += ch;
    width += w;
  }
  return `${out}…`;
}
