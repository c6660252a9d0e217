/**
 * Which Node the daemon runs on: the node's own, or the runtime `agency push` installed under
 * ~/.agency/runtime; and the C library (or macOS version) under it.
 */
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, join, sep } from 'node:path';
import type { NodeRuntime } from '../protocol/messages.js';

/** the folder push keeps runtimes in, on this machine */
export const runtimeRoot = (home = homedir()) => join(home, '.agency', 'runtime');

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Whether this process runs on a Node agency installed (one under ~/.agency/runtime). */
export function onBundledNode(execPath = process.execPath, home = homedir()): boolean {
  return join(real(dirname(execPath)), basename(execPath)).startsWith(real(runtimeRoot(home)) + sep);
}

function libc(): string | undefined {
  if (process.platform === 'darwin') {
    try {
      return `macOS ${execFileSync('sw_vers', ['-productVersion'], { encoding: 'utf8', timeout: 5000 }).trim()}`;
    } catch {
      return undefined;
    }
  }
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  if (header?.glibcVersionRuntime) return `glibc ${header.glibcVersionRuntime}`;
  return process.platform === 'linux' ? 'musl' : undefined;
}

/** NodeInfo.runtime for this daemon. */
export function nodeRuntime(): NodeRuntime {
  const l = libc();
  return { node: process.versions.node, bundled: onBundledNode(), ...(l ? { libc: l } : {}) };
}

/**
 * The PATH the daemon's sessions and workers get: on agency's Node, that Node's folder is added at the end,
 * so `node` runs for hooks and MCP servers there while a node's own Node still comes first.
 */
export function pathWithRuntime(
  path: string | undefined,
  execPath = process.execPath,
  home = homedir(),
): string | undefined {
  if (!onBundledNode(execPath, home)) return path;
  const bin = dirname(execPath);
  const parts = (path ?? '').split(delimiter).filter(Boolean);
  return parts.includes(bin) ? path : [...parts, bin].join(delimiter);
}
