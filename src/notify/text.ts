/**
 * Text for a notification: one line, nothing a terminal, a notification server or a shell would obey, and of a
 * bounded length. What a node tells (a task, a command, a reason) is data from a session, and sessions are hostile.
 */
import { singleLine } from '../protocol/safe-text.js';

/** The longest title and text a notification carries, in characters (code points). */
export const MAX_TITLE = 100;
export const MAX_TEXT = 300;

/**
 * Zero-width and other format characters that hide or reorder text (besides the bidi controls `singleLine`
 * removes): the zero-width space and joiners, the word joiner and invisible operators, the byte-order mark.
 */
const HIDDEN = /[\u200b-\u200f\u2060-\u2064\ufeff\ufff9-\ufffb]/g;

/** `s` as one plain line of at most `max` characters: unsafe characters gone, spaces collapsed, cut with `…`. */
export function cleanLine(s: string, max: number): string {
  const line = singleLine(s).replace(HIDDEN, '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(line);
  return chars.length <= max ? line : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Words joined with `, `, at most `max` of them, then `and N more`. */
export function someOf(words: readonly string[], max = 4): string {
  if (words.length <= max) return words.join(', ');
  return `${words.slice(0, max).join(', ')} and ${words.length - max} more`;
}
