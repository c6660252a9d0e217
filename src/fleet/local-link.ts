/** The link to the node on this machine, through its Unix socket (started on demand if asked). */
import type { Connection } from '../protocol/connection.js';
import { backoffMs, listeners, type LinkStatus, type NodeLink } from './link.js';
import { connectLocal } from './local.js';

export class LocalLink implements NodeLink {
  private current: LinkStatus;
  private conn: Connection | null = null;
  private closing = false;
  private reconnect = false;
  private attempt = 0;
  /** attempts a one-shot link makes before it reports the node down */
  private attemptsLeft = 1;
  private timer: NodeJS.Timeout | null = null;
  private readonly statuses = listeners<LinkStatus>();
  private readonly connections = listeners<Connection>();
  private readonly first: Promise<LinkStatus>;
  private settle!: (s: LinkStatus) => void;

  constructor(readonly name: string, private readonly startDaemon: boolean) {
    this.current = { name, transport: 'local', state: 'connecting', error: null, info: null, since: new Date().toISOString() };
    this.first = new Promise((r) => (this.settle = r));
  }

  status(): LinkStatus {
    return { ...this.current };
  }
  connection(): Connection | null {
    return this.conn;
  }
  onStatus(f: (s: LinkStatus) => void) {
    return this.statuses.add(f);
  }
  onConnection(f: (c: Connection) => void) {
    return this.connections.add(f);
  }
  settled(): Promise<LinkStatus> {
    return this.first;
  }

  start(opts: { reconnect: boolean; attempts?: number }): void {
    this.reconnect = opts.reconnect;
    this.attemptsLeft = Math.max(1, opts.attempts ?? 1);
    void this.connect();
  }

  close(): void {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.conn?.close();
  }

  private set(patch: Partial<LinkStatus>): void {
    const next = { ...this.current, ...patch };
    if (next.state !== this.current.state) next.since = new Date().toISOString();
    this.current = next;
    this.statuses.emit(this.status());
    if (next.state === 'up' || next.state === 'refused' || next.state === 'incompatible' || (!this.reconnect && this.attemptsLeft <= 1 && next.state !== 'connecting'))
      this.settle(this.status());
    else if (this.reconnect && next.state !== 'connecting') this.settle(this.status());
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    this.set({ state: 'connecting' });
    try {
      const conn = await connectLocal({ start: this.startDaemon });
      const hello = await conn.ready;
      this.conn = conn;
      this.attempt = 0;
      conn.onClose((e) => {
        if (this.closing) return;
        this.conn = null;
        this.set({ state: 'down', error: e?.message ?? 'the node closed the connection' });
        this.retry();
      });
      this.set({ state: 'up', error: null, info: hello.node ?? null });
      this.connections.emit(conn);
    } catch (e) {
      this.set({ state: (e as Error).name === 'ProtocolError' ? 'incompatible' : 'down', error: (e as Error).message });
      this.retry();
    }
  }

  private retry(): void {
    if (this.closing) return;
    if (!this.reconnect) {
      if (--this.attemptsLeft <= 0) return;
    }
    this.timer = setTimeout(() => void this.connect(), backoffMs(this.attempt++));
  }
}
