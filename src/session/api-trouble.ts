/**
 * When the API refuses a session: a key it rejects, no login at all, a rate limit, an overload. Claude Code
 * says so in three places, and each is read here into one shape:
 * - its StopFailure hook (instead of Stop, when an API error ended the turn): `error` and the message shown;
 * - its transcript: an assistant entry with `isApiErrorMessage`, `error`, `apiErrorStatus` and the message;
 * - its screen: the message as the turn's last entry above the input box, `Not logged in · Run /login` under
 *   it, and `API error · Retrying in 4s · attempt 2/3` (or the cause, when known, for `API error`) while it
 *   retries.
 * What a session should then do (end, or wait for the operator) is decided by the kind, in one place.
 */
import { cleanLine, isRule } from './prompts/normalise.js';

/**
 * auth: the key or login was refused, or there is none; billing: no credit; model: the model does not exist
 * for this account. rate-limit, server (overloaded, 5xx), request (a request the API refused) and unknown can
 * pass: the session can go on later.
 */
export type TroubleKind = 'auth' | 'billing' | 'model' | 'rate-limit' | 'server' | 'request' | 'unknown';

export interface ApiTrouble {
  kind: TroubleKind;
  /** Claude Code's name for the error (StopFailure's `error`), e.g. `authentication_failed` */
  error: string;
  /** the HTTP status, when known */
  status: number | null;
  /** Claude Code's message, one line, without anything that looks like a credential */
  message: string;
}

/** Claude Code retrying a request the API refused: which attempt of how many, and what it shows of why. */
export interface ApiRetry {
  attempt: number;
  of: number;
  /** `API error`, or the cause when Claude Code names it (`Unable to connect to API (ConnectionRefused)`) */
  what: string;
}

/** Kinds after which the session cannot go on: it is ended, and the reason says what to fix. */
export function endsSession(kind: TroubleKind): boolean {
  return kind === 'auth' || kind === 'billing' || kind === 'model';
}

/** Claude Code's error names (2.1.197: the StopFailure matcher values) → kinds. */
const KINDS: Record<string, TroubleKind> = {
  authentication_failed: 'auth',
  oauth_org_not_allowed: 'auth',
  billing_error: 'billing',
  model_not_found: 'model',
  rate_limit: 'rate-limit',
  overloaded: 'server',
  server_error: 'server',
  invalid_request: 'request',
  max_output_tokens: 'request',
};

const MAX_MESSAGE = 200;

/** A message from Claude Code or the API, as one line, with keys, tokens and URL credentials blanked. */
export function redact(text: string): string {
  const line = cleanLine(text.replace(/\s+/g, ' ')).trim();
  const safe = line
    .replace(/\bsk-ant-[A-Za-z0-9_-]+/g, 'sk-ant-…')
    .replace(/\b(bearer|x-api-key:?)\s+\S+/gi, '$1 …')
    .replace(/(\/\/)[^/\s:@]+:[^/\s@]+@/g, '$1…@');
  return safe.length > MAX_MESSAGE ? `${safe.slice(0, MAX_MESSAGE - 1)}…` : safe;
}

/** The status a message names: `API Error: 529 …`, `… Request rejected (429)`, `… Repeated 529 Overloaded …`. */
function statusIn(message: string): number | null {
  const m = /\bAPI Error: \D{0,40}?\b([45]\d\d)\b/.exec(message);
  return m ? Number(m[1]) : null;
}

function byStatus(status: number | null): TroubleKind | null {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate-limit';
  if (status !== null && status >= 500) return 'server';
  if (status !== null && status >= 400) return 'request';
  return null;
}

/** Claude Code's own texts for a refused or missing login (2.1.197), which carry no status. */
const AUTH_TEXTS = [/^not logged in\b/i, /^invalid api key\b/i, /please run \/login/i, /oauth token has been revoked/i];

