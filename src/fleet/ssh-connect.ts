/**
 * One SSH connection to a node, with ssh2: the host key checked against known_hosts before any credential
 * is sent, ssh-agent or key files, keepalive set explicitly, and session channels kept within sshd's
 * per-connection limit (MaxSessions, 10 by default). A node behind jump hosts is reached through a chain of
 * clients, each carried by a channel of the one before it (ssh -J).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { Emitter, type Disposable } from '../protocol/events.js';
import { hostKeyAlgorithmsFor, hostVerifierFor } from './host-verifier.js';

export interface SshTarget {
  name: string;
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  knownHostsFiles: string[];
  /** an alias of ~/.ssh/config the target came from, for messages */
  alias?: string;
  /** ssh's HostKeyAlias: the name its host key is recorded under */
  hostKeyAlias?: string;
  /** jump hosts, first hop first: each reached through the one before it, its own host key checked */
  jump?: SshTarget[];
}

export type RefusalKind = 'host-key' | 'auth' | 'network' | 'protocol';

export class SshError extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
    this.name = 'SshError';
  }
}

export interface SshOptions {
  keepaliveMs: number;
  keepaliveCountMax: number;
  readyTimeoutMs: number;
}

export const DEFAULT_SSH: SshOptions = { keepaliveMs: 5000, keepaliveCountMax: 2, readyTimeoutMs: 15_000 };
/** sshd's MaxSessions defaults to 10; leave room for the daemon's stream */
const MAX_SESSION_CHANNELS = 8;

/** How messages name a hop: `node n2: jump host j1 (10.0.0.2)`, or `node n2` for the node itself. */
function hopLabel(t: SshTarget, hop: SshTarget): string {
  if (hop === t) return `node ${t.name}`;
  const where = hop.port === 22 ? hop.host : `${hop.host}:${hop.port}`;
  return `node ${t.name}: jump host ${hop.name === hop.host ? where : `${hop.name} (${where})`}`;
}

/**
 * One SSH client to one hop, ready (host key checked, authenticated), over `sock` when it is reached
 * through a jump host. Errors are SshErrors whose message starts with `label`.
 */
function connectHop(
  hop: SshTarget,
  label: string,
  o: SshOptions,
  sock: ClientChannel | undefined,
  clients: Client[],
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const keyName = {
      host: hop.host,
      port: hop.port,
      files: hop.knownHostsFiles,
      ...(hop.hostKeyAlias ? { hostKeyAlias: hop.hostKeyAlias } : {}),
    };
    const verifier = hostVerifierFor({ ...keyName, ...(hop.alias ? { alias: hop.alias } : {}) });
    const keys = hop.identityFiles.filter((f) => existsSync(f));
    const config: ConnectConfig = {
      host: hop.host,
      port: hop.port,
      username: hop.user,
      keepaliveInterval: o.keepaliveMs,
      keepaliveCountMax: o.keepaliveCountMax,
      readyTimeout: o.readyTimeoutMs,
      hostVerifier: verifier.verify,
      // ask first for the key types known_hosts holds for this host (ssh2 would ask for ed25519 first)
      algorithms: { serverHostKey: hostKeyAlgorithmsFor(keyName) },
      ...(process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
      ...(keys.length > 0 ? { privateKey: readFileSync(keys[0]!) } : {}),
      ...(sock ? { sock } : {}),
    };
    if (!config.agent && !config.privateKey) {
      reject(
        new SshError(
          'auth',
          `${label}: no ssh-agent (SSH_AUTH_SOCK) and no key file (looked for ${hop.identityFiles.join(', ') || 'none'})`,
        ),
      );
      return;
    }
    clients.push(client);
    let settled = false;
    client.once('ready', () => {
      settled = true;
      resolve(client);
    });
    // `on`, not `once`: a handshake that timed out is followed by a second error ("Connection lost before
    // handshake"), which must not go unheard (it would end the process)
    client.on('error', (e: Error & { level?: string }) => {
      if (settled) return;
      settled = true;
      const v = verifier.verdict();
      if (v && !v.ok) reject(new SshError('host-key', `${label}: ${v.message}`));
      else if (e.level === 'client-authentication')
        reject(
          new SshError(
            'auth',
            `${label}: ${hop.user}@${hop.host} refused every key offered (ssh-agent and ${keys.join(', ') || 'no key file'})`,
          ),
        );
      else reject(new SshError('network', `${label}: cannot reach ${hop.host}:${hop.port}: ${e.message}`));
    });
    // a jump host that goes away closes the channel under this client before it was ready
    client.on('close', () => {
      if (settled) return;
      settled = true;
      reject(new SshError('network', `${label}: cannot reach ${hop.host}:${hop.port}: the connection closed`));
    });
    client.connect(config);
    // requests and answers are small writes each waiting on the last: Nagle's algorithm and the peer's
    // delayed ACK would hold each one back some 40 ms
    client.setNoDelay(true);
  });
}

