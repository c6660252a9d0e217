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

export function tokens(n: number): string {
  return n >= 1e9
    ? `${(n / 1e9).toFixed(1)}G`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)}M`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(1)}k`
        : String(Math.round(n));
}

export function cost(usd: number): string {
  return usd >= 100 ? `$${usd.toFixed(0)}` : `$${usd.toFixed(2)}`;
}

export function age(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '?';
  const s = Math.max(0, Math.round((now - t) / 1000));
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m`
      : s < 86400
        ? `${Math.floor(s / 3600)}h`
        : `${Math.floor(s / 86400)}d`;
}
