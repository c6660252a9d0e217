/**
 * The cockpit's view of its nodes, for commands: for now the local node only. Every command a user gives
 * goes through here to a node, as a protocol request.
 */
import { connectLocal } from '../fleet/local.js';
import type { Connection } from '../protocol/connection.js';
import type { Decision, NodeEvent, Op, OpArgs, OpResults, SessionSummary, Snapshot } from '../protocol/messages.js';

export class Cockpit {
  private constructor(private readonly conn: Connection) {}

  /** Connects to the local node; `start` starts one if none is running. */
  static async open(opts: { start?: boolean } = {}): Promise<Cockpit> {
    return new Cockpit(await connectLocal({ start: opts.start ?? false }));
  }

  request<O extends Op>(op: O, args: OpArgs[O]): Promise<OpResults[O]> {
    return this.conn.request(op, args);
  }

  status(): Promise<Snapshot> {
    return this.conn.request('status', {});
  }

  /** The state now, then every change, until the returned function is called. */
  async watch(f: (e: NodeEvent) => void): Promise<Snapshot> {
    this.conn.onEvent(f);
    return this.conn.request('watch', {});
  }

  onClose(f: (err: Error | undefined) => void): void {
    this.conn.onClose(f);
  }

  async session(id: string): Promise<SessionSummary | undefined> {
    return (await this.status()).sessions.find((s) => s.id === id);
  }

  async decision(id: string): Promise<Decision | undefined> {
    return (await this.status()).decisions.find((d) => d.id === id);
  }

  close(): void {
    this.conn.close();
  }
}
