/**
 * agency's own MCP server in a compiled worktree: in a session the node runs, `.mcp.json` gets the server
 * `agency` (its tools fan work out to workers, DESIGN.md §9) and the local settings approve it and allow its
 * tools, so the manager is never asked about either. A plain `agency compile` has no node, so no server.
 */
import { AGENCY_MCP_SERVER, AGENCY_MCP_TOOL_NAMES, agencyToolName, MAX_WAIT_S } from '../protocol/agency-mcp.js';
import type { McpServer } from '../registry/index.js';
import type { HookPrograms } from './settings.js';

/**
 * How long Claude Code lets one of its calls run (ms): above the longest wait_workers, with a minute to
 * spare. Claude Code 2.1.197 takes a server's `timeout` over MCP_TOOL_TIMEOUT, so a node whose environment
 * sets that low for other servers does not cut a session's waits short (dispatch/mcp-server.ts has the rest).
 */
export const AGENCY_MCP_TIMEOUT_MS = (MAX_WAIT_S + 60) * 1000;

/**
 * The server's `.mcp.json` entry, or null outside a node's session. Its command line names the node's socket,
 * the session and its token, as the lifecycle hook's does, and NODE_OPTIONS and NODE_EXTRA_CA_CERTS are
 * cleared for it as for the hooks. `alwaysLoad`: its four tools are always in the manager's prompt, never
 * behind tool search, and the first turn waits for the server to be up (it starts in about a tenth of a second).
 */
export function agencyMcpEntry(p: HookPrograms): McpServer | null {
  if (!p.mcp || !p.session) return null;
  const { socket, id, token } = p.session;
  return {
    type: 'stdio',
    command: p.node,
    args: [p.mcp, socket, id, token],
    env: { NODE_OPTIONS: '', NODE_EXTRA_CA_CERTS: '' },
    timeout: AGENCY_MCP_TIMEOUT_MS,
    alwaysLoad: true,
  };
}

/** What the local settings add for the server: its approval and its tools, allowed. */
export function agencyMcpApprovals(p: HookPrograms): { servers: string[]; allow: string[] } {
  if (!agencyMcpEntry(p)) return { servers: [], allow: [] };
  return { servers: [AGENCY_MCP_SERVER], allow: AGENCY_MCP_TOOL_NAMES.map(agencyToolName) };
}
