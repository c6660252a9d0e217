/** What the file system and the process table say, without an exception for the ordinary "no". */
import { lstatSync, type Stats } from 'node:fs';

/** The path's own lstat, or null when nothing is there; any other failure is thrown. */
export function lstatOrNull(abs: string): Stats | null {
  try {
    return lstatSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Whether a process of this pid lives (one of another user's counts: signalling it is refused, not absent). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
