/**
 * Where `agency push` keeps Node runtimes on a node (by the sha256 of their archive), and how a process
 * tells whether it runs on one of them.
 */
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, sep } from 'node:path';

/** the runtimes' folder, relative to the node user's home */
export const RUNTIME_DIR = '.agency/runtime';

/** the runtimes' folder on this machine */
export const runtimeRoot = (home = homedir()) => join(home, RUNTIME_DIR);

/** The path with every symlink resolved, or as given when it cannot be (it does not exist). */
export function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Whether a Node binary is one push installed: under the runtimes' folder once both are resolved. */
export function isBundledNode(execPath: string, home = homedir()): boolean {
  return realPath(execPath).startsWith(realPath(runtimeRoot(home)) + sep);
}
