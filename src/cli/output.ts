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

/** What a terminal may obey beyond C0: DEL, the C1 controls (U+0080–U+009F), Unicode line and bidi controls. */
const BEYOND_C0 = '\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const ESCAPED_IN_JSON = new RegExp(`[${BEYOND_C0}]`, 'g');
const CONTROLS = new RegExp(`[\\u0000-\\u001f${BEYOND_C0}]`, 'g');
const CONTROLS_BUT_NEWLINE = new RegExp(`[\\u0000-\\u0009\\u000b-\\u001f${BEYOND_C0}]`, 'g');
const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** JSON as a terminal can show it safely: JSON.stringify escapes C0 controls but leaves the rest raw. */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(ESCAPED_IN_JSON, escape);
}

/**
 * A message for the terminal with every control character shown as an escape (`\u001b`), not obeyed: error
 * messages quote paths, ids and text that came from elsewhere. Line breaks are kept when asked.
 */
export function printable(s: string, keepNewlines = false): string {
  return s.replace(keepNewlines ? CONTROLS_BUT_NEWLINE : CONTROLS, escape);
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
