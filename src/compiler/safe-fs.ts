/**
 * File writes that stay inside a folder: no `..`, no writing through a symbolic link, and a set of changes
 * made all together or not at all.
 */
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { lstatOrNull, processAlive } from '../paths/fs-facts.js';

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

/** A change to one file under a root: its new contents, or null to remove it. */
export interface FileChange {
  path: string;
  content: string | null;
}

const STAGING = /^\.agency-staging-(\d+)-/;

/** Staging folders a compile that was killed left behind (their process is gone). */
function removeLeftovers(root: string): void {
  for (const name of readdirSync(root)) {
    const m = STAGING.exec(name);
    if (m && !processAlive(Number(m[1]))) rmSync(join(root, name), { recursive: true, force: true });
  }
}

type Undo =
  { kind: 'placed'; abs: string } | { kind: 'moved'; from: string; to: string } | { kind: 'made'; dir: string };

/**
 * Makes all the changes or none. Every new file is first written into a staging folder inside root (so
 * that moving it into place is a rename on one file system); a failure while writing leaves root as it
 * was. Then each file is renamed into place, what it replaces moved into the staging folder; a failure
 * part way puts everything back. The staging folder is removed in every case.
 */
export function applyChanges(root: string, changes: FileChange[]): void {
  removeLeftovers(root);
  const staging = mkdtempSync(join(root, `.agency-staging-${process.pid}-`));
  try {
    changes.forEach((c, i) => {
      if (c.content !== null) writeFileSync(join(staging, `new-${i}`), c.content, { flag: 'wx', mode: 0o644 });
    });
    const done: Undo[] = [];
    try {
      changes.forEach((c, i) => place(root, staging, c, i, done));
    } catch (e) {
      for (const u of done.reverse()) undo(u);
      throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function place(root: string, staging: string, c: FileChange, i: number, done: Undo[]): void {
  const abs = safeJoin(root, c.path);
  let cur = root;
  for (const part of c.path.split('/').slice(0, -1)) {
    cur = join(cur, part);
    try {
      mkdirSync(cur);
      done.push({ kind: 'made', dir: cur });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (lstatOrNull(abs)) {
    const old = join(staging, `old-${i}`);
    renameSync(abs, old);
    done.push({ kind: 'moved', from: abs, to: old });
  }
  if (c.content !== null) {
    renameSync(join(staging, `new-${i}`), abs);
    done.push({ kind: 'placed', abs });
  }
}

function undo(u: Undo): void {
  try {
    if (u.kind === 'placed') rmSync(u.abs, { force: true });
    else if (u.kind === 'moved') renameSync(u.to, u.from);
    else rmdirSync(u.dir);
  } catch {
    // put back what can be; the error that made the compile fail is the one to report
  }
}
