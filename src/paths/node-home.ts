/** Where a node keeps its state: AGENCY_HOME, or ~/.agency. The socket's folder is readable by its user only. */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function agencyHome(): string {
  return process.env.AGENCY_HOME || join(homedir(), '.agency');
}

export interface NodePaths {
  home: string;
  runDir: string;
  socket: string;
  lock: string;
  /** `<build> <pid>` of the running daemon */
  buildFile: string;
  log: string;
  state: string;
  sessions: string;
  worktrees: string;
}

/** macOS limits a Unix socket's path to 104 bytes, Linux to 108. */
const MAX_SOCKET_PATH = 103;

export function nodePaths(home = agencyHome()): NodePaths {
  const runDir = join(home, 'run');
  return {
    home,
    runDir,
    socket: join(runDir, 'node.sock'),
    lock: join(runDir, 'node.pid'),
    buildFile: join(runDir, 'node.build'),
    log: join(home, 'node.log'),
    state: join(home, 'state.json'),
    sessions: join(home, 'sessions'),
    worktrees: join(home, 'worktrees'),
  };
}

/** Creates the folders; the run folder (socket, pid) is made private to the user, whatever the umask. */
export function ensureDirs(p: NodePaths): void {
  if (Buffer.byteLength(p.socket) > MAX_SOCKET_PATH)
    throw new Error(
      `the node socket path ${p.socket} is too long for a Unix socket; set AGENCY_HOME to a shorter folder`,
    );
  for (const d of [p.home, p.sessions, p.worktrees]) mkdirSync(d, { recursive: true, mode: 0o700 });
  mkdirSync(p.runDir, { recursive: true, mode: 0o700 });
  chmodSync(p.runDir, 0o700);
  const st = statSync(p.runDir);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    throw new Error(`${p.runDir} belongs to another user; refusing to put the node socket there`);
}
