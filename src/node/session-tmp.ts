/**
 * Each session's own temporary folder, `<tmp>/agency-<uid>/<node>/<session>`: the one place besides its
 * worktree where its sandbox lets it write, and Claude Code's own temporary folder for it. `<node>` tells
 * apart the nodes of one user (each AGENCY_HOME). The shared parent is checked as Claude Code checks its
 * own: a folder (not a link someone planted), the user's, private. A folder goes when its session ends.
 */
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodePaths } from '../paths/node-home.js';

/** The node's folder of session temporary folders (not created). */
function nodeTmpDir(paths: NodePaths): string {
  const uid = process.getuid?.() ?? 0;
  const tag = createHash('sha256').update(paths.home).digest('hex').slice(0, 8);
  return join(realpathSync(tmpdir()), `agency-${uid}`, tag);
}

/** Creates (if need be) and returns a session's temporary folder. */
export function sessionTmpDir(paths: NodePaths, id: string): string {
  const node = nodeTmpDir(paths);
  const parent = join(node, '..');
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const st = lstatSync(parent);
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()))
    throw new Error(`${parent} is not a folder of this user's; remove it, or set TMPDIR to a folder the node owns`);
  chmodSync(parent, 0o700);
  const dir = join(node, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export function removeSessionTmpDir(paths: NodePaths, id: string): void {
  rmSync(join(nodeTmpDir(paths), id), { recursive: true, force: true });
}

/** Removes the temporary folders of this node's sessions that are not running (left by a node that was killed). */
export function pruneSessionTmpDirs(paths: NodePaths, running: (id: string) => boolean): void {
  const node = nodeTmpDir(paths);
  let names: string[];
  try {
    names = readdirSync(node);
  } catch {
    return;
  }
  for (const id of names) if (!running(id)) rmSync(join(node, id), { recursive: true, force: true });
  try {
    rmdirSync(node);
  } catch {
    // sessions of its own are running
  }
}
