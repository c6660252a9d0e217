/** Schemas of the registry's files (docs/registry.md). */
import { z } from 'zod';
import { ID_PATTERN, idProblem } from './ids.js';
import { amountSchema } from '../protocol/economics.js';
import { WORKER_TIER_PROBLEM, workerTier } from '../protocol/workers.js';
import { COMPILED_PERMISSION_MODES, hooksSchema, mcpServerSchema, permissionRuleProblem, permissionsSchema, toolNameProblem } from './claude-schema.js';

const id = (kind: string) =>
  z.string().superRefine((v, ctx) => {
    if (!ID_PATTERN.test(v)) ctx.addIssue({ code: 'custom', message: idProblem(kind, v) });
  });

const MODEL = /^(sonnet|opus|haiku|fable|inherit|opusplan|claude-[a-z0-9.-]+)(\[1m\])?$/;
const model = z.string().regex(MODEL, 'model must be sonnet, opus, haiku, inherit or a full claude-… model id');
const nonEmpty = z.string().trim().min(1);

const uniqueIds = (kind: string) =>
  z.array(id(kind)).superRefine((ids, ctx) => {
    const seen = new Set<string>();
    ids.forEach((v, i) => {
      if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [i], message: `${kind} ${JSON.stringify(v)} is listed twice` });
      seen.add(v);
    });
  });

export const disciplineSchema = z.strictObject({
  id: id('discipline'),
  title: nonEmpty,
  description: nonEmpty,
  keywords: z.array(nonEmpty).min(1, 'a discipline needs keywords for classify'),
  charter: id('charter'),
  agents: uniqueIds('agent').min(1, 'a discipline needs at least one agent'),
  tools: uniqueIds('tool').default([]),
  hooks: uniqueIds('hook').min(1, 'a discipline needs at least one hook file (its guard policy)'),
  model: model.optional(),
  /** the model its workers use when their task names none (haiku otherwise) */
  workerModel: model.refine((m) => workerTier(m) !== null, WORKER_TIER_PROBLEM).optional(),
  /** each of its sessions' budget, unless `run --budget` names one: {usd: 2} or {tokens: 500000} */
  budget: amountSchema.optional(),
  /**
   * the command that tells whether the work is sound (`npm test`, `forge test`): run by the merge queue in the
   * session's worktree, inside a sandbox, after workers' branches are merged into it
   */
  check: nonEmpty.optional(),
  permissions: permissionsSchema
    .omit({ defaultMode: true, additionalDirectories: true, disableBypassPermissionsMode: true })
    .extend({ defaultMode: z.enum(COMPILED_PERMISSION_MODES, 'defaultMode must be default, acceptEdits, plan or dontAsk').optional() })
    .strict()
    .optional(),
});
export type Discipline = z.infer<typeof disciplineSchema>;

const toolList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0))
  .superRefine((names, ctx) => {
    names.forEach((n, i) => {
      const p = toolNameProblem(n);
      if (p) ctx.addIssue({ code: 'custom', path: [i], message: p });
    });
  });

export const agentFrontmatterSchema = z.strictObject({
  name: id('agent'),
  description: nonEmpty,
  tools: toolList.optional(),
  disallowedTools: toolList.optional(),
  model: model.optional(),
  permissionMode: z.enum(COMPILED_PERMISSION_MODES).optional(),
  maxTurns: z.number().int().positive().optional(),
  color: z.enum(['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'pink', 'cyan']).optional(),
  effort: z.enum(['low', 'medium', 'high', 'max']).optional(),
  memory: z.enum(['user', 'project', 'local']).optional(),
});
export type AgentFrontmatter = z.infer<typeof agentFrontmatterSchema>;

export const toolFileSchema = z.strictObject({
  description: nonEmpty,
  server: mcpServerSchema,
});
export type ToolFile = z.infer<typeof toolFileSchema>;

const HOST = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$|^\d{1,3}(\.\d{1,3}){3}$/;
const host = z.string().regex(HOST, 'host patterns are names such as example.com or *.example.com, or IPv4 addresses');
const regex = z.string().superRefine((src, ctx) => {
  try {
    new RegExp(src);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(e as Error).message}` });
  }
});

export const policySchema = z.strictObject({
  protectedBranches: z.array(nonEmpty).optional(),
  secretPaths: z.array(nonEmpty).optional(),
  network: z.strictObject({ allow: z.array(host).optional(), deny: z.array(host).optional() }).optional(),
  writablePaths: z.array(nonEmpty).optional(),
  denyCommands: z.array(z.strictObject({ pattern: regex, reason: nonEmpty })).optional(),
});
export type PolicyFragment = z.infer<typeof policySchema>;

const ruleList = permissionsSchema.shape.allow;
/** How the node answers Claude Code's permission requests: allowed, denied with a reason, or put to the operator. */
export const approvalsSchema = z.strictObject({
  allow: ruleList.optional(),
  deny: z.array(z.strictObject({ rule: z.string().superRefine((r, ctx) => {
    const p = permissionRuleProblem(r);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  }), reason: nonEmpty })).optional(),
});
export type Approvals = z.infer<typeof approvalsSchema>;

export const hookFileSchema = z.strictObject({
  description: nonEmpty,
  policy: policySchema.optional(),
  approvals: approvalsSchema.optional(),
  hooks: hooksSchema.optional(),
});
export type HookFile = z.infer<typeof hookFileSchema>;
