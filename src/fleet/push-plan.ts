/**
 * What `agency push` learns of a node in one round trip (the probe), and what it decides from that: whether
 * the node can run agency at all (its platform, its C library, its macOS), and which Node the agent runs on
 * there — the node's own, or the runtime agency brings.
 */
import { RUNTIME_DIR } from '../paths/runtime-dir.js';
import { SANDBOX_PROGRAMS } from '../paths/sandbox-programs.js';
import type { Platform } from './bundle.js';
import { AGENT_DIR, AGENT_LAUNCHER } from './remote-link.js';
import type { RuntimePlatform } from './runtime.js';
import { shq } from './shell-quote.js';

export { RUNTIME_DIR };

export type PushFailure =
  'host-key' | 'auth' | 'network' | 'no-node' | 'no-sandbox' | 'disk' | 'platform' | 'libc' | 'failed';

export class PushError extends Error {
  constructor(
    readonly failure: PushFailure,
    message: string,
  ) {
    super(message);
  }
}

/** One round trip: what the node is, and what of agency it already runs. */
export const PROBE = [
  'printf "home=%s\\n" "$HOME"',
  'printf "platform=%s-%s\\n" "$(uname -s)" "$(uname -m)"',
  'n=$(command -v node 2>/dev/null); if [ -n "$n" ]; then printf "node=%s\\nnodePath=%s\\n" "$(v=$("$n" --version 2>/dev/null) && echo "${v#v}" || echo broken)" "$n"; else echo node=none; fi',
  // the C library (official Node builds need glibc 2.28+), or the macOS version (11+)
  'g=$(getconf GNU_LIBC_VERSION 2>/dev/null); if [ -n "$g" ]; then printf "libc=%s\\n" "$g"; elif ls /lib/ld-musl-* >/dev/null 2>&1 || ldd --version 2>&1 | grep -qi musl; then echo libc=musl; fi',
  'command -v sw_vers >/dev/null 2>&1 && printf "macos=%s\\n" "$(sw_vers -productVersion)"',
  'printf "df=%s\\n" "$(df -Pk "$HOME" | tail -n 1)"',
  `a="$HOME/${AGENT_DIR}"`,
  'printf "builds="; for d in "$a"/*/; do [ -f "$d.complete" ] && printf "%s " "$(basename "$d")"; done; echo',
  'printf "current=%s\\n" "$(readlink "$a/current" 2>/dev/null)"',
  `printf "launcher=%s\\n" "$(grep '^exec ' "$HOME/${AGENT_LAUNCHER}" 2>/dev/null)"`,
  `rt="$HOME/${RUNTIME_DIR}"`,
  'printf "runtimes="; for d in "$rt"/*/; do [ -f "$d.complete" ] && printf "%s " "$(basename "$d")"; done; echo',
  // the running daemon's build, if its pid is alive
  'r="$HOME/.agency/run/node.build"; if [ -f "$r" ]; then read b p < "$r"; kill -0 "$p" 2>/dev/null && printf "running=%s\\npid=%s\\n" "$b" "$p"; fi',
  'mkdir -p "$a/incoming" "$rt/incoming" 2>/dev/null; true',
  // what the sessions' sandbox needs on Linux, on the PATH the daemon will have; and whether the operator
  // opted the node out of it in its node.env
  `printf "sandbox="; for p in ${SANDBOX_PROGRAMS.join(' ')}; do command -v "$p" >/dev/null 2>&1 || printf "%s " "$p"; done; echo`,
  'printf "sandboxSetting=%s\\n" "$(sed -n "s/^\\(export  *\\)\\{0,1\\}AGENCY_SANDBOX=//p" "$HOME/.agency/node.env" 2>/dev/null | tail -n 1)"',
].join('; ');

export type Facts = Record<string, string>;

/** The probe's `key=value` lines (CRLF ones too: a login shell or a pty may add the `\r`). */
export function parseProbe(stdout: string): Facts {
  return Object.fromEntries(
    stdout
      .split(/\r?\n/)
      .map((l) => l.split(/=(.*)/s, 2) as [string, string])
      .filter((x) => x.length === 2),
  );
}

const RUNTIME_PLATFORM: Record<string, RuntimePlatform> = {
  'Linux-x86_64': 'linux-x64',
  'Linux-aarch64': 'linux-arm64',
  'Linux-arm64': 'linux-arm64',
  'Darwin-arm64': 'darwin-arm64',
  'Darwin-x86_64': 'darwin-x64',
};

/** the platforms agency's agent is built for (node-pty has no addon for linux-arm64 yet) */
const AGENT_PLATFORMS: readonly Platform[] = ['linux-x64', 'darwin-arm64', 'darwin-x64'];

export const MIN_GLIBC = [2, 28] as const;
export const MIN_MACOS = 11;
export const MIN_NODE = 20;

export type RuntimeMode = 'auto' | 'bundled' | 'system';

/** The Node a node's agent runs on: its own (by absolute path), or agency's for its platform. */
export type RuntimeChoice =
  { kind: 'system'; node: string; path: string } | { kind: 'bundled'; platform: RuntimePlatform };

export interface NodePlan {
  platform: Platform;
  runtime: RuntimeChoice;
}

const nums = (v: string) => v.split('.').map((x) => Number(x) || 0);

/** The node's own Node, when it is one agency can run on (20 or newer, at an absolute path). */
export function systemNode(facts: Facts): { node: string; path: string } | null {
  const v = facts.node ?? 'none';
  const major = Number(/^(\d+)\./.exec(v)?.[1] ?? 0);
  const path = facts.nodePath ?? '';
  return major >= MIN_NODE && path.startsWith('/') ? { node: v, path } : null;
}

