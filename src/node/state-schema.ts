/**
 * What a record of the node's state must be before the node uses it. State comes back from disk, and what
 * is on disk may have been changed by anyone: an id becomes a folder name, a worktree a working directory,
 * a Claude Code session id an argument of claude. Each is checked here, field by field.
 */
import { basename, dirname, isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { amountSchema } from '../protocol/economics.js';
import { SESSION_STATES, VP_ID, type Decision } from '../protocol/messages.js';
import { DECISION_ID, MAX_PATH, MODEL_NAME, SESSION_ID, clip } from '../protocol/ops.js';
import { isValidId } from '../registry/index.js';
import type { SessionRecord } from './state-file.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const path = z
  .string()
  .max(MAX_PATH)
  .refine(
    (p) => isAbsolute(p) && normalize(p) === p && !p.includes('\0') && (p === '/' || !p.endsWith('/')),
    'not an absolute path in normal form',
  );
const time = z.iso.datetime('not a time');
const count = z.number().int().min(0);
const line = z.string().max(100_000);

const usage = z.object({
  inputTokens: count,
  outputTokens: count,
  cacheCreationTokens: count,
  cacheReadTokens: count,
  costUsd: z.number().min(0),
  unpricedModels: z.array(z.string().max(200)).max(100),
});

function sessionSchema(worktrees: string) {
  return z
    .object({
      id: z.string().regex(SESSION_ID, 'not a session id'),
      state: z.enum(SESSION_STATES),
      task: z.string(),
      discipline: z.string().refine(isValidId, 'not a discipline id'),
      repo: path,
      worktree: path,
      branch: z.string(),
      model: z.string().regex(MODEL_NAME, 'not a model name').nullable(),
      claudeSession: z.string().regex(UUID, 'not a UUID'),
      createdAt: time,
      updatedAt: time,
      endedAt: time.nullable(),
      exitCode: z.number().int().nullable(),
      reason: line.nullable(),
      activity: line,
      usage,
      outputSeq: count,
      registry: path.nullable(),
      resumes: count,
      // records written before these were kept have none
      origin: z.string().max(MAX_PATH).nullable().default(null),
      vp: z.string().regex(VP_ID, 'not a VP id').nullable().optional(),
      budget: z
        .object({ limit: amountSchema, spent: z.number().min(0), warned: z.boolean() })
        .nullable()
        .optional(),
      held: z.enum(['operator', 'budget', 'queued']).nullable().optional(),
      base: z
        .object({
          branch: z.string().max(255).nullable(),
          commit: z.string().regex(/^[0-9a-f]{40,64}$/, 'not a commit'),
        })
        .nullable()
        .default(null),
      landing: z
        .object({
          ahead: count,
          behind: count,
          filesChanged: count,
          merged: z.boolean(),
          dirty: z.boolean(),
          measuredAt: time,
        })
        .nullable()
        .default(null),
    })
    .superRefine((r, ctx) => {
      // a node makes every worktree at worktrees/<repository>/<session id>, on branch agency/<session id>
      if (dirname(dirname(r.worktree)) !== worktrees || basename(r.worktree) !== r.id)
        ctx.addIssue({ code: 'custom', path: ['worktree'], message: `not this session's folder in ${worktrees}` });
      if (r.branch !== `agency/${r.id}`)
        ctx.addIssue({ code: 'custom', path: ['branch'], message: `not agency/${r.id}` });
    });
}

const decisionSchema = z.object({
  id: z.string().regex(DECISION_ID, 'not a decision id'),
  node: z.string().max(200),
  session: z.string().regex(SESSION_ID, 'not a session id'),
  tool: line,
  summary: line,
  input: z.unknown(),
  source: z.enum(['hook', 'screen', 'merge', 'budget']),
  state: z.enum(['open', 'approved', 'denied', 'withdrawn']),
  by: z.string().max(200).nullable().optional(),
  createdAt: time,
  answeredAt: time.nullable(),
  reason: line.nullable(),
});

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

function check<T>(schema: z.ZodType<T>, raw: unknown): Checked<T> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const problems = r.error.issues.slice(0, 3).map((i) => {
    const at = i.path.map(String).join('.');
    const value = valueAt(raw, i.path);
    const shown = typeof value === 'string' ? ` ${clip(value)}` : '';
    return `${at || 'record'}: ${i.message}${shown}`;
  });
  const more = r.error.issues.length - problems.length;
  return { ok: false, problem: problems.join('; ') + (more > 0 ? `; and ${more} more` : '') };
}

function valueAt(data: unknown, at: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const k of at) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

const schemas = new Map<string, z.ZodType<SessionRecord>>();

/** A session record as the node may use it, or what is wrong with it. */
export function checkSession(raw: unknown, worktrees: string): Checked<SessionRecord> {
  let schema = schemas.get(worktrees);
  if (!schema) schemas.set(worktrees, (schema = sessionSchema(worktrees)));
  return check(schema, raw);
}

export function checkDecision(raw: unknown): Checked<Decision> {
  return check(decisionSchema, raw);
}
