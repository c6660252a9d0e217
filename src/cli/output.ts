/** How commands report: JSON on stdout for --json, human text on stdout, problems on stderr, exit codes per DESIGN §4. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** An error the user caused and can fix: printed as one clear message, never as a stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failure) {
    super(message);
    this.name = 'UserError';
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function warn(line: string): void {
  process.stderr.write(`${line}\n`);
}
