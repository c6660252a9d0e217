/**
 * git's transport to a node over agency's own SSH connection to it. Local git runs with an "ssh" command
 * that is a small bridge to a private Unix socket this process listens on; each connection there is joined
 * to an exec channel of the node's connection, running git-upload-pack or git-receive-pack on the
 * repository this process names (never one the bridge names). So `agency fetch`, and the push of an
 * operator's repository to a node, travel over the link the cockpit already has, with its verified host
 * key: no second login, no ssh config, no remote helper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeLink } from './link.js';
import { NodeUnreachable } from './local.js';
import { RemoteLink } from './remote-link.js';
import type { SshConnection } from './ssh-connect.js';

export type GitService = 'git-upload-pack' | 'git-receive-pack';

/** The address local git is given for the node's repository: the bridge ignores it, this process knows the path. */
export const LINK_URL = 'ssh://agency-link/repository';

export interface GitRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** what git on the node said on its stderr (a repository that is not there, say) */
  remoteStderr: string;
}

/**
 * The bridge git runs as its ssh: it sends its arguments and git's protocol version, then pipes its stdin
 * and stdout to the socket (with backpressure: a slow git slows the node, not this process's memory). It is
 * given to node with -e, so it needs no file of its own.
 */
const BRIDGE = [
  "const s=require('net').connect(process.env.AGENCY_GIT_LINK);",
  "s.on('error',e=>{process.stderr.write('agency: the link to the node is gone ('+e.message+')\\n');process.exit(128)});",
  "s.write(JSON.stringify({argv:process.argv.slice(1),protocol:process.env.GIT_PROTOCOL||''})+'\\n');",
  'process.stdin.pipe(s);',
  's.pipe(process.stdout);',
  "s.on('end',()=>process.stdout.write('',()=>process.exit(0)));",
].join('');

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** git's protocol request as the bridge reports it: `version=2`, and nothing that could be more than that */
const PROTOCOL = /^[a-z0-9=:.]{1,64}$/;
const MAX_REMOTE_STDERR = 64 * 1024;
const MAX_HEADER = 64 * 1024;

/** A node's link as git's transport, or null where git needs none (the local node: its repositories are here). */
export function gitLinkOf(link: NodeLink): GitLink | null {
  if (!(link instanceof RemoteLink)) return null;
  const ssh = link.sshConnection();
  if (!ssh || ssh.closed) {
    const st = link.status();
    throw new NodeUnreachable(`node ${link.name} is ${st.state}${st.error ? `: ${st.error}` : ''}`);
  }
  return new GitLink(ssh, link.name);
}

export class GitLink {
  constructor(
    readonly ssh: SshConnection,
    readonly node: string,
  ) {}

  /**
   * Runs local `git <args>` in cwd, where args name the node's repository as LINK_URL; each connection git
   * makes to it runs `service` on `remotePath` on the node.
   */
  git(o: GitOptions & { remotePath: string }): Promise<GitRun> {
    const g = LinkedGit.start(o);
    g.attach(this, o.remotePath);
    return g.done;
  }
}

export interface GitOptions {
  cwd: string;
  args: string[];
  service: GitService;
  env?: NodeJS.ProcessEnv;
}

/**
 * Local git started before the node's repository is known, so that git and its bridge start while the
 * link comes up and the session is looked up: git's connections wait until `attach` names the node and
 * path (or `cancel` ends it all). `done` settles once git has exited, and never rejects.
 */
export class LinkedGit {
  readonly done: Promise<GitRun>;
  private target: { link: GitLink; path: string } | null = null;
  private cancelled = false;
  private finished = false;
  private readonly queued: Socket[] = [];
  private readonly open = new Set<Socket>();
  private readonly remote = { stderr: '' };
  private child: ChildProcess | null = null;

  private constructor(private readonly o: GitOptions) {
    this.done = this.run();
  }

  static start(o: GitOptions): LinkedGit {
    return new LinkedGit(o);
  }

  /** git's connections waiting for `attach` */
  get waiting(): number {
    return this.queued.length;
  }

