/**
 * One SSH connection to a node, with ssh2: the host key checked against known_hosts before any credential
 * is sent, ssh-agent or key files, keepalive set explicitly, and session channels kept within sshd's
 * per-connection limit (MaxSessions, 10 by default). A node behind jump hosts is reached through a chain of
 * clients, each carried by a channel of the one before it (ssh -J).
 */
import { existsSync, readFileSync } from 'node:fs';
import ssh2, { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
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
 * The key file a hop authenticates with: the first that parses. One protected by a passphrase (agency asks
 * for none) or that cannot be read is passed over when another key or ssh-agent can be used; else it is
 * an 'auth' SshError naming the file, and what to do.
 */
export function pickKey(files: string[], label: string, agent: boolean): { file: string; data: Buffer } | null {
  const unusable: string[] = [];
  for (const file of files.filter((f) => existsSync(f))) {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      unusable.push(`${file} cannot be read (${(e as Error).message})`);
      continue;
    }
    // ssh2 is CommonJS: its utils are not a named export Node can see
    const parsed = ssh2.utils.parseKey(data);
    if (!(parsed instanceof Error)) return { file, data };
    unusable.push(
      /encrypted|passphrase/i.test(parsed.message)
        ? `${file} is protected by a passphrase`
        : `${file} is not a private key ssh2 can use (${parsed.message})`,
    );
  }
  if (agent) return null;
  if (unusable.length)
    throw new SshError(
      'auth',
      `${label}: no key to use: ${unusable.join('; ')}; add it to ssh-agent (ssh-add, with SSH_AUTH_SOCK set) or give a key file without a passphrase`,
    );
  throw new SshError(
    'auth',
    `${label}: no ssh-agent (SSH_AUTH_SOCK) and no key file (looked for ${files.join(', ') || 'none'})`,
  );
}

/** The hop a connection is carried through: its client, and how messages name it. */
interface Via {
  client: Client;
  label: string;
}

/**
 * One SSH client to one hop, ready (host key checked, authenticated), over a channel of `via` when it is
 * reached through a jump host. Errors are SshErrors whose message starts with `label`; a jump host lost
 * while this hop connects is named as what failed.
 */
function connectHop(
  hop: SshTarget,
  label: string,
  o: SshOptions,
  via: (Via & { sock: ClientChannel }) | undefined,
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
    const agent = process.env.SSH_AUTH_SOCK;
    let key: { file: string; data: Buffer } | null;
    try {
      key = pickKey(hop.identityFiles, label, Boolean(agent));
    } catch (e) {
      reject(e as Error);
      return;
    }
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
      ...(agent ? { agent } : {}),
      ...(key ? { privateKey: key.data } : {}),
      ...(via ? { sock: via.sock } : {}),
    };
    clients.push(client);
    let settled = false;
    // the jump host under this hop going away: that is what failed, not this hop
    let viaLost: string | null = null;
    const onViaLost = (e?: Error) => {
      viaLost ??= `${via!.label}: the connection was lost${e ? ` (${e.message})` : ''} while reaching the next hop`;
      fail(new SshError('network', viaLost));
    };
    const onViaClose = () => onViaLost();
    const unwatch = () => {
      via?.client.off('close', onViaClose);
      via?.client.off('end', onViaClose);
      via?.client.off('error', onViaLost);
    };
    via?.client.on('close', onViaClose);
    via?.client.on('end', onViaClose);
    via?.client.on('error', onViaLost);
    const fail = (e: SshError) => {
      if (settled) return;
      settled = true;
      unwatch();
      reject(e);
    };
    // this hop's own failure over a jump host may be the first sign of the jump host's: a moment later its
    // end or close has been seen, and is what is said
    const own = (e: SshError) =>
      via ? setImmediate(() => setImmediate(() => fail(viaLost ? new SshError('network', viaLost) : e))) : fail(e);
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      unwatch();
      resolve(client);
    });
    // `on`, not `once`: a handshake that timed out is followed by a second error ("Connection lost before
    // handshake"), which must not go unheard (it would end the process)
    client.on('error', (e: Error & { level?: string }) => {
      if (settled) return;
      const v = verifier.verdict();
      if (v && !v.ok) fail(new SshError('host-key', `${label}: ${v.message}`));
      else if (e.level === 'client-authentication')
        fail(
          new SshError(
            'auth',
            `${label}: ${hop.user}@${hop.host} refused every key offered (${[...(agent ? ['ssh-agent'] : []), key?.file ?? 'no key file'].join(' and ')})`,
          ),
        );
      else own(new SshError('network', `${label}: cannot reach ${hop.host}:${hop.port}: ${e.message}`));
    });
    // a jump host that goes away closes the channel under this client before it was ready
    client.on('close', () =>
      own(new SshError('network', `${label}: cannot reach ${hop.host}:${hop.port}: the connection closed`)),
    );
    client.connect(config);
    // requests and answers are small writes each waiting on the last: Nagle's algorithm and the peer's
    // delayed ACK would hold each one back some 40 ms
    client.setNoDelay(true);
  });
}

/** A channel from `via` to `to`'s address (ssh -W), to carry the next hop's connection; `timeoutMs` at most. */
function forward(via: Client, viaLabel: string, to: SshTarget, timeoutMs: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const why = (m: string) =>
      new SshError('network', `${viaLabel}: cannot reach ${to.host}:${to.port} through it: ${m}`);
    const timer = setTimeout(() => reject(why(`no answer in ${timeoutMs} ms`)), timeoutMs);
    via.forwardOut('127.0.0.1', 0, to.host, to.port, (err, ch) => {
      clearTimeout(timer);
      if (err) reject(why(err.message));
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
    // each step has its own timer; the chain as a whole one deadline, whatever the steps do
    const deadlineMs = o.readyTimeoutMs * (hops.length + 1);
    let step = hopLabel(t, hops[0] ?? t);
    let expired = false;
    let timer: NodeJS.Timeout | undefined;
    // (with no jump host, ssh2's own readyTimeout is the deadline, and its message the one given)
    const deadline = new Promise<never>((_, reject) => {
      if (hops.length === 0) return;
      timer = setTimeout(() => {
        expired = true;
        reject(new SshError('network', `${step}: timed out: the chain of jump hosts not through in ${deadlineMs} ms`));
      }, deadlineMs);
    });
    const chain = (async () => {
      let via: (Via & { sock: ClientChannel }) | undefined;
      for (const [i, hop] of hops.entries()) {
        step = hopLabel(t, hop);
        const c = await connectHop(hop, step, o, via, clients);
        if (expired) throw new Error('past the deadline');
        via = { client: c, label: step, sock: await forward(c, step, hops[i + 1] ?? t, o.readyTimeoutMs) };
        if (expired) throw new Error('past the deadline');
      }
      step = hopLabel(t, t);
      const client = await connectHop(t, step, o, via, clients);
      return new SshConnection(t, client, clients.slice(0, hops.length));
    })();
    try {
      return await Promise.race([chain, deadline]);
    } catch (e) {
      // the step still under way (if the deadline passed) fails once its client is ended: nobody waits for it
      chain.catch(() => {});
      for (const c of clients.reverse()) c.end();
      throw e;
    } finally {
      clearTimeout(timer);
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