/**
 * Whether the node can run agency, and on which Node: refuses a platform agency has no agent for, musl, a
 * glibc older than 2.28 and a macOS older than 11 (what official Node 20/22 builds need), and `system` on
 * a node without Node.js 20+.
 */
export function planNode(name: string, facts: Facts, mode: RuntimeMode = 'auto'): NodePlan {
  const seen = facts.platform ?? 'an unknown platform';
  const rp = RUNTIME_PLATFORM[seen];
  const platform = AGENT_PLATFORMS.find((p) => p === rp);
  if (!rp || !platform)
    throw new PushError(
      'platform',
      rp === 'linux-arm64'
        ? `node ${name} runs linux-arm64: agency's agent cannot run there yet, since node-pty (its terminals) has no addon built for linux-arm64; agency runs on ${AGENT_PLATFORMS.join(', ')}`
        : `node ${name} runs ${seen}; agency's agent is built for ${AGENT_PLATFORMS.join(', ')}`,
    );
  checkSystemLibraries(name, platform, facts);
  const own = systemNode(facts);
  if (mode === 'system' && !own)
    throw new PushError(
      'no-node',
      `node ${name} is set to run on its own Node.js (runtime: system), and ${whyNotOwn(facts)}: install Node.js ${MIN_NODE}+ there, or set its runtime to auto or bundled`,
    );
  return {
    platform,
    runtime: own && mode !== 'bundled' ? { kind: 'system', ...own } : { kind: 'bundled', platform: rp },
  };
}

/** What is wrong with the node's own Node, for a node that must run on it. */
function whyNotOwn(facts: Facts): string {
  const v = facts.node ?? 'none';
  const path = facts.nodePath ?? '';
  if (v === 'none') return 'it has none on its PATH';
  if (v === 'broken') return `its ${path || 'node'} does not run`;
  if (Number(/^(\d+)\./.exec(v)?.[1] ?? 0) < MIN_NODE) return `it has ${v}, not ${MIN_NODE} or newer`;
  return `its Node ${v} is found at ${path ? `"${path}"` : 'no path'}, not an absolute path the launcher can run (check the PATH of its login shell)`;
}

function checkSystemLibraries(name: string, platform: Platform, facts: Facts): void {
  if (platform.startsWith('linux')) {
    const libc = (facts.libc ?? '').trim();
    if (libc === 'musl')
      throw new PushError(
        'libc',
        `node ${name} uses the musl C library (Alpine or similar): Node's official builds and agency's terminal addon need glibc ${MIN_GLIBC.join('.')} or newer; use a glibc-based system`,
      );
    const m = /^glibc\s+(\d+)\.(\d+)/i.exec(libc);
    if (m) {
      const [maj, min] = [Number(m[1]), Number(m[2])];
      if (maj < MIN_GLIBC[0] || (maj === MIN_GLIBC[0] && min < MIN_GLIBC[1]))
        throw new PushError(
          'libc',
          `node ${name} has glibc ${maj}.${min}: Node 20 and 22 need glibc ${MIN_GLIBC.join('.')} or newer (Debian 10, Ubuntu 20.04, RHEL 8 and later); upgrade its system`,
        );
    }
  } else {
    const v = (facts.macos ?? '').trim();
    if (v && nums(v)[0]! < MIN_MACOS)
      throw new PushError(
        'libc',
        `node ${name} runs macOS ${v}: Node 20 and 22 need macOS ${MIN_MACOS} or newer; upgrade it`,
      );
  }
}

/** What the node reports of its system, as NodeInfo.runtime.libc writes it (`glibc 2.36`, `musl`, `macOS 14.5`). */
export function libcName(facts: Facts): string | null {
  if (facts.macos) return `macOS ${facts.macos.trim()}`;
  const l = (facts.libc ?? '').trim();
  return l === 'musl' ? 'musl' : /^glibc /i.test(l) ? `glibc ${l.split(/\s+/)[1]}` : null;
}

/** Whether the node already keeps the runtime archive with this sha256 (unpacked and complete). */
export function hasRuntime(facts: Facts, sha256: string): boolean {
  return (facts.runtimes ?? '').split(' ').includes(sha256);
}

/** Where the launcher execs the agent: the Node it runs on, by absolute path. */
export function launcherNode(home: string, choice: RuntimeChoice, runtimeSha: string | null): string {
  return choice.kind === 'system' ? choice.path : `${home}/${RUNTIME_DIR}/${runtimeSha}/bin/node`;
}

/** The launcher's one `exec` line (the probe reads it back, to tell whether it must change). */
export function launcherExec(node: string): string {
  return `exec ${shq(node)} "$HOME/${AGENT_DIR}/current/bin/agency" "$@"`;
}

/** The launcher: a /bin/sh script running the current agent on the chosen Node. */
export function launcherScript(node: string): string {
  return `#!/bin/sh\n# written by agency push: runs the current agent on this Node\n${launcherExec(node)}\n`;
}

/**
 * What a Linux node lacks of bubblewrap and socat ("bwrap and socat"), unless its node.env opts it out of
 * the sandbox; null when nothing is missing. macOS needs nothing (Seatbelt is part of it).
 */
export function missingSandbox(platform: Platform, facts: Facts): string | null {
  if (platform !== 'linux-x64') return null;
  if (
    (facts.sandboxSetting ?? '')
      .trim()
      .replace(/^(['"])(.*)\1$/, '$2')
      .toLowerCase() === 'off'
  )
    return null;
  const missing = (facts.sandbox ?? '').trim().split(/\s+/).filter(Boolean);
  return missing.length ? missing.join(' and ') : null;
}
