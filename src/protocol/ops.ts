/**
 * The arguments of every operation a client may ask a node for, as schemas. `OpArgs` is inferred from
 * them, so what the types promise and what the node checks on the wire are the same thing.
 */
import { z } from 'zod';

/** Longest task or text a session is given in one request (characters). */
export const MAX_TEXT = 100_000;
/** Longest file-system path a request may name (PATH_MAX on Linux). */
export const MAX_PATH = 4096;
/** A terminal agency gives a session: columns × rows. */
export const TERMINAL_COLS = { min: 20, max: 1000 } as const;
export const TERMINAL_ROWS = { min: 5, max: 500 } as const;

/** Session and decision ids are short tokens: `s-` or `d-` and a few hex digits (see node/ids.ts). */
const id = (prefix: 's' | 'd', kind: string) =>
  z
    .string()
    .max(40)
    .regex(new RegExp(`^${prefix}-[0-9a-f]{1,32}$`), `not a ${kind} id (they look like ${prefix}-1a2b3c)`);
const session = id('s', 'session');
const text = (max: number) => z.string().max(max);
const nonBlank = (max: number) => text(max).regex(/\S/, 'is empty');

const dimension = (what: 'columns' | 'rows', bounds: { min: number; max: number }) => {
  const error = (iss: { input?: unknown }) =>
    `a terminal ${String(iss.input)} ${what} ${what === 'columns' ? 'wide' : 'tall'} is not one agency can give a session (${TERMINAL_COLS.min}–${TERMINAL_COLS.max} columns × ${TERMINAL_ROWS.min}–${TERMINAL_ROWS.max} rows)`;
  return z.int().min(bounds.min, { error }).max(bounds.max, { error });
};

const none = z.strictObject({});
const sessionOnly = z.strictObject({ session });

export const OP_SCHEMAS = {
  status: none,
  run: z.strictObject({
    task: nonBlank(MAX_TEXT),
    discipline: nonBlank(64).optional(),
    repo: nonBlank(MAX_PATH),
    model: nonBlank(128).optional(),
    registry: nonBlank(MAX_PATH).optional(),
  }),
  /** `enter: false` types the text as keys (a pane's keystrokes); otherwise it is sent as a line */
  send: z.strictObject({ session, text: text(MAX_TEXT), enter: z.boolean().optional() }),
  pause: sessionOnly,
  resume: sessionOnly,
  stop: sessionOnly,
  interrupt: sessionOnly,
  /** the session's terminal size: taking over a session gives it the operator's (a pane only shows it) */
  resize: z.strictObject({
    session,
    cols: dimension('columns', TERMINAL_COLS),
    rows: dimension('rows', TERMINAL_ROWS),
  }),
  decide: z.strictObject({ decision: id('d', 'decision'), approve: z.boolean(), reason: text(2000).optional() }),
  screen: sessionOnly,
  watch: none,
  'pty-subscribe': z.strictObject({ session, fromSeq: z.int().min(0, 'a sequence number is 0 or more') }),
  'pty-unsubscribe': sessionOnly,
  /** a Claude Code hook event, as the hook program got it on its stdin */
  hook: z.strictObject({
    session,
    event: z
      .string()
      .max(64)
      .regex(/^[A-Za-z]+$/, 'not a hook event name'),
    // typed as the hook program has it (parsed JSON); on the wire it must be the object Claude Code wrote
    input: z.unknown().refine((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected an object'),
  }),
  shutdown: none,
} as const;

/** Operations a client may ask a node for; their results are in `OpResults` (messages.ts). */
export type Op = keyof typeof OP_SCHEMAS;
export type OpArgs = { [O in Op]: z.infer<(typeof OP_SCHEMAS)[O]> };

/** The same table, typed per op, so that a generic op's schema is known to give that op's args. */
const SCHEMA_OF: { [O in Op]: z.ZodType<OpArgs[O]> } = OP_SCHEMAS;

export function isOp(op: unknown): op is Op {
  return typeof op === 'string' && Object.hasOwn(OP_SCHEMAS, op);
}

export type ParsedArgs<O extends Op> = { ok: true; args: OpArgs[O] } | { ok: false; problem: string };

/** A request's arguments checked against its op's schema; a problem names the field (`run.task: …`). */
export function parseOpArgs<O extends Op>(op: O, raw: unknown): ParsedArgs<O> {
  const r = SCHEMA_OF[op].safeParse(raw);
  if (r.success) return { ok: true, args: r.data };
  return { ok: false, problem: describeIssues(op, raw, r.error.issues) };
}

/** Past this many, the rest of a request's problems are counted, not listed. */
const LISTED_PROBLEMS = 3;

function describeIssues(op: string, raw: unknown, issues: readonly z.core.$ZodIssue[]): string {
  const problems: string[] = [];
  for (const issue of issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys')
      for (const key of issue.keys) problems.push(`${fieldName(op, [...path, key])}: unknown key`);
    else problems.push(`${fieldName(op, path)}: ${issueText(issue, valueAt(raw, path))}`);
  }
  const more = problems.length - LISTED_PROBLEMS;
  return problems.slice(0, LISTED_PROBLEMS).join('; ') + (more > 0 ? `; and ${more} more` : '');
}

function fieldName(op: string, path: readonly PropertyKey[]): string {
  return [op, ...path.map((k) => (/^[A-Za-z0-9_-]{1,40}$/.test(String(k)) ? String(k) : clip(String(k))))].join('.');
}

function issueText(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `required (${article(issue.expected)})`;
      return `expected ${article(issue.expected)}, got ${kindOf(value)}`;
    case 'too_big':
      if (issue.origin === 'string' && typeof value === 'string')
        return `longer than ${issue.maximum} characters (it has ${value.length})`;
      return issue.message;
    default:
      return issue.message;
  }
}

const article = (expected: string) =>
  ({ int: 'a whole number', object: 'an object', record: 'an object', array: 'a list' })[expected] ?? `a ${expected}`;

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a number' : String(v);
  return article(typeof v);
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** A name from the wire, quoted, and short enough to put in a message. */
export function clip(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}
