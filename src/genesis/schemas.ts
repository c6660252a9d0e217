/**
 * What each of genesis's calls must answer, as zod schemas: the JSON Schema a backend is given is derived from
 * them (z.toJSONSchema), and every answer is parsed with them again before anything else looks at it.
 */
import { z } from 'zod';
import { ID_PATTERN } from '../registry/index.js';

/** the model tiers a discipline or a subagent may run on */
export const TIERS = ['haiku', 'sonnet', 'opus'] as const;
export type Tier = (typeof TIERS)[number];

/** the built-in Claude Code tools a generated subagent may be given; MCP servers come from its discipline's tools */
export const SUBAGENT_TOOLS = ['Read', 'Grep', 'Glob', 'Bash', 'Edit', 'Write', 'WebFetch', 'WebSearch'] as const;

/** when --vps is not given, the model chooses within these bounds */
export const VPS_DEFAULT = { min: 3, max: 8 } as const;

const id = z.string().regex(ID_PATTERN).describe('lowercase letters, digits and hyphens, starting with a letter');
/** strings the registry requires non-blank are non-blank here too, so that a blank one is sent back, never cached */
const line = (max: number) => z.string().trim().min(1).max(max);
const text = (max: number) => z.string().trim().min(1).max(max);

export function orgAnswerSchema(vps: { min: number; max: number }) {
  return z.strictObject({
    org: z.strictObject({ id, name: line(80) }),
    vps: z
      .array(
        z.strictObject({
          id,
          name: line(60).describe('the VP\'s title, as shown on its tile: "Quant Strategy"'),
          persona: text(2000).describe('who the VP is, in a few sentences'),
          mandate: line(200).describe('what the VP is answerable for, in one sentence'),
        }),
      )
      .min(vps.min)
      .max(vps.max),
  });
}
export type OrgAnswer = z.infer<ReturnType<typeof orgAnswerSchema>>;

/** the guard every generated discipline has first; a model's choice of hooks can only add to it */
export const STANDARD_GUARD = 'guard-standard';

/** tools: the base registry's MCP server ids; hooks: its guard policies (hook file ids) */
export function disciplinesAnswerSchema(tools: readonly string[], hooks: readonly string[]) {
  const toolId = tools.length > 0 ? z.enum(tools as [string, ...string[]]) : z.never();
  return z.strictObject({
    disciplines: z
      .array(
        z.strictObject({
          id,
          title: line(80),
          description: text(600).describe('what the discipline does, in two or three sentences'),
          keywords: z.array(line(40)).min(3).max(40).describe('words a task for this discipline would contain'),
          charter: text(12000).describe(
            'how a specialist of this discipline works, in Markdown: method and definition of done',
          ),
          tools: z.array(toolId).max(8).describe('MCP servers the discipline needs, from the list given'),
          hooks: z
            .array(z.enum(hooks as [string, ...string[]]))
            .max(4)
            .describe('guard policies on top of the standard guard, which every discipline has'),
          model: z.enum(TIERS),
          check: line(200).optional().describe('a command that tells whether the work is sound, such as npm test'),
        }),
      )
      .min(1)
      .max(8),
  });
}
export type DisciplinesAnswer = z.infer<ReturnType<typeof disciplinesAnswerSchema>>;
export type DisciplineAnswer = DisciplinesAnswer['disciplines'][number];

/** mcpServers: the discipline's MCP servers, which its subagents may use as mcp__<id> */
export function agentsAnswerSchema(mcpServers: readonly string[]) {
  const allowed = [...SUBAGENT_TOOLS, ...mcpServers.map((t) => `mcp__${t}`)] as [string, ...string[]];
  return z.strictObject({
    agents: z
      .array(
        z.strictObject({
          name: id,
          description: line(400).describe('when the main agent should use this subagent, in one or two sentences'),
          tools: z.array(z.enum(allowed)).min(1).max(allowed.length),
          model: z.enum(TIERS),
          prompt: text(8000).describe("the subagent's system prompt, in Markdown"),
        }),
      )
      .min(1)
      .max(8),
  });
}
export type AgentsAnswer = z.infer<ReturnType<typeof agentsAnswerSchema>>;
export type AgentAnswer = AgentsAnswer['agents'][number];

/** The JSON Schema a backend is given for a zod schema. */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}
