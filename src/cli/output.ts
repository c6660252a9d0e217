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

/**
 * The version of every JSON document a command prints (docs/json.md): scripts check it, and it goes up when
 * a key they may rely on changes its meaning or goes. Keys may be added within a version.
 */
export const JSON_SCHEMA = 1;

/** A JSON document as commands print it: `schema` first, then the value's own keys. */
export function versioned(value: object): Record<string, unknown> {
  const doc: Record<string, unknown> = { schema: JSON_SCHEMA, ...value };
  doc.schema = JSON_SCHEMA;
  return doc;
}

/** One JSON document on stdout, indented; `schema` is its first key. */
export function printJson(value: object): void {
  process.stdout.write(`${safeJson(versioned(value), 2)}\n`);
}

/** One line of an NDJSON stream on stdout (`watch --json`); `schema` is its first key. */
export function printJsonLine(value: object): void {
  process.stdout.write(`${safeJson(versioned(value))}\n`);
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function warn(line: string): void {
  process.stderr.write(`${line}\n`);
}
