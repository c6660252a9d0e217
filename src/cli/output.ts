import { escapeUnsafe } from '../protocol/safe-text.js';

/** How commands report: JSON on stdout for --json, human text on stdout, problems on stderr, exit codes per DESIGN §4. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** An error the user caused and can fix: printed as one clear message, never as a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * JSON as a terminal can show it safely: JSON.stringify escapes C0 controls in strings but leaves DEL, C1
 * and the bidi controls raw; those are escaped too. The indent's line breaks are the only raw C0 left.
 */
export function safeJson(value: unknown, indent?: number): string {
  return escapeUnsafe(JSON.stringify(value, null, indent), 'newlines');
}

/**
 * A message for the terminal with every unsafe character shown as an escape (`\u001b`), not obeyed: error
 * messages quote paths, ids and text that came from elsewhere. Line breaks are kept when asked.
 */
export function printable(s: string, keepNewlines = false): string {
  return escapeUnsafe(s, keepNewlines ? 'newlines' : 'nothing');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${safeJson(value, 2)}\n`);
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function warn(line: string): void {
  process.stderr.write(`${line}\n`);
}
