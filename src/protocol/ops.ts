/**
 * The arguments of every operation a client may ask a node for, as schemas. `OpArgs` is inferred from
 * them, so what the types promise and what the node checks on the wire are the same thing.
 */
import { z } from 'zod';
import { orgApplySchema, VP_ID } from './org.js';
import { amountSchema, COST_BY, nodeSettingsSchema, spendElsewhereSchema } from './economics.js';
import { MIRROR_NAME, repoProblem } from './repo-url.js';

/** Longest text a session is typed in one request (characters). */
export const MAX_TEXT = 100_000;
/**
 * Largest task a session is given, in bytes of UTF-8. claude gets the task as one argument, and Linux
 * refuses to start a program with an argument over 128 KiB (E2BIG): the limit stays well under that.
 */
export const MAX_TASK_BYTES = 100 * 1024;

/**
 * What is wrong with a task, or null if nothing is. The one home of the rule: the node checks it on the
 * wire (the `run` op's schema), and `agency run` and `agency compile` before they create anything.
 */
export function taskProblem(task: string): string | null {
  if (task.includes('\0'))
    return 'the task contains a NUL character, which no program can be given in an argument; remove it';
  const bytes = Buffer.byteLength(task, 'utf8');
  if (bytes > MAX_TASK_BYTES)
    return `the task is ${Math.ceil(bytes / 1024)} KB, over the limit of ${MAX_TASK_BYTES / 1024} KB (claude is given it as one argument); put the details in a file in the repository and name that file in the task`;
  if (!/\S/.test(task)) return 'the task is empty';
  return null;
}

/** A model name as claude takes it after --model: letters, digits and . _ - : [ ], never an option. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:[\]-]{0,127}$/;
/** Longest file-system path a request may name (PATH_MAX on Linux). */
export const MAX_PATH = 4096;
/** A terminal agency gives a session: columns × rows. */
export const TERMINAL_COLS = { min: 20, max: 1000 } as const;
export const TERMINAL_ROWS = { min: 5, max: 500 } as const;

/** Session and decision ids are short tokens: `s-` or `d-` and a few hex digits (see node/ids.ts). */
export const SESSION_ID = /^s-[0-9a-f]{1,32}$/;
export const DECISION_ID = /^d-[0-9a-f]{1,32}$/;
const id = (prefix: 's' | 'd', kind: string) =>
  z
    .string()
    .max(40)
    .regex(prefix === 's' ? SESSION_ID : DECISION_ID, `not a ${kind} id (they look like ${prefix}-1a2b3c)`);
const session = id('s', 'session');

/** Worker and run ids the node gives: `w-` / `r-` and a few hex digits. */
export const WORKER_ID = /^w-[0-9a-f]{1,32}$/;
export const RUN_ID = /^r-[0-9a-f]{1,32}$/;
/**
 * The id a session gives a worker: it becomes part of a branch name (agency/workers/<session>/w-<id>) and of file
 * names, so letters, digits and . _ - only, starting with a letter or digit, never `..` or `.lock`.
 */
export const WORKER_NAME = /^(?!.*\.\.)(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Most workers one spawn may ask for, and the longest prompt one may have (bytes of UTF-8, as a task). */
export const MAX_SPAWN = 200;
const workerId = z.string().max(40).regex(WORKER_ID, 'not a worker id (they look like w-1a2b3c)');
const runId = z.string().max(40).regex(RUN_ID, 'not a run id (they look like r-1a2b3c)');
const workerName = z
  .string()
  .max(64)
  .regex(WORKER_NAME, 'not a worker id: letters, digits and . _ - (at most 64, starting with a letter or digit)');
const groupName = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/, 'not a group name: letters, digits, spaces and . _ -');
/** A path a worker's sparse checkout is limited to: relative, inside the repository. */
const sparsePath = z
  .string()
  .max(1024)
  .refine((p) => p !== '' && !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0'), {
    message: 'not a path inside the repository (relative, no ..)',
  });
