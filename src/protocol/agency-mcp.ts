/**
 * agency's own MCP server, as a session sees it: the name it has in a session's `.mcp.json` (reserved, so
 * no registry tool file may take it), its tools (Claude Code names them `mcp__agency__<tool>`), and the
 * node op each tool is carried by. One home for these names: the compiler approves them, the registry
 * reserves them, the server serves them.
 */
import type { Op } from './ops.js';

export const AGENCY_MCP_SERVER = 'agency';

/** each tool of the server and the op it asks the session's node for */
export const AGENCY_MCP_TOOLS = {
  spawn_workers: 'spawn-workers',
  wait_workers: 'wait-workers',
  worker_status: 'worker-status',
  merge_workers: 'merge-workers',
} as const satisfies Record<string, Op>;
export type AgencyMcpTool = keyof typeof AGENCY_MCP_TOOLS;
export const AGENCY_MCP_TOOL_NAMES = Object.keys(AGENCY_MCP_TOOLS) as AgencyMcpTool[];

/** The name Claude Code gives one of the server's tools (in permission rules and a subagent's tools). */
export const agencyToolName = (tool: AgencyMcpTool) => `mcp__${AGENCY_MCP_SERVER}__${tool}`;

/** Longest wait_workers a session may ask for, in seconds (the wait-workers op's own bound). */
export const MAX_WAIT_S = 86_400;
