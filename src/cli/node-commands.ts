/** `agency node start` and `agency node connect`: what a cockpit runs on a node over SSH. */
import { connect } from 'node:net';
import { connectLocal, localNodeSocket, startLocalNode } from '../fleet/local.js';
import { nodePaths } from '../paths/node-home.js';
import { printJson, say } from './output.js';

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startNode(): Promise<void> {
  const paths = nodePaths();
  if (await answers(paths.socket)) {
    say(`a node is already serving ${paths.socket}`);
    return;
  }
  await startLocalNode();
  say(`node serving ${paths.socket}`);
}

/** Bytes in both directions until either side ends; nothing of ours is written to stdout. */
export async function connectNode(): Promise<void> {
  const socket = await localNodeSocket();
  await new Promise<void>((resolve) => {
    process.stdin.pipe(socket);
    socket.pipe(process.stdout);
    socket.on('close', () => resolve());
    process.stdin.on('end', () => socket.end());
  });
}

/** Stops the node daemon of this machine (its live sessions are resumed when it starts again). */
export async function stopNode(o: { json?: boolean } = {}): Promise<void> {
  const conn = await connectLocal({ start: false });
  const closed = new Promise<void>((r) => conn.onClose(() => r()));
  await conn.request('shutdown', {});
  await closed;
  if (o.json) printJson({ stopped: true });
  else say('node stopped');
}

/** The build of the node daemon running here (for push); exit 1 if none is running. */
export async function nodeBuild(): Promise<void> {
  const conn = await connectLocal({ start: false });
  const hello = await conn.ready;
  conn.close();
  say(hello.node?.build ?? 'unknown');
}
