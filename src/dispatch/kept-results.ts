/**
 * Workers' results kept in their session's memory bank, `.context/workers/<run>/<name>.md`. The session can
 * write there (it is its own worktree), so the node, which writes and reads outside any sandbox, follows no
 * link on that path: a folder or file that is a link is refused, and the file is opened with O_NOFOLLOW.
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Largest kept result read back. */
const MAX_READ = 256 * 1024;

function folder(worktree: string, run: string, make: boolean): string | null {
  let dir = worktree;
  for (const part of ['.context', 'workers', run]) {
    dir = join(dir, part);
    let st;
    try {
      st = lstatSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (!make) return null;
      mkdirSync(dir, { mode: 0o755 });
      st = lstatSync(dir);
    }
    if (!st.isDirectory()) throw new Error(`${dir} is not a folder (a link, or a file)`);
  }
  return dir;
}

export function keepResult(worktree: string, run: string, name: string, text: string): string {
  const file = join(folder(worktree, run, true)!, `${name}.md`);
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return file;
}

/** The kept result, or null when there is none (or its path is not what the node made). */
export function readKept(worktree: string, run: string, name: string): string | null {
  try {
    const dir = folder(worktree, run, false);
    if (!dir) return null;
    const fd = openSync(join(dir, `${name}.md`), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const buf = Buffer.alloc(MAX_READ);
      const n = readSync(fd, buf, 0, MAX_READ, 0);
      return buf
        .subarray(0, n)
        .toString('utf8')
        .replace(/\n?DONE\n?$/, '');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}
