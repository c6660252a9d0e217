/**
 * The MCP server's connection to its session's node: the node's Unix socket, agency's protocol, the role of
 * a session's own program (its session and token in the hello, as the lifecycle hook has them). Opened at
 * the first call and kept; a connection that is lost is opened again once for the call that finds it so,
 * and a call that cannot get one fails with an error that says where the node was looked for.
 */
import { connect } from 'node:net';
import { Connection, RemoteError } from '../protocol/connection.js';
import type { OpResults } from '../protocol/messages.js';
import type { Op, OpArgs } from '../protocol/ops.js';

export interface NodeTarget {
  socket: string;
  session: string;
  token: string;
}

/** The node could not be reached, or the connection was lost during a call. */
export class NodeUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeUnreachable';
  }
}

export class NodeLink {
  private conn: Connection | null = null;
  private opening: Promise<Connection> | null = null;

  constructor(
    private readonly target: NodeTarget,
    private readonly agent = 'agency-mcp',
  ) {}

  /**
   * Asks the node for op. A connection found closed is opened again; one lost while the request was out is
   * opened again and the request sent again only if `retry` (an op that may safely run twice).
   */
  async request<O extends Op>(op: O, args: OpArgs[O], retry: boolean): Promise<OpResults[O]> {
    const conn = await this.connection();
    try {
      return await conn.request(op, args);
    } catch (e) {
      if (e instanceof RemoteError || !retry) throw this.failure(e, conn, op);
      this.drop(conn);
    }
    const again = await this.connection();
    try {
      return await again.request(op, args);
    } catch (e) {
      throw this.failure(e, again, op);
    }
  }

  close(): void {
    this.conn?.close();
    this.conn = null;
  }

  /** The open connection, or a new one: one at a time, however many calls want one at once. */
  private connection(): Promise<Connection> {
    if (this.conn) return Promise.resolve(this.conn);
    return (this.opening ??= this.open().finally(() => (this.opening = null)));
  }

  private async open(): Promise<Connection> {
    const { socket, session, token } = this.target;
    const conn = new Connection(connect(socket), { role: 'hook', agent: this.agent, session, token });
    try {
      await conn.ready;
    } catch (e) {
      throw new NodeUnreachable(
        `agency: cannot reach this session's node at ${socket} (${reason(e as Error)}); is the node running? (agency node status)`,
      );
    }
    conn.onClose(() => this.drop(conn));
    this.conn = conn;
    return conn;
  }

  private drop(conn: Connection): void {
    if (this.conn === conn) this.conn = null;
  }

  /** A refusal of the node as it is; a lost connection as the error that says so. */
  private failure(e: unknown, conn: Connection, op: Op): Error {
    if (e instanceof RemoteError) return e;
    this.drop(conn);
    return new NodeUnreachable(
      `agency: the connection to this session's node at ${this.target.socket} was lost during ${op} ` +
        `(${reason(e as Error)}), so whether the node carried it out is unknown`,
    );
  }
}

/** Why a connection failed, in a few words: the system's error code, or the protocol's message. */
function reason(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no socket there';
  if (code === 'ECONNREFUSED') return 'nothing listens there';
  return code ?? e.message;
}
