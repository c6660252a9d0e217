/**
 * One SSH connection to a node, with ssh2: the host key checked against known_hosts before any credential
 * is sent, ssh-agent or key files, keepalive set explicitly, and session channels kept within sshd's
 * per-connection limit (MaxSessions, 10 by default).
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

export class SshConnection {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private closedWith: Error | null = null;
  private readonly closes = new Emitter<Error>();

  private constructor(
    readonly target: SshTarget,
    readonly client: Client,
  ) {
    const closed = (e: Error) => {
      if (this.closedWith) return;
      this.closedWith = e;
      this.closes.emit(e);
    };
    client.on('error', (e) => closed(e));
    client.on('close', () => closed(new Error('the SSH connection closed')));
  }

  static connect(t: SshTarget, o: SshOptions = DEFAULT_SSH): Promise<SshConnection> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      const keyName = {
        host: t.host,
        port: t.port,
        files: t.knownHostsFiles,
        ...(t.hostKeyAlias ? { hostKeyAlias: t.hostKeyAlias } : {}),
      };
      const verifier = hostVerifierFor({ ...keyName, ...(t.alias ? { alias: t.alias } : {}) });
      const keys = t.identityFiles.filter((f) => existsSync(f));
      const config: ConnectConfig = {
        host: t.host,
        port: t.port,
        username: t.user,
        keepaliveInterval: o.keepaliveMs,
        keepaliveCountMax: o.keepaliveCountMax,
        readyTimeout: o.readyTimeoutMs,
        hostVerifier: verifier.verify,
        // ask first for the key types known_hosts holds for this host (ssh2 would ask for ed25519 first)
        algorithms: { serverHostKey: hostKeyAlgorithmsFor(keyName) },
        ...(process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
        ...(keys.length > 0 ? { privateKey: readFileSync(keys[0]!) } : {}),
      };
      if (!config.agent && !config.privateKey) {
        reject(
          new SshError(
            'auth',
            `no ssh-agent (SSH_AUTH_SOCK) and no key file for node ${t.name} (looked for ${t.identityFiles.join(', ') || 'none'})`,
          ),
        );
        return;
      }
      let settled = false;
      client.once('ready', () => {
        settled = true;
        resolve(new SshConnection(t, client));
      });
      // `on`, not `once`: a handshake that timed out is followed by a second error ("Connection lost before
      // handshake"), which must not go unheard (it would end the process)
      client.on('error', (e: Error & { level?: string }) => {
        if (settled) return;
        settled = true;
        const v = verifier.verdict();
        if (v && !v.ok) reject(new SshError('host-key', `node ${t.name}: ${v.message}`));
        else if (e.level === 'client-authentication')
          reject(
            new SshError(
              'auth',
              `node ${t.name}: ${t.user}@${t.host} refused every key offered (ssh-agent and ${keys.join(', ') || 'no key file'})`,
            ),
          );
        else reject(new SshError('network', `node ${t.name}: cannot reach ${t.host}:${t.port}: ${e.message}`));
      });
      client.connect(config);
      // requests and answers are small writes each waiting on the last: Nagle's algorithm and the peer's
      // delayed ACK would hold each one back some 40 ms
      client.setNoDelay(true);
    });
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

  end(): void {
    this.client.end();
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
