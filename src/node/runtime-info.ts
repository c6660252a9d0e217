/**
 * The Node this daemon runs on, as `agency doctor` reports it: its version, whether it is the one agency
 * installed on the node (under ~/.agency/runtime) or the node's own, and the C library (or macOS version);
 * and the PATH its sessions get for it.
 */
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { delimiter, dirname } from 'node:path';
import { isBundledNode } from '../paths/runtime-dir.js';
import type { NodeRuntime } from '../protocol/messages.js';

export interface RuntimeProbe {
  platform: NodeJS.Platform;
  execPath: string;
  version: string;
  home: string;
  /** glibc's version from Node's own report; undefined where Node was not linked against glibc */
  glibc(): string | undefined;
  /** `sw_vers -productVersion` */
  macVersion(): string | undefined;
}

const realProbe = (): RuntimeProbe => ({
  platform: process.platform,
  execPath: process.execPath,
  version: process.versions.node,
  home: homedir(),
  glibc: () =>
    (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
      ?.glibcVersionRuntime,
  macVersion: () => {
    try {
      return execFileSync('sw_vers', ['-productVersion'], { encoding: 'utf8', timeout: 5000 }).trim() || undefined;
    } catch {
      return undefined;
    }
  },
});

export function runtimeInfo(p: RuntimeProbe = realProbe()): NodeRuntime {
  const bundled = isBundledNode(p.execPath, p.home);
  let libc: string | undefined;
  if (p.platform === 'linux') {
    const g = p.glibc();
    // Node built for musl has no glibc to report
    libc = g ? `glibc ${g}` : 'musl';
  } else if (p.platform === 'darwin') {
    const v = p.macVersion();
    if (v) libc = `macOS ${v}`;
  }
  return { node: p.version, bundled, ...(libc ? { libc } : {}) };
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
  if (!isBundledNode(execPath, home)) return path;
  const bin = dirname(execPath);
  const parts = (path ?? '').split(delimiter).filter(Boolean);
  return parts.includes(bin) ? path : [...parts, bin].join(delimiter);
}