const text = (max: number) => z.string().max(max);
const nonBlank = (max: number) => text(max).regex(/\S/, 'is empty');
const task = z.string().superRefine((t, ctx) => {
  const problem = taskProblem(t);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A repository: a path on the node, or a URL the node clones into a mirror (see repo-url.ts). */
const repo = z
  .string()
  .max(MAX_PATH)
  .superRefine((r, ctx) => {
    const problem = repoProblem(r);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
/** A commit id as git prints it in full (SHA-1 or SHA-256). */
export const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A branch name as a request may give it: never an option, no character git refuses in a ref. */
export const BRANCH_NAME = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[^\s~^:?*[\\\u0000-\u001f\u007f]{1,255}(?<![./])$/;

const dimension = (what: 'columns' | 'rows', bounds: { min: number; max: number }) => {
  const error = (iss: { input?: unknown }) =>
    `a terminal ${String(iss.input)} ${what} ${what === 'columns' ? 'wide' : 'tall'} is not one agency can give a session (${TERMINAL_COLS.min}–${TERMINAL_COLS.max} columns × ${TERMINAL_ROWS.min}–${TERMINAL_ROWS.max} rows)`;
  return z.int().min(bounds.min, { error }).max(bounds.max, { error });
};

const none = z.strictObject({});
const sessionOnly = z.strictObject({ session });

/** What a session is started from: `run`'s arguments (and `run-split`'s, but for discipline and vp). */
const runArgs = {
  task,
  discipline: nonBlank(64).optional(),
  repo,
  /** what to branch from, where the repository's HEAD is not it (a repository pushed to the node's mirror) */
  base: z
    .strictObject({
      commit: z.string().regex(COMMIT_ID, 'not a full commit id'),
      branch: z.string().regex(BRANCH_NAME, 'not a branch name').nullable(),
    })
    .optional(),
  model: z.string().regex(MODEL_NAME, 'not a model name (sonnet, opus, haiku or a claude-… model id)').optional(),
  registry: nonBlank(MAX_PATH).optional(),
  /** the VP the task was triaged to (its org's id for the VP), recorded on the session */
  vp: z.string().regex(VP_ID, 'not a VP id').optional(),
  /** the session's budget, its workers' spend counted in (instead of its discipline's or the config's) */
  budget: amountSchema.optional(),
};

/** the node chooses each session's discipline and VP */
const { discipline: _discipline, vp: _vp, ...splitArgs } = runArgs;

export const OP_SCHEMAS = {
  status: none,
  run: z.strictObject(runArgs),
  /**
   * one session per discipline the task spans (at most 4), each told the whole task and which part is its
   * own: the node classifies it over the disciplines of the VPs it carries (all its registry's, carrying none)
   */
  'run-split': z.strictObject(splitArgs),
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
  decide: z.strictObject({
    decision: id('d', 'decision'),
    approve: z.boolean(),
    reason: text(2000).optional(),
    /** a budget decision approved: how much to extend the budget by (default: its first preset) */
    amount: amountSchema.optional(),
    /** who answers, for the audit trail: `operator` (the default) or `slack:<user id>` */
    by: z
      .string()
      .regex(/^(operator|slack:[A-Za-z0-9_.-]{1,64})$/, 'not who answers (operator or slack:<user id>)')
      .optional(),
  }),
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
  /** the session's work against the commit it branched from; `stat` leaves out the patch */
  diff: z.strictObject({ session, stat: z.boolean().optional() }),
  log: sessionOnly,
  /** the session's branch into `into` (default: the branch it started from) in the repository it came from */
  merge: z.strictObject({
    session,
    into: z
      .string()
      .max(255)
      .regex(/^(?!-)[^\s~^:?*[\\]+$/, 'not a branch name')
      .optional(),
  }),
  pr: sessionOnly,
  /** removes an ended session's worktree and branch; `force` keeps unmerged work under refs/agency/recovered/ first */
  rm: z.strictObject({ session, force: z.boolean().optional() }),
  gc: z.strictObject({ force: z.boolean().optional() }),
  /** the node's bare mirror of that name, made if it is missing, for the operator to push a repository into */
  mirror: z.strictObject({ name: z.string().regex(MIRROR_NAME, 'not a mirror name') }),

  /** a session's workers, or all the node's with no session named */
  workers: z.strictObject({ session: session.optional() }),
  'worker-output': z.strictObject({ worker: workerId }),
  /** stops one worker, or every worker of a run that has not ended */
  'worker-stop': z.union([z.strictObject({ worker: workerId }), z.strictObject({ run: runId })]),

  /** a session's fan-out (its `agency` MCP server's spawn_workers): the workers queue on the session's node */
  'spawn-workers': z.strictObject({
    session,
    workers: z
      .array(
        z.strictObject({
          id: workerName,
          prompt: task,
          model: z.enum(['haiku', 'sonnet', 'opus']).optional(),
          write: z.boolean().optional(),
          discipline: nonBlank(64).optional(),
          group: groupName.optional(),
          /** what a write worker's sparse checkout holds (the whole tree when absent) */
          paths: z.array(sparsePath).max(100).optional(),
        }),
      )
      .min(1, 'no workers to spawn')
      .max(MAX_SPAWN, `at most ${MAX_SPAWN} workers in one spawn`),
    coordinate: z.boolean().optional(),
  }),
  /** waits until every worker of the run has ended, or timeoutS (default 600) has passed */
  'wait-workers': z.strictObject({ session, run: runId, timeoutS: z.int().min(0).max(86_400).optional() }),
  'worker-status': z.strictObject({ session, run: runId }),
  /** the run's write workers' branches into the session's branch, oldest first */
  'merge-workers': z.strictObject({ session, run: runId }),
  /** the operator's organisation overlay and the VPs this node carries (replaces any the node had) */
  'org-apply': orgApplySchema,
  /** the budgets, rate limits and model routing the operator's config gives this node (replaces what it had) */
  'settings-apply': nodeSettingsSchema,
  /** what the rest of the fleet spent today, for the daily budgets of the fleet and of VPs that span nodes */
  'budget-sync': spendElsewhereSchema,
  /** the node's recorded spend, grouped, from `since` (ISO time) on */
  cost: z.strictObject({ by: z.enum(COST_BY as [string, ...string[]]), since: z.iso.datetime().optional() }),
  /** the node's audit trail, oldest first: entries after seq `after`, at most `limit` (default 1000) */
  audit: z.strictObject({
    session: session.optional(),
    since: z.iso.datetime().optional(),
    after: z.int().min(0).optional(),
    limit: z.int().min(1).max(10_000).optional(),
  }),
  'audit-verify': none,
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