function trouble(error: string | null, status: number | null, rawMessage: string): ApiTrouble {
  const message = redact(rawMessage);
  const st = status ?? statusIn(message);
  const kind =
    (error ? KINDS[error] : undefined) ??
    byStatus(st) ??
    (AUTH_TEXTS.some((r) => r.test(message)) ? 'auth' : 'unknown');
  return { kind, error: error ?? 'unknown', status: st, message };
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** From a StopFailure hook's input. */
export function troubleFromHook(input: Record<string, unknown>): ApiTrouble {
  return trouble(str(input.error), null, str(input.last_assistant_message) ?? str(input.error_details) ?? '');
}

/** From one line of a transcript: an API error entry, with when it was written; null for any other line. */
export function troubleFromTranscript(line: string): { trouble: ApiTrouble; at: string | null } | null {
  if (!line.includes('"isApiErrorMessage"')) return null;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  // a subagent's error (its own transcript) is a tool's failure to the session, which goes on
  if (entry.isApiErrorMessage !== true || entry.type !== 'assistant' || entry.isSidechain === true) return null;
  const content = (entry.message as { content?: unknown } | undefined)?.content;
  const text = Array.isArray(content)
    ? content
        .map((b) => (typeof b === 'object' && b !== null ? (str((b as { text?: unknown }).text) ?? '') : ''))
        .join(' ')
    : (str(content) ?? '');
  const status = typeof entry.apiErrorStatus === 'number' ? entry.apiErrorStatus : null;
  return { trouble: trouble(str(entry.error), status, text), at: str(entry.timestamp) };
}

/**
 * The input box Claude Code waits at (a `❯` prompt line between two rules, the lowest on the screen): the index
 * of its lower rule, or -1 when none is drawn. Lines must be cleaned.
 */
export function inputBoxEnd(clean: readonly string[]): number {
  for (let i = clean.length - 1; i >= 2; i--)
    if (isRule(clean[i]!) && /^❯/.test(clean[i - 1]!.trim()) && isRule(clean[i - 2]!)) return i;
  return -1;
}

const RETRY = /^\S\s+(\S.*?) · Retrying in \S+ · attempt (\d+)\/(\d+)$/;
/** the line under the turn once it has ended: `✻ Crunched for 0s` (a spinner glyph, a verb, the time) */
const TURN_DONE = /^\S\s+\S+ for \d/;
/** the first line of a transcript entry: Claude's `●`, a tool's or the CLI's `⎿`, the user's `❯` */
const ENTRY = /^\s*([●⎿❯])\s?/;

/**
 * What the screen says: Claude Code retrying a refused request; a refused or missing login as the message that
 * ended the last turn (the last entry above the input box); a missing login under the input box. The screen
 * is the weakest witness: a model's own words are drawn like Claude Code's (`● API Error: …` may be either),
 * so only the CLI's own login messages count here, and the rest is left to the hook and the transcript.
 */
export function apiTroubleOnScreen(lines: readonly string[]): { retry: ApiRetry | null; trouble: ApiTrouble | null } {
  const clean = lines.map(cleanLine);
  const bottom = inputBoxEnd(clean);
  if (bottom < 0) return { retry: null, trouble: null };
  const below = clean.slice(bottom + 1).join(' ');
  const footer = /\bNot logged in · Run \/login\b/.test(below)
    ? trouble('authentication_failed', null, 'Not logged in · Run /login')
    : null;
  const above = clean.slice(0, bottom - 2).filter((l) => l.trim() !== '');
  const status = above.at(-1)?.trim() ?? '';
  const r = RETRY.exec(status);
  if (r) return { retry: { attempt: Number(r[2]), of: Number(r[3]), what: redact(r[1]!) }, trouble: footer };
  if (!TURN_DONE.test(status)) return { retry: null, trouble: footer };
  // the turn's last entry: a line of the CLI's own (`⎿`) right above the turn's line
  const last = ENTRY.exec(above.at(-2) ?? '');
  if (last?.[1] !== '⎿') return { retry: null, trouble: footer };
  const said = trouble('authentication_failed', null, above.at(-2)!.replace(ENTRY, ''));
  return { retry: null, trouble: AUTH_TEXTS.some((re) => re.test(said.message)) ? said : footer };
}
