/**
 * Whether the daemon runs on the node's own Node or on the runtime `agency push` installed under
 * ~/.agency/runtime, and the PATH its sessions get for it (NodeInfo.runtime is runtime-info.ts).
 */
import { homedir } from 'node:os';
import { delimiter, dirname } from 'node:path';
import { isBundledNode } from '../paths/runtime-dir.js';

/** Whether this process runs on a Node agency installed (one under ~/.agency/runtime). */
export function onBundledNode(execPath = process.execPath, home = homedir()): boolean {
  return isBundledNode(execPath, home);
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
