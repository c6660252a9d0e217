/**
 * agency's MCP server as Claude Code runs it: the built program started as `node mcp.cjs <socket> <session>
 * <token>`, spoken to over stdio by the MCP SDK's own client, in front of a real node server on a Unix socket.
 * What the node answers is asked of it directly too, over a connection of the session's own, and the two must
 * agree: the tool is the op, with the op's args.
 */
import { connect, type Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agencyMcpServer } from '../../src/dispatch/mcp-server.js';
import { mcpServerPath } from '../../src/paths/package.js';
import { Connection, RemoteError } from '../../src/protocol/connection.js';
import type { WaitResult, WorkerStatusResult } from '../../src/protocol/messages.js';
import type { Op } from '../../src/protocol/ops.js';
import { deferAfterEach } from '../helpers/defer.js';
import { offlineNode, type OfflineNode } from '../helpers/node-server.js';
import { until } from '../helpers/until.js';

const SESSION = 's-5e55';
const OTHER = 's-07e4';
const defer = deferAfterEach();

let node: OfflineNode;
/** the node's connections, so that a test can cut them */
let sockets: Socket[];
beforeEach(async () => {
  node = offlineNode('agency-mcp-');
  sockets = [];
  node.server.on('connection', (s: Socket) => sockets.push(s));
  await node.listen();
});
afterEach(async () => {
  for (const s of sockets) s.destroy();
  await node.close();
});

/** The built server, started as a session's .mcp.json starts it, and an MCP client on its stdio. */
async function started(args: string[]): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [mcpServerPath(), ...args],
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '' },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(transport);
  defer(() => client.close());
  return { client, stderr: () => stderr };
}

const forSession = (session = SESSION, token = node.tokens.token(session)) =>
  started([node.paths.socket, session, token]);

/** What the node answers the op, asked directly on a connection of the session's own. */
async function nodeAnswer(op: Op, args: Record<string, unknown>): Promise<{ text: string; isError: boolean }> {
  const conn = new Connection(connect(node.paths.socket), {
    role: 'hook',
    agent: 'test',
    session: SESSION,
    token: node.tokens.token(SESSION),
  });
  await conn.ready;
  try {
    const result = await (conn.request as (op: Op, args: unknown) => Promise<unknown>)(op, {
      session: SESSION,
      ...args,
    });
    return { text: JSON.stringify(result), isError: false };
  } catch (e) {
    if (!(e instanceof RemoteError)) throw e;
    return { text: e.message, isError: true };
  } finally {
    conn.close();
  }
}

type ToolResult = { content: { type: string; text: string }[]; isError?: boolean };
async function callTool(client: Client, name: string, args: Record<string, unknown>) {
  const r = (await client.callTool({ name, arguments: args })) as ToolResult;
  return { text: r.content.map((c) => c.text).join(''), isError: r.isError === true };
}