/** A channel from `via` to `to`'s address (ssh -W), to carry the next hop's connection. */
function forward(via: Client, viaLabel: string, to: SshTarget): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, to.host, to.port, (err, ch) => {
      if (err)
        reject(new SshError('network', `${viaLabel}: cannot reach ${to.host}:${to.port} through it: ${err.message}`));
      else resolve(ch);
    });
  });
}

export class SshConnection {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private closedWith: Error | null = null;
  private readonly closes = new Emitter<Error>();

  private constructor(
    readonly target: SshTarget,
    readonly client: Client,
    /** the jump hosts' clients, first hop first */
    private readonly jumps: Client[] = [],
  ) {
    const closed = (e: Error) => {
      if (this.closedWith) return;
      this.closedWith = e;
      this.end();
      this.closes.emit(e);
    };
    // with jump hosts, the node's connection closing may be the first sign of a jump host's: a moment later,
    // that jump host's own close or error has been seen, and is what is said
    const own = (e: Error) => (jumps.length ? setImmediate(() => closed(e)) : closed(e));
    client.on('error', own);
    client.on('close', () => own(new Error('the SSH connection closed')));
    // losing any jump host loses the node: the whole chain is closed and its owner told
    (target.jump ?? []).forEach((hop, i) => {
      const c = jumps[i]!;
      const label = hopLabel(target, hop);
      c.on('error', (e) => closed(new Error(`${label}: ${e.message}`)));
      c.on('close', () => closed(new Error(`${label}: the SSH connection closed`)));
    });
  }

  /**
   * Connects to the target, through its jump hosts when it has some: each hop's host key is checked
   * before any credential is sent to it, and each authenticates with its own identity.
   */
  static async connect(t: SshTarget, o: SshOptions = DEFAULT_SSH): Promise<SshConnection> {
    const hops = t.jump ?? [];
    const clients: Client[] = [];
    try {
      let sock: ClientChannel | undefined;
      for (const [i, hop] of hops.entries()) {
        const c = await connectHop(hop, hopLabel(t, hop), o, sock, clients);
        sock = await forward(c, hopLabel(t, hop), hops[i + 1] ?? t);
      }
      const client = await connectHop(t, hopLabel(t, t), o, sock, clients);
      return new SshConnection(t, client, clients.slice(0, hops.length));
    } catch (e) {
      for (const c of clients.reverse()) c.end();
      throw e;
    }
  }

  get closed(): Error | null {
    return this.closedWith;
  }

  onClose(f: (e: Error) => void): Disposable {
    return this.closes.on(f);
  }

  /** Runs a command; resolves with its exit code and output. */
  async exec(
    command: string,
    opts: { stdin?: Buffer | string; timeoutMs?: number } = {},
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const release = await this.slot();
    try {
      return await new Promise((resolve, reject) => {
        this.client.exec(command, (err, ch) => {
          if (err) return reject(err);
          let stdout = '';
          let stderr = '';
          const timer = opts.timeoutMs
            ? setTimeout(() => {
                ch.close();
                reject(
                  new Error(`${command.split(' ')[0]} on ${this.target.name} did not finish in ${opts.timeoutMs} ms`),
                );
              }, opts.timeoutMs)
            : null;
          let code: number | null = null;
          ch.on('data', (d: Buffer) => (stdout += d.toString()));
          ch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          ch.on('exit', (c: number | null) => (code = c));
          ch.on('close', () => {
            if (timer) clearTimeout(timer);
            resolve({ code, stdout, stderr });
          });
          if (opts.stdin !== undefined) ch.end(opts.stdin);
          else ch.end();
        });
      });
    } finally {
      release();
    }
  }

  /** A long-lived exec channel (for `agency node connect`); counts against the session limit while open. */
  async execStream(command: string): Promise<ClientChannel> {
    const release = await this.slot();
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, ch) => {
        if (err) {
          release();
          return reject(err);
        }
        ch.once('close', release);
        resolve(ch);
      });
    });
  }

  /** A stream to a Unix socket on the node (OpenSSH's direct-streamlocal). */
  streamLocal(path: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.openssh_forwardOutStreamLocal(path, (err, ch) => (err ? reject(err) : resolve(ch)));
    });
  }

  async sftp(): Promise<{ sftp: SFTPWrapper; release: () => void }> {
    const release = await this.slot();
    return new Promise((resolve, reject) => {
      this.client.sftp((err, sftp) => {
        if (err) {
          release();
          return reject(err);
        }
        resolve({
          sftp,
          release: () => {
            sftp.end();
            release();
          },
        });
      });
    });
  }

  /** Ends the connection and every jump host's under it. */
  end(): void {
    this.client.end();
    for (const c of [...this.jumps].reverse()) c.end();
  }

  private async slot(): Promise<() => void> {
    if (this.active >= MAX_SESSION_CHANNELS) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }
}
