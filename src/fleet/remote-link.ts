/**
 * A link to a node over SSH. The node's daemon is reached through stream-local forwarding to its socket,
 * or, where the server forbids that, through `agency node connect` run with exec. A dropped link is
 * marked down at once and reconnected with backoff; a refused host key is never retried on its own.
 */
import type { Duplex } from 'node:stream';
import { Connection } from '../protocol/connection.js';
import { FinalLinkError, LinkBase } from './link.js';
import { SshConnection, SshError, type SshOptions, type SshTarget, DEFAULT_SSH } from './ssh-connect.js';

/** where push installs the agent, relative to the node user's home */
export const AGENT_DIR = '.agency/agent';
/** the launcher `agency push` writes beside the builds: runs `current` on the Node the node uses */
export const AGENT_LAUNCHER = `${AGENT_DIR}/agency`;

/**
 * A shell command that runs `agency <args>` on a node: through the launcher, or, where an agent was pushed
 * before there was one, on the node's own `node`.
 */
export function remoteAgency(args: string): string {
  return `a="$HOME/${AGENT_DIR}"; if [ -x "$a/agency" ]; then exec "$a/agency" ${args}; else exec node "$a/current/bin/agency" ${args}; fi`;
}
const HELLO_TIMEOUT_MS = 15_000;

export class RemoteLink extends LinkBase {
  private ssh: SshConnection | null = null;
  /** this node's sshd forbids stream-local forwarding: reach the daemon through exec */
  private noStreamLocal = false;

  constructor(
    readonly target: SshTarget,
    private readonly sshOptions: SshOptions = DEFAULT_SSH,
  ) {
    super(target.name, 'ssh');
  }

  /** The SSH connection, for measurements (bytes on the wire). */
  sshConnection(): SshConnection | null {
    return this.ssh;
  }

  protected async open() {
    let ssh: SshConnection;
    try {
      ssh = await SshConnection.connect(this.target, this.sshOptions);
    } catch (e) {
      if (e instanceof SshError && e.kind === 'host-key') throw new FinalLinkError('refused', e.message);
      throw e;
    }
    this.ssh = ssh;
    ssh.onClose((e) => this.dropped(e.message));
    const { stream, transport } = await this.daemonStream(ssh);
    const conn = new Connection(stream, { role: 'cockpit', agent: 'cockpit' });
    try {
      const hello = await Promise.race([
        conn.ready,
        new Promise<never>((_, rej) =>
          setTimeout(() => rej(new Error('the node did not answer the hello')), HELLO_TIMEOUT_MS).unref(),
        ),
      ]);
      return { conn, transport, info: hello.node ?? null };
    } catch (e) {
      const err = e as Error;
      if (err.name === 'ProtocolError' && /protocol version/.test(err.message))
        throw new FinalLinkError('incompatible', `node ${this.name}: ${err.message}`);
      throw err;
    }
  }

  protected release(): void {
    this.ssh?.end();
    this.ssh = null;
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
    const ch = await ssh.execStream(remoteAgency('node connect'));
    let stderr = '';
    ch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    ch.once('exit', (code: number | null) => {
      if (code === 127 || /Cannot find module|No such file|not found/.test(stderr))
        ch.emit('error', noAgent(this.name, stderr));
    });
    return { stream: ch, transport: 'ssh-exec' };
  }

  private async startDaemon(ssh: SshConnection): Promise<void> {
    const r = await ssh.exec(remoteAgency('node start'), { timeoutMs: 45_000 });
    if (r.code === 0) return;
    if (r.code === 127 || /Cannot find module|No such file|not found/.test(r.stderr))
      throw noAgent(this.name, r.stderr);
    throw new Error(`node ${this.name}: the node daemon did not start: ${r.stderr.trim().split('\n').pop()}`);
  }
}

function noAgent(name: string, stderr: string): Error {
  const e = new Error(
    `node ${name} has no agency agent${/node: (command )?not found/.test(stderr) ? ' (and no node on its PATH)' : ''}: run \`agency push --node ${name}\``,
  );
  e.name = 'NoAgent';
  return e;
}
