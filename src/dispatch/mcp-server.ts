/**
 * agency's MCP server: how a session (the manager) fans work out to workers. Claude Code starts it from the
 * session's `.mcp.json` as `node mcp.cjs <node socket> <session> <token>` (nothing from the environment,
 * which the session's commands share) and speaks MCP to it over stdio. Each tool call becomes the matching
 * op on the session's node (mcp-tools.ts), over a connection with the session's token: the node acts for
 * this session only. A node's refusal is the tool's error, in the node's words.
 *
 * Long waits, as Claude Code 2.1.197 does them (read in its code and tried with the real CLI):
 * - It times a tool call out after the server's `timeout` in `.mcp.json` (ms, 1000 or more), else
 *   MCP_TOOL_TIMEOUT (ms), else 100,000,000 ms (about 28 hours). This is a hard limit from the start of the
 *   call: progress notifications do not extend it. So the compiled entry sets a `timeout` above the longest
 *   wait a session may ask for (MAX_WAIT_S), whatever MCP_TOOL_TIMEOUT the node's environment has; the
 *   session's environment leaves MCP_TOOL_TIMEOUT alone, which would change the discipline's servers too.
 *   (Tried: MCP_TOOL_TIMEOUT=3000 cut a 6 s call at 3 s, progress every 0.5 s or not; a `timeout` of
 *   10000 let it finish; with neither, a 65 s call finished.)
 * - It applies an idle timeout (no answer and no progress for CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT, default
 *   5 minutes) only to http, sse and ws servers, not to stdio ones like this (tried: an idle timeout of
 *   2 s left a silent 35 s call alone).
 * - It asks every call for progress (a progressToken in `_meta`) and shows the notifications as the call's
 *   progress. A wait sends one every PROGRESS_MS, with how many of the run's workers have ended: the
 *   operator watching the session sees the wave move, and a client that does time idle calls out sees it
 *   alive.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type ServerNotification,
} from '@modelcontextprotocol/sdk/types.js';
import type { JsonSchemaValidatorResult, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { AGENCY_MCP_SERVER, AGENCY_MCP_TOOLS, type AgencyMcpTool } from '../protocol/agency-mcp.js';
import { RemoteError } from '../protocol/connection.js';
import { ENDED_WORKER_STATES, type OpResults } from '../protocol/messages.js';
import { isAgencyTool, opArgs, REPEATABLE, toolProblem, TOOLS } from './mcp-tools.js';
import { NodeLink, NodeUnreachable, type NodeTarget } from './node-link.js';

/** How often a wait tells the client it is still waiting. */
export const PROGRESS_MS = 15_000;
/** the node's own default for a wait without timeout_s (protocol/ops.ts wait-workers) */
const DEFAULT_WAIT_S = 600;

const text = (t: string, isError = false): CallToolResult => ({
  content: [{ type: 'text', text: t }],
  ...(isError ? { isError } : {}),
});

export interface McpServerOptions {
  /** agency's version, as the server tells its client */
  version: string;
  /** how often a wait tells the client it is still waiting (PROGRESS_MS) */
  progressMs?: number;
}

/** The server for one session, on any transport (stdio in a session; tests may link it to a client in memory). */
export function agencyMcpServer(target: NodeTarget, o: McpServerOptions): { server: Server; link: NodeLink } {
  const { version, progressMs = PROGRESS_MS } = o;
  const link = new NodeLink(target);
  const server = new Server(
    { name: AGENCY_MCP_SERVER, version },
    // no schema validator: this server validates nothing itself (the node checks every op's args)
    { capabilities: { tools: {} }, jsonSchemaValidator: noValidator },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...TOOLS] }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const { name, arguments: args } = req.params;
    if (!isAgencyTool(name))
      return text(
        `no tool ${JSON.stringify(name)} here; the tools are ${Object.keys(AGENCY_MCP_TOOLS).join(', ')}`,
        true,
      );
    const token = req.params._meta?.progressToken;
    const progress =
      name === 'wait_workers' && token !== undefined
        ? waitProgress(link, target.session, args, (n) => extra.sendNotification(n), token, progressMs)
        : null;
    try {
      const result = await call(link, name, args, target.session);
      return text(JSON.stringify(result));
    } catch (e) {
      if (e instanceof RemoteError) return text(e.code === 'bad-request' ? toolProblem(e.message) : e.message, true);
      if (e instanceof NodeUnreachable) return text(e.message, true);
      throw e;
    } finally {
      progress?.stop();
    }
  });
  return { server, link };
}

function call(link: NodeLink, tool: AgencyMcpTool, args: Record<string, unknown> | undefined, session: string) {
  const op = AGENCY_MCP_TOOLS[tool];
  return link.request(op, opArgs(tool, args, session), REPEATABLE.has(op));
}

const noValidator: jsonSchemaValidator = {
  getValidator:
    <T>() =>
    (input: unknown): JsonSchemaValidatorResult<T> => ({ valid: true, data: input as T, errorMessage: undefined }),
};

/**
 * Progress of a wait: seconds waited of the wait's timeout, and how many of the run's workers have ended
 * (from worker-status, while the node answers it).
 */
function waitProgress(
  link: NodeLink,
  session: string,
  args: Record<string, unknown> | undefined,
  send: (n: ServerNotification) => Promise<void>,
  progressToken: string | number,
  every: number,
): { stop(): void } {
  const started = Date.now();
  let stopped = false;
  const timeout = typeof args?.timeout_s === 'number' ? args.timeout_s : DEFAULT_WAIT_S;
  const run = args?.run;
  const tick = async () => {
    let message: string | undefined;
    try {
      if (typeof run === 'string') message = endedOf(await link.request('worker-status', { session, run }, true));
    } catch {
      // the wait itself reports what is wrong
    }
    const progress = (Date.now() - started) / 1000;
    if (stopped) return;
    await send({
      method: 'notifications/progress',
      params: { progressToken, progress, total: timeout, ...(message ? { message } : {}) },
    }).catch(() => undefined);
  };
  const timer = setInterval(() => void tick(), every);
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

function endedOf(s: OpResults['worker-status']): string {
  const counts = Object.entries(s.states);
  const all = counts.reduce((n, [, c]) => n + c, 0);
  const ended = counts.reduce((n, [state, c]) => n + (ENDED_WORKER_STATES.includes(state as never) ? c : 0), 0);
  return `${ended} of ${all} workers ended`;
}

/** Serves one session on stdio until Claude Code closes it. */
export async function serveStdio(target: NodeTarget, version: string): Promise<void> {
  const { server, link } = agencyMcpServer(target, { version });
  const transport = new StdioServerTransport();
  const end = () => {
    link.close();
    process.exit(0);
  };
  process.stdin.on('end', end);
  transport.onclose = end;
  await server.connect(transport);
}
