/** A cockpit's link to one node: its state for the operator, and the protocol connection while it is up. */
import type { Connection } from '../protocol/connection.js';
import { Emitter, type Disposable } from '../protocol/events.js';
import type { NodeInfo } from '../protocol/messages.js';

export type LinkState = 'connecting' | 'up' | 'down' | 'refused' | 'no-agent' | 'incompatible';
export type Transport = 'local' | 'ssh' | 'ssh-exec';

export interface LinkStatus {
  name: string;
  transport: Transport;
  state: LinkState;
  /** why it is not up, one line */
  error: string | null;
  info: NodeInfo | null;
  since: string;
}

export interface NodeLink {
  readonly name: string;
  status(): LinkStatus;
  connection(): Connection | null;
  /** every change of state */
  onStatus(f: (s: LinkStatus) => void): Disposable;
  /** each time a connection comes up (first time and after every reconnect) */
  onConnection(f: (c: Connection) => void): Disposable;
  /** starts connecting; keeps reconnecting after a drop if asked, else tries `attempts` times */
  start(opts: { reconnect: boolean; attempts?: number }): void;
  /** resolves once the first attempt has settled (up, or down for good) */
  settled(): Promise<LinkStatus>;
  close(): void;
}

/** Exponential backoff with jitter, capped. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 15_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/**
 * A failure that retrying will not mend: the link stays in this state until told otherwise ('down' for a
 * node that cannot be reached as configured).
 */
export class FinalLinkError extends Error {
  constructor(
    readonly state: 'refused' | 'incompatible' | 'down',
    message: string,
  ) {
    super(message);
    this.name = 'FinalLinkError';
  }
}

/**
 * The state machine every link shares: connecting → up → down → (backoff) → connecting …; a one-shot
 * link makes a few attempts and then settles. Subclasses only open a connection.
 */
export abstract class LinkBase implements NodeLink {
  private current: LinkStatus;
  private conn: Connection | null = null;
  protected closing = false;
  private reconnect = false;
  private attempt = 0;
  private attemptsLeft = 1;
  private timer: NodeJS.Timeout | null = null;
  private readonly statuses = new Emitter<LinkStatus>();
  private readonly connections = new Emitter<Connection>();
  private readonly first: Promise<LinkStatus>;
  private settle!: (s: LinkStatus) => void;

  constructor(
    readonly name: string,
    transport: Transport,
  ) {
    this.current = { name, transport, state: 'connecting', error: null, info: null, since: new Date().toISOString() };
    this.first = new Promise((r) => (this.settle = r));
  }

  /** Opens a connection and waits for the node's hello; throws FinalLinkError, or anything to retry. */
  protected abstract open(): Promise<{ conn: Connection; transport: Transport; info: NodeInfo | null }>;
  /** Releases what a failed or dropped attempt holds (an SSH connection, say). */
  protected abstract release(): void;

  status(): LinkStatus {
    return { ...this.current };
  }
  connection(): Connection | null {
    return this.conn;
  }
  onStatus(f: (s: LinkStatus) => void) {
    return this.statuses.on(f);
  }
  onConnection(f: (c: Connection) => void) {
    return this.connections.on(f);
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
    this.release();
  }

  private set(patch: Partial<LinkStatus>): void {
    const next = { ...this.current, ...patch };
    if (next.state !== this.current.state) next.since = new Date().toISOString();
    this.current = next;
    this.statuses.emit(this.status());
    const final = next.state === 'up' || next.state === 'refused' || next.state === 'incompatible';
    const lastTry = !this.reconnect && this.attemptsLeft <= 1;
    if (next.state !== 'connecting' && (final || this.reconnect || lastTry)) this.settle(this.status());
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    this.set({ state: 'connecting' });
    try {
      const { conn, transport, info } = await this.open();
      this.conn = conn;
      this.attempt = 0;
      conn.onClose((e) => this.dropped(e?.message ?? 'the node closed the connection'));
      // a node given an organisation says so: the link shows it from then on, also once it drops
      conn.onEvent((e) => {
        if (e.kind === 'node-info' && this.conn === conn) this.set({ info: e.info });
      });
      this.set({ state: 'up', transport, error: null, info });
      this.connections.emit(conn);
    } catch (e) {
      this.release();
      if (e instanceof FinalLinkError) {
        this.set({ state: e.state, error: e.message });
        this.settle(this.status());
        return;
      }
      this.set({ state: (e as Error).name === 'NoAgent' ? 'no-agent' : 'down', error: (e as Error).message });
      this.retry();
    }
  }

  /** A link that was up has gone: marked down at once, and reconnected if it keeps reconnecting. */
  protected dropped(why: string): void {
    if (this.closing || this.current.state !== 'up') return;
    this.conn = null;
    this.set({ state: 'down', error: `node ${this.name}: link lost (${why})` });
    this.release();
    this.retry();
  }

  private retry(): void {
    if (this.closing) return;
    if (!this.reconnect && --this.attemptsLeft <= 0) return;
    this.timer = setTimeout(() => void this.connect(), backoffMs(this.attempt++));
  }
}