  /** The node and repository git's connections go to. */
  attach(link: GitLink, path: string): void {
    if (this.cancelled || this.target) return;
    this.target = { link, path };
    for (const sock of this.queued.splice(0)) this.serve(sock);
  }

  /** Ends git and its connections (nothing is fetched or pushed); a no-op once it is done. */
  cancel(): void {
    if (this.cancelled || this.finished) return;
    this.cancelled = true;
    for (const s of this.open) s.destroy();
    this.child?.kill('SIGTERM');
  }

  private async run(): Promise<GitRun> {
    const dir = mkdtempSync(join(tmpdir(), 'agency-git-'));
    const socket = join(dir, 'link');
    const server = createServer({ allowHalfOpen: true }, (sock) => {
      this.open.add(sock);
      sock.once('close', () => this.open.delete(sock));
      sock.on('error', () => undefined);
      if (this.cancelled) sock.destroy();
      else if (this.target) this.serve(sock);
      else this.queued.push(sock);
    });
    try {
      await listen(server, socket);
      const env: NodeJS.ProcessEnv = {
        ...(this.o.env ?? process.env),
        AGENCY_GIT_LINK: socket,
        GIT_SSH_COMMAND: `${shq(process.execPath)} -e ${shq(BRIDGE)} --`,
        // the variant that passes the protocol version along (the bridge takes no options)
        GIT_SSH_VARIANT: 'ssh',
        GIT_TERMINAL_PROMPT: '0',
      };
      delete env.GIT_SSH;
      if (this.cancelled) return { code: null, stdout: '', stderr: 'cancelled', remoteStderr: '' };
      const r = await spawnGit(this.o.args, this.o.cwd, env, (c) => (this.child = c));
      return { ...r, remoteStderr: this.remote.stderr };
    } catch (e) {
      return { code: null, stdout: '', stderr: (e as Error).message, remoteStderr: this.remote.stderr };
    } finally {
      this.finished = true;
      for (const s of this.open) s.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Joins one bridge connection to an exec channel running the service on the node. */
  private serve(sock: Socket): void {
    const { link, path } = this.target!;
    const { service } = this.o;
    const remote = this.remote;
    let header = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      header = Buffer.concat([header, d]);
      const nl = header.indexOf(0x0a);
      if (nl < 0) {
        if (header.length > MAX_HEADER) sock.destroy();
        return;
      }
      sock.off('data', onData);
      sock.pause();
      const rest = header.subarray(nl + 1);
      const h = parseHeader(header.subarray(0, nl));
      if (!h) {
        sock.destroy();
        return;
      }
      const { asked, protocol } = h;
      // git asks for the service its command needs: fetch for upload-pack, push for receive-pack
      if (!asked.startsWith(`${service} `)) {
        remote.stderr += `agency: git asked for ${asked.split(' ')[0] || 'nothing'}, not ${service}\n`;
        sock.destroy();
        return;
      }
      const command = `${protocol ? `env GIT_PROTOCOL=${protocol} ` : ''}${service} ${shq(path)}`;
      link.ssh.execStream(command).then(
        (ch) => {
          if (rest.length) ch.write(rest);
          ch.stderr.on('data', (d: Buffer) => {
            if (remote.stderr.length < MAX_REMOTE_STDERR) remote.stderr += d.toString();
          });
          sock.pipe(ch);
          ch.pipe(sock);
          sock.resume();
          ch.once('close', () => sock.end());
          sock.once('close', () => ch.close());
        },
        (e: Error) => {
          remote.stderr += `agency: cannot open a channel to node ${link.node}: ${e.message}\n`;
          sock.destroy();
        },
      );
    };
    sock.on('data', onData);
  }
}

/** The bridge's first line: git's command (its last argument) and the protocol version it asked for. */
function parseHeader(line: Buffer): { asked: string; protocol: string } | null {
  try {
    const h = JSON.parse(line.toString()) as { argv?: unknown; protocol?: unknown };
    return {
      asked: Array.isArray(h.argv) ? String(h.argv.at(-1) ?? '') : '',
      protocol: typeof h.protocol === 'string' && PROTOCOL.test(h.protocol) ? h.protocol : '',
    };
  } catch {
    return null;
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function spawnGit(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  started: (c: ChildProcess) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    started(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
