/**
 * Keys as the key table names them, from what ink parsed; and, for a takeover, the bytes a terminal would
 * have sent for a key (used when ink does not hand over the raw sequence).
 */
import type { Key } from 'ink';
import { isUnsafeCode } from '../protocol/safe-text.js';

/** The key table's name for a key press: `a`, `G`, `?`, `up`, `enter`, `ctrl+]`… ('' for nothing nameable). */
export function keyName(input: string, key: Key): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (input === '\x1d') return 'ctrl+]';
  if (key.ctrl && input.length === 1) return `ctrl+${input.toLowerCase()}`;
  if (input === ' ') return 'space';
  return input;
}

/** Whether the key press is text to type into an input line. */
export function isText(input: string, key: Key): boolean {
  return input !== '' && !key.ctrl && !key.meta && !(input.length === 1 && isUnsafeCode(input.charCodeAt(0)));
}

export interface KeyModes {
  applicationCursorKeys: boolean;
}

/** The bytes a terminal sends for this key press, as well as ink's parse lets us tell. */
export function keyBytes(input: string, key: Key, modes: KeyModes = { applicationCursorKeys: false }): string {
  const arrow = (c: string) => (modes.applicationCursorKeys ? `\x1bO${c}` : `\x1b[${c}`);
  if (key.upArrow) return arrow('A');
  if (key.downArrow) return arrow('B');
  if (key.rightArrow) return arrow('C');
  if (key.leftArrow) return arrow('D');
  if (key.pageUp) return '\x1b[5~';
  if (key.pageDown) return '\x1b[6~';
  if (key.home) return '\x1b[H';
  if (key.end) return '\x1b[F';
  if (key.return) return key.meta ? '\x1b\r' : '\r';
  if (key.escape) return '\x1b';
  if (key.tab) return key.shift ? '\x1b[Z' : '\t';
  if (key.backspace || key.delete) return '\x7f';
  if (key.ctrl && input.length === 1 && /[a-z]/i.test(input))
    return String.fromCharCode(input.toLowerCase().charCodeAt(0) - 96);
  if (key.meta && input !== '') return `\x1b${input}`;
  return input;
}
