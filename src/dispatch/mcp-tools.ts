/**
 * The tools of agency's MCP server as the manager's model reads them: names, descriptions and input
 * schemas (DESIGN.md §9), and how a call becomes the op its session's node carries out. Every request the
 * manager sends carries these descriptions, and every result lands in its context: both are kept short,
 * and a result is the node's answer as compact JSON, nothing added.
 */
import { AGENCY_MCP_TOOLS, MAX_WAIT_S, type AgencyMcpTool } from '../protocol/agency-mcp.js';
import { WORKER_MODELS } from '../protocol/messages.js';
import type { Op, OpArgs } from '../protocol/ops.js';

export interface ToolDefinition {
  name: AgencyMcpTool;
  description: string;
  inputSchema: { type: 'object'; properties: Record<string, unknown>; required: string[]; additionalProperties: false };
}

const object = (properties: Record<string, unknown>, required: string[]) => ({
  type: 'object' as const,
  properties,
  required,
  additionalProperties: false as const,
});
const run = { type: 'string' };

export const TOOLS: readonly ToolDefinition[] = [
  {
    name: 'spawn_workers',
    description:
      'Fan work out to parallel workers (headless Claude Code on this node). Each writes its findings to its own ' +
      'result file and replies one sentence, so give each a self-contained prompt. model: haiku by default; ' +
      'sonnet or opus only for work that needs them. write: true for workers that change code (each commits on ' +
      'its own branch; merge_workers brings them in). coordinate: true for many workers: one coordinator per ' +
      'group reads its results and answers with one summary. Returns {run, queued}; then wait_workers.',
    inputSchema: object(
      {
        workers: {
          type: 'array',
          items: object(
            {
              id: { type: 'string' },
              prompt: { type: 'string' },
              model: { type: 'string', enum: [...WORKER_MODELS] },
              write: { type: 'boolean' },
              discipline: { type: 'string' },
              group: { type: 'string' },
            },
            ['id', 'prompt'],
          ),
        },
        coordinate: { type: 'boolean' },
      },
      ['workers'],
    ),
  },
  {
    name: 'wait_workers',
    description:
      "Waits until a run's workers have ended, or timeout_s (default 600) has passed. Returns {run, done, " +
      'failed, pending, summaries: [{group, text}]}: a sentence per worker, or a summary per group when ' +
      'coordinated. pending > 0: wait again.',
    inputSchema: object({ run, timeout_s: { type: 'integer', minimum: 0, maximum: MAX_WAIT_S } }, ['run']),
  },
  {
    name: 'worker_status',
    description: "A run's workers counted by state and by model, without waiting.",
    inputSchema: object({ run }, ['run']),
  },
  {
    name: 'merge_workers',
    description:
      "Merges a run's write workers' branches into this session's branch, oldest first. Returns {merged, " +
      'conflicts, decisions}: worker ids merged, ids whose conflict went to a new worker, decisions left to the operator.',
    inputSchema: object({ run }, ['run']),
  },
];

export const isAgencyTool = (name: string): name is AgencyMcpTool => Object.hasOwn(AGENCY_MCP_TOOLS, name);

/** Ops that may be sent again when the connection was lost with the request out: they change nothing. */
export const REPEATABLE: ReadonlySet<Op> = new Set<Op>(['wait-workers', 'worker-status']);

/**
 * A tool call's arguments as its op's, for the session this server is for. The node checks them against
 * the op's schema (protocol/ops.ts); the session is always this server's, whatever the call says.
 */
export function opArgs<T extends AgencyMcpTool>(
  tool: T,
  args: Record<string, unknown> | undefined,
  session: string,
): OpArgs[(typeof AGENCY_MCP_TOOLS)[T]] {
  const a: Record<string, unknown> = { ...args };
  if (tool === 'wait_workers' && 'timeout_s' in a) {
    a.timeoutS = a.timeout_s;
    delete a.timeout_s;
  }
  return { ...a, session } as OpArgs[(typeof AGENCY_MCP_TOOLS)[T]];
}

const OP_PREFIX = new RegExp(`\\b(?:${Object.values(AGENCY_MCP_TOOLS).join('|')})\\.`, 'g');

/** A node's refusal of a call's arguments, in the tool's own names: `workers.0.id: …`, `timeout_s: …`. */
export function toolProblem(message: string): string {
  return message.replace(OP_PREFIX, '').replace(/\btimeoutS\b/g, 'timeout_s');
}
