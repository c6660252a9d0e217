/** A session's whole process tree (claude, its shells, their children), to pause and resume it together. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** pid → parent pid for every process we can see. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  if (process.platform === 'linux') {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // the command name may contain spaces and parentheses: fields resume after the last ')'
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(Number(name), Number(rest[1]));
      } catch {
        // the process ended while we looked
      }
    }
    return out;
  }
  for (const line of execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' }).split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)/.exec(line);
    if (m) out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

/** root and all its descendants, root first, parents before children. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents()) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

/**
 * Stops the tree: the root first, so that it cannot start new children, then the rest; repeated until
 * no new process appears (a child may have been forked while we walked).
 */
export function stopTree(root: number): number[] {
  const stopped = new Set<number>();
  for (let round = 0; round < 5; round++) {
    const fresh = processTree(root).filter((p) => !stopped.has(p));
    if (fresh.length === 0) break;
    signalAll(fresh, 'SIGSTOP');
    for (const p of fresh) stopped.add(p);
  }
  return [...stopped];
}

/** Continues the tree: children first, the root last. */
export function continueTree(root: number): void {
  signalAll(processTree(root).reverse(), 'SIGCONT');
}
