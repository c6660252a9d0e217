/** What the node does to its workers' processes as processes: their priority, and ending what a restart left. */
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Workers are the node's batch work: they run at a lower priority than the node itself, its sessions and the
 * operator's cockpit, so that a wave that takes every core leaves the node answering at once. What a worker
 * starts inherits it.
 */
export const WORKER_NICENESS = 10;

export function lowerPriority(pid: number | null): void {
  if (pid === null) return;
  try {
    setPriority(pid, WORKER_NICENESS);
  } catch {
    // it has ended already, or the system does not allow it: it runs as it is
  }
}

/** Kills what is left of a worker from before a restart: its process group, if that pid is still its claude. */
export function killGroup(pid: number, claudeSession: string | null): void {
  if (claudeSession !== null)
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(claudeSession)) return;
    } catch {
      return;
    }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