describe("agency's MCP server", () => {
  it('lists the four tools, with the input schemas of DESIGN.md §9 and descriptions that teach the contract', async () => {
    const { client } = await forSession();
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual(['merge_workers', 'spawn_workers', 'wait_workers', 'worker_status']);
    const runOnly = {
      type: 'object',
      properties: { run: { type: 'string' } },
      required: ['run'],
      additionalProperties: false,
    };
    expect(byName.spawn_workers!.inputSchema).toEqual({
      type: 'object',
      properties: {
        workers: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              prompt: { type: 'string' },
              model: { type: 'string', enum: ['haiku', 'sonnet', 'opus'] },
              write: { type: 'boolean' },
              discipline: { type: 'string' },
              group: { type: 'string' },
            },
            required: ['id', 'prompt'],
            additionalProperties: false,
          },
        },
        coordinate: { type: 'boolean' },
      },
      required: ['workers'],
      additionalProperties: false,
    });
    expect(byName.wait_workers!.inputSchema).toEqual({
      type: 'object',
      properties: { run: { type: 'string' }, timeout_s: { type: 'integer', minimum: 0, maximum: 86_400 } },
      required: ['run'],
      additionalProperties: false,
    });
    expect(byName.worker_status!.inputSchema).toEqual(runOnly);
    expect(byName.merge_workers!.inputSchema).toEqual(runOnly);
    const spawn = byName.spawn_workers!.description!;
    for (const part of [
      'result file',
      'one sentence',
      'haiku by default',
      'write: true',
      'merge_workers',
      'coordinate',
    ])
      expect(spawn).toContain(part);
    // every request of the manager carries these: they stay short
    const all = tools.map((t) => JSON.stringify(t)).join('');
    expect(all.length).toBeLessThan(2600);
  });

  it('carries each tool to its op for its own session, and the node answer back as it is', async () => {
    const { client } = await forSession();
    const cases: [string, Record<string, unknown>, Op, Record<string, unknown>][] = [
      [
        'spawn_workers',
        { workers: [{ id: 'scan-1', prompt: 'list the TODOs in src', discipline: 'no-such-discipline' }] },
        'spawn-workers',
        { workers: [{ id: 'scan-1', prompt: 'list the TODOs in src', discipline: 'no-such-discipline' }] },
      ],
      ['wait_workers', { run: 'r-1', timeout_s: 5 }, 'wait-workers', { run: 'r-1', timeoutS: 5 }],
      ['worker_status', { run: 'r-1' }, 'worker-status', { run: 'r-1' }],
      ['merge_workers', { run: 'r-1' }, 'merge-workers', { run: 'r-1' }],
    ];
    for (const [tool, args, op, opArgs] of cases) {
      const direct = await nodeAnswer(op, opArgs);
      expect(await callTool(client, tool, args), tool).toEqual(direct);
    }
    // the node's refusal is what the manager reads
    expect(await callTool(client, 'worker_status', { run: 'r-1' })).toEqual({
      text: `no run "r-1" of session ${SESSION} on node ${node.info.name}`,
      isError: true,
    });
  });

  it("names the node's objections to the arguments in the tool's own terms", async () => {
    const { client } = await forSession();
    expect(await callTool(client, 'wait_workers', { run: 'r-1', timeout_s: 'soon' })).toEqual({
      text: 'timeout_s: expected a number, got a string',
      isError: true,
    });
    expect(await callTool(client, 'spawn_workers', { workers: [] })).toEqual({
      text: 'workers: no workers to spawn',
      isError: true,
    });
    expect(await callTool(client, 'worker_status', { run: 'run one' })).toEqual({
      text: 'run: not a run id (they look like r-1a2b3c)',
      isError: true,
    });
    // the session is always this server's: a call cannot name another
    expect(await callTool(client, 'worker_status', { run: 'r-1', session: OTHER })).toEqual(
      await nodeAnswer('worker-status', { run: 'r-1' }),
    );
    expect(await callTool(client, 'status', {})).toEqual({
      text: 'no tool "status" here; the tools are spawn_workers, wait_workers, worker_status, merge_workers',
      isError: true,
    });
  });

  it("is refused by the node with another session's token, or for another session", async () => {
    const stolen = await forSession(SESSION, node.tokens.token(OTHER));
    expect(await callTool(stolen.client, 'worker_status', { run: 'r-1' })).toEqual({
      text: `a hook connection for session "${SESSION}" whose token does not hold may not ask this node for worker-status; only a session's hook program may`,
      isError: true,
    });
    const other = await forSession(OTHER, node.tokens.token(SESSION));
    expect(await callTool(other.client, 'spawn_workers', { workers: [{ id: 'a', prompt: 'x' }] })).toEqual({
      text: `a hook connection for session "${OTHER}" whose token does not hold may not ask this node for spawn-workers; only a session's hook program may`,
      isError: true,
    });
  });

  it('connects again once when the node dropped it, and says clearly when the node is gone', async () => {
    const { client } = await forSession();
    const refused = await callTool(client, 'worker_status', { run: 'r-1' });
    expect(refused.isError).toBe(true);
    expect(sockets.length).toBe(1);
    // the node drops every connection (as a restarting daemon does): the next call opens a new one
    for (const s of sockets) s.destroy();
    expect(await callTool(client, 'worker_status', { run: 'r-1' })).toEqual(refused);
    expect(sockets.length).toBe(2);
    // the node goes away
    await new Promise<void>((r) => {
      node.server.close(() => r());
      for (const s of sockets) s.destroy();
    });
    expect(await callTool(client, 'worker_status', { run: 'r-1' })).toEqual({
      text: `agency: cannot reach this session's node at ${node.paths.socket} (no socket there); is the node running? (agency node status)`,
      isError: true,
    });
    await node.listen(); // for afterEach
  });

  it('starts with no node at all, lists its tools, and answers calls with the reason', async () => {
    const { client } = await started(['/nonexistent/node.sock', SESSION, node.tokens.token(SESSION)]);
    expect((await client.listTools()).tools).toHaveLength(4);
    expect(await callTool(client, 'merge_workers', { run: 'r-1' })).toEqual({
      text: "agency: cannot reach this session's node at /nonexistent/node.sock (no socket there); is the node running? (agency node status)",
      isError: true,
    });
  });

  it('refuses to start without its socket, session and token', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [mcpServerPath(), node.paths.socket], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'agency mcp: started without its node socket, session and token; a session the node runs has them in its .mcp.json\n',
    );
  });
});

describe('a long wait', () => {
  it('tells the client how far it is while the node waits, then gives the wait result as compact JSON', async () => {
    // the node's dispatcher answers this run's wait only when the test lets it, and counts its workers
    let release!: (r: WaitResult) => void;
    node.workers.wait = (args) => {
      expect(args).toEqual({ session: SESSION, run: 'r-7', timeoutS: 30 });
      return new Promise((r) => (release = r));
    };
    const states = { queued: 0, running: 2, done: 1, failed: 0, stopped: 0 };
    node.workers.status = (args): WorkerStatusResult => ({
      run: args.run,
      states,
      models: { haiku: states, sonnet: { ...states, running: 0, done: 0 }, opus: { ...states, running: 0, done: 0 } },
    });
    const { server } = agencyMcpServer(
      { socket: node.paths.socket, session: SESSION, token: node.tokens.token(SESSION) },
      { version: 'test', progressMs: 50 },
    );
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    defer(() => server.close());
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(b);
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const call = client.callTool({ name: 'wait_workers', arguments: { run: 'r-7', timeout_s: 30 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    await until('two progress notifications', () => progress.length >= 2);
    expect(progress[0]).toEqual({ progress: expect.any(Number), total: 30, message: '1 of 3 workers ended' });
    expect(progress[1]!.progress).toBeGreaterThan(progress[0]!.progress);
    const result: WaitResult = {
      run: 'r-7',
      done: 2,
      failed: 1,
      pending: 0,
      summaries: [{ group: 'default', text: 'Found 3 TODOs; details in the result file.' }],
    };
    release(result);
    expect(await call).toEqual({ content: [{ type: 'text', text: JSON.stringify(result) }] });
  });
});
