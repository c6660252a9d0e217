/** File writes that stay inside a folder: no `..`, no writing through a symbolic link, atomic replacement. */
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class UnsafePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

/** Checks a relative path and every folder on the way to it; returns the absolute path. */
export function safeJoin(root: string, rel: string): string {
  const parts = rel.split('/');
  if (
    rel.startsWith('/') ||
    parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))
  )
    throw new UnsafePathError(`refusing path ${JSON.stringify(rel)}: it must stay inside ${root}`);
  let cur = root;
  for (const [i, part] of parts.entries()) {
    cur = join(cur, part);
    let st;
    try {
      st = lstatSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    if (st.isSymbolicLink())
      throw new UnsafePathError(`refusing to write through symbolic link ${cur}: it could lead outside ${root}`);
    const last = i === parts.length - 1;
    if (!last && !st.isDirectory()) throw new UnsafePathError(`cannot write ${rel}: ${cur} is not a folder`);
    if (last && !st.isFile()) throw new UnsafePathError(`cannot write ${rel}: ${cur} exists and is not a regular file`);
  }
  return cur;
}

export function readIfExists(abs: string): string | null {
  try {
    return readFileSync(abs, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Creates the folders of rel under root one at a time (checked by safeJoin first), then writes atomically. */
export function writeInside(root: string, rel: string, content: string): void {
  const abs = safeJoin(root, rel);
  const parts = rel.split('/');
  let cur = root;
  for (const part of parts.slice(0, -1)) {
    cur = join(cur, part);
    try {
      mkdirSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const tmp = `${abs}.agency-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, content, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, abs);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function removeInside(root: string, rel: string): void {
  rmSync(safeJoin(root, rel), { force: true });
}
