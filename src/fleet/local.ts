/**
 * The local node: reached through its Unix socket, and started on demand when nothing answers there
 * (detached, so it outlives the command that started it, as a tmux server does).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Connection } from '../protocol/connection.js';
import { nodePaths, ensureDirs } from '../paths/node-home.js';
import { isSecretVariable } from '../protocol/secret-env.js';

export class NodeUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeUnreachable';
  }
}

function tryConnect(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', () => resolve(null));
  });
}

/**
 * The environment the local node starts with: this process's, less the secrets agency knows are not the
 * node's (Slack's tokens, which only `agency intake slack` uses). The node's own secrets (ANTHROPIC_API_KEY,
 * a forge's token) stay: its sessions need them, and it keeps them from what they run itself.
 */
export function nodeStartEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([k, v]) => v !== undefined && !(k.startsWith('SLACK_') && isSecretVariable(k))),
  );
}

/** Starts `agency node serve` in the background and waits until it says it is ready. */
export function startLocalNode(agencyBin: string = process.argv[1]!): Promise<void> {
  const paths = nodePaths();
  ensureDirs(paths);
  const log = openSync(paths.log, 'a', 0o600);
  const child = spawn(process.execPath, [agencyBin, 'node', 'serve', '--ready-fd', '3'], {
    detached: true,
    stdio: ['ignore', log, log, 'pipe'],
    env: nodeStartEnv(process.env),
  });
  closeSync(log);
  return new Promise((resolve, reject) => {
    const ready = child.stdio[3] as NodeJS.ReadableStream;
    let said = '';
    const timer = setTimeout(
      () => reject(new NodeUnreachable(`the local node did not start within 30 s; see ${paths.log}`)),
      30_000,
    );
    ready.on('data', (d: Buffer) => {
      said += d.toString();
      if (said.includes('ready')) {
        clearTimeout(timer);
        child.unref();
        (ready as unknown as { destroy(): void }).destroy();
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!said.includes('ready'))
        reject(new NodeUnreachable(`the local node exited (code ${code}) before it was ready; see ${paths.log}`));
    });
  });
}

/** A connection to the local node; starts the node if asked and nothing answers. */
export async function connectLocal(opts: { start: boolean }): Promise<Connection> {
  const paths = nodePaths();
  let socket = await tryConnect(paths.socket);
  if (!socket && opts.start) {
    // the agency that is running now starts the node: same version, same install
    await startLocalNode(process.argv[1]!);
    socket = await tryConnect(paths.socket);
  }
  if (!socket)
    throw new NodeUnreachable(
      opts.start
        ? `cannot reach the local node at ${paths.socket}`
        : 'no local node is running (start one with `agency run`, or `agency node serve`)',
    );
  const conn = new Connection(socket, { role: 'cockpit', agent: 'cli' });
  await conn.ready;
  return conn;
}

/** The raw socket of the local node (started if needed), for piping a remote cockpit's stream into it. */
export async function localNodeSocket(): Promise<Socket> {
  const paths = nodePaths();
  let socket = await tryConnect(paths.socket);
  if (!socket) {
    await startLocalNode();
    socket = await tryConnect(paths.socket);
  }
  if (!socket) throw new NodeUnreachable(`cannot reach the local node at ${paths.socket}`);
  return socket;
}
