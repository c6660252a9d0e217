/**
 * A link to a node over SSH. The node's daemon is reached through stream-local forwarding to its socket,
 * or, where the server forbids that, through `agency node connect` run with exec. A dropped link is
 * marked down at once and reconnected with backoff; a refused host key is never retried on its own.
 */
import type { Duplex } from 'node:stream';
import { Connection } from '../protocol/connection.js';
import { backoffMs, listeners, type LinkStatus, type NodeLink } from './link.js';
import { SshConnection, SshError, type SshOptions, type SshTarget, DEFAULT_SSH } from './ssh-connect.js';

/** where push installs the agent, relative to the node user's home */
export const AGENT_DIR = '.agency/agent';
export const REMOTE_AGENCY = `"$HOME/${AGENT_DIR}/current/bin/agency"`;
const HELLO_TIMEOUT_MS = 15_000;

export class RemoteLink implements NodeLink {
  readonly name: string;
  private current: LinkStatus;
  private conn: Connection | null = null;
  private ssh: SshConnection | null = null;
  private closing = false;
  /** this node's sshd forbids stream-local forwarding: reach the daemon through exec */
  private noStreamLocal = false;
  private reconnect = false;
  private attempt = 0;
  /** attempts a one-shot link makes before it reports the node down */
  private attemptsLeft = 1;
  private timer: NodeJS.Timeout | null = null;
  private readonly statuses = listeners<LinkStatus>();
  private readonly connections = listeners<Connection>();
  private firstSettled: Promise<LinkStatus>;
  private settle!: (s: LinkStatus) => void;

  constructor(readonly target: SshTarget, private readonly ssh_: SshOptions = DEFAULT_SSH) {
    this.name = target.name;
    this.current = { name: target.name, transport: 'ssh', state: 'connecting', error: null, info: null, since: new Date().toISOString() };
    this.firstSettled = new Promise((r) => (this.settle = r));
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
    return this.firstSettled;
  }

  start(opts: { reconnect: boolean; attempts?: number }): void {
    this.reconnect = opts.reconnect;
    this.attemptsLeft = Math.max(1, opts.attempts ?? 1);
    void this.connect();
  }

  /** The SSH connection, for push (which needs exec and SFTP too). */
  sshConnection(): SshConnection | null {
    return this.ssh;
  }

  close(): void {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.conn?.close();
    this.ssh?.end();
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
      const ssh = await SshConnection.connect(this.target, this.ssh_);
      this.ssh = ssh;
      ssh.onClose((e) => this.dropped(e.message));
      const { stream, transport } = await this.daemonStream(ssh);
      const conn = new Connection(stream, { role: 'cockpit', agent: 'cockpit' });
      const hello = await Promise.race([
        conn.ready,
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error('the node did not answer the hello')), HELLO_TIMEOUT_MS).unref()),
      ]);
      this.conn = conn;
      this.attempt = 0;
      conn.onClose((e) => this.dropped(e?.message ?? 'the node closed the connection'));
      this.set({ state: 'up', transport, error: null, info: hello.node ?? null });
      this.connections.emit(conn);
    } catch (e) {
      const err = e as Error;
      if (err instanceof SshError && err.kind === 'host-key') {
        this.set({ state: 'refused', error: err.message });
        this.ssh?.end();
        return;
      }
      if (err.name === 'ProtocolError' && /protocol version/.test(err.message)) {
        this.set({ state: 'incompatible', error: `node ${this.name}: ${err.message}` });
        this.ssh?.end();
        return;
      }
      this.set({ state: err.name === 'NoAgent' ? 'no-agent' : 'down', error: err.message });
      this.ssh?.end();
      this.retry();
    }
  }

  private dropped(why: string): void {
    if (this.closing || this.current.state !== 'up') return;
    this.conn = null;
    this.set({ state: 'down', error: `node ${this.name}: link lost (${why})` });
    this.ssh?.end();
    this.retry();
  }

  private retry(): void {
    if (this.closing) return;
    if (!this.reconnect) {
      if (--this.attemptsLeft <= 0) return;
    }
    this.timer = setTimeout(() => void this.connect(), backoffMs(this.attempt++));
  }

  /**
   * The daemon's socket: stream-local forwarding, else `agency node connect` over exec. OpenSSH answers a
   * forbidden forwarding and a missing socket alike ("open failed"), so a failure first starts the daemon
   * (nothing happens if it runs) and tries again; a second failure means forwarding is forbidden here,
   * and this link uses exec from then on.
   */
  private async daemonStream(ssh: SshConnection): Promise<{ stream: Duplex; transport: 'ssh' | 'ssh-exec' }> {
    if (!this.noStreamLocal) {
      const home = (await ssh.exec('printf %s "$HOME"', { timeoutMs: 10_000 })).stdout.trim();
      const socket = `${home}/.agency/run/node.sock`;
      try {
        return { stream: await ssh.streamLocal(socket), transport: 'ssh' };
      } catch {
        await this.startDaemon(ssh);
        try {
          return { stream: await ssh.streamLocal(socket), transport: 'ssh' };
        } catch {
          this.noStreamLocal = true;
        }
      }
    }
    const ch = await ssh.execStream(`node ${REMOTE_AGENCY} node connect`);
    let stderr = '';
    ch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    ch.once('exit', (code: number | null) => {
      if (code === 127 || /Cannot find module|No such file|not found/.test(stderr)) ch.emit('error', noAgent(this.name, stderr));
    });
    return { stream: ch, transport: 'ssh-exec' };
  }

  private async startDaemon(ssh: SshConnection): Promise<void> {
    const r = await ssh.exec(`node ${REMOTE_AGENCY} node start`, { timeoutMs: 45_000 });
    if (r.code === 0) return;
    if (r.code === 127 || /Cannot find module|No such file|not found/.test(r.stderr)) throw noAgent(this.name, r.stderr);
    throw new Error(`node ${this.name}: the node daemon did not start: ${r.stderr.trim().split('\n').pop()}`);
  }
}

function noAgent(name: string, stderr: string): Error {
  const e = new Error(`node ${name} has no agency agent${/node: (command )?not found/.test(stderr) ? ' (and no node on its PATH)' : ''}: run \`agency push --node ${name}\``);
  e.name = 'NoAgent';
  return e;
}
