/**
 * Jump hosts: the chain of hosts a node is reached through, first hop first, resolved as ssh resolves
 * ProxyJump. A list `a,b` means: reach `a` (following a's own ProxyJump from ~/.ssh/config, as ssh does
 * for the first hop), from it reach `b` (whose own ProxyJump ssh overrides), and from `b` the target.
 * Each hop is `[user@]host[:port]` or `ssh://[user@]host[:port]`; a host that is an alias of ~/.ssh/config
 * takes its HostName, User, Port, IdentityFile, known_hosts files and HostKeyAlias from there. In a node's
 * `jump` field a bare hop may also name a configured node, which is then reached as that node is.
 * A ProxyCommand on any hop is refused: agency runs no local commands from ssh config.
 */
import { userInfo } from 'node:os';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { resolveSshAlias } from './ssh-config.js';
import type { SshTarget } from './ssh-connect.js';

/** more hops than this is a mistake (or a loop ssh would follow until it ran out of processes) */
export const MAX_JUMPS = 8;

export interface Hop {
  /** as written */
  spec: string;
  user?: string;
  host: string;
  port?: number;
}

/** A jump list that cannot be used: its message names the hop and what to change. */
export class JumpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JumpError';
  }
}

export interface JumpContext {
  /** where the ssh config is (tests); the operator's ~/.ssh/config by default */
  ssh?: { configFile?: string; home?: string; localUser?: string };
  /** a configured node's own target (its jump hosts included), when a hop names one */
  node?: (name: string) => SshTarget | undefined;
  /** the address of a configured node of this name (its host, or its ssh alias), for messages */
  nodeHost?: (name: string) => string | undefined;
  warn?: (message: string) => void;
}

const PORT = /^\d{1,5}$/;

/** Parses a ProxyJump list (`a,b`, each `[user@]host[:port]` or an ssh:// URI); `where` names its source. */
export function parseHops(list: string, where: string): Hop[] {
  if (list.trim() === '') throw new JumpError(`${where}: the jump list is empty`);
  return list.split(',').map((spec) => parseHop(spec.trim(), where));
}

function parseHop(spec: string, where: string): Hop {
  const bad = (why: string) =>
    new JumpError(`${where}: jump host ${JSON.stringify(spec)} ${why} (write [user@]host[:port], comma-separated)`);
  let s = spec;
  if (/^ssh:\/\//i.test(s)) {
    s = s.slice('ssh://'.length).replace(/\/$/, '');
    if (s.includes('/')) throw bad('has a path');
  }
  const at = s.lastIndexOf('@');
  const user = at >= 0 ? s.slice(0, at) : undefined;
  const rest = at >= 0 ? s.slice(at + 1) : s;
  let host = rest;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (rest.split(':').length === 2) {
    [host, portText] = rest.split(':') as [string, string];
  }
  if (host === '') throw bad('has no host');
  if (/\s/.test(host) || host.startsWith('-')) throw bad('is not a host name');
  if (user !== undefined && (user === '' || /\s/.test(user))) throw bad('has an empty or blank user');
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!PORT.test(portText) || port < 1 || port > 65535) throw bad('has a port that is not 1-65535');
  }
  return { spec, host, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) };
}

/**
 * The jump hosts of a list, first hop first. `stack` holds the names whose own ProxyJump is being
 * followed (the target's alias first): meeting one again is a loop. `nodeNames`: bare hops may name
 * configured nodes (a node's `jump` field, not ssh config's ProxyJump).
 */
export function resolveJumps(
  list: string,
  where: string,
  ctx: JumpContext,
  opts: { stack?: string[]; nodeNames?: boolean } = {},
): SshTarget[] {
  const stack = opts.stack ?? [];
  const out: SshTarget[] = [];
  parseHops(list, where).forEach((hop, i) => {
    const named = opts.nodeNames && (hop.user || hop.port) ? ctx.nodeHost?.(hop.host) : undefined;
    if (named !== undefined)
      throw new JumpError(
        `${where}: jump host ${JSON.stringify(hop.spec)} names node ${hop.host} with a ${hop.user ? 'user' : 'port'}, which a node's name does not take (the node is reached as configured): write ${hop.host} alone, or the node's host instead (${hop.user ? `${hop.user}@` : ''}${named}${hop.port ? `:${hop.port}` : ''})`,
      );
    const node = opts.nodeNames && !hop.user && !hop.port ? ctx.node?.(hop.host) : undefined;
    if (node) {
      const { jump, ...self } = node;
      // as for ssh: only the first hop is reached its own way; later ones through the hop before
      out.push(...(i === 0 ? (jump ?? []) : []), self);
    } else out.push(...aliasHop(hop, where, ctx, stack, i === 0));
  });
  if (out.length > MAX_JUMPS)
    throw new JumpError(
      `${where}: ${out.length} jump hosts (${out.map((t) => t.name).join(', ')}); at most ${MAX_JUMPS}`,
    );
  return out;
}

function aliasHop(hop: Hop, where: string, ctx: JumpContext, stack: string[], follow: boolean): SshTarget[] {
  const r = resolveSshAlias(hop.host, ctx.ssh ?? {});
  for (const w of r.warnings) ctx.warn?.(w);
  if (r.proxyCommand)
    throw new JumpError(
      `${where}: jump host ${hop.host} has a ProxyCommand in ~/.ssh/config, which agency does not run (it runs no local commands from ssh config); reach it with ProxyJump instead`,
    );
  const home = ctx.ssh?.home ?? homedir();
  const target: SshTarget = {
    name: hop.host,
    host: r.host,
    port: hop.port ?? r.port ?? 22,
    user: hop.user ?? r.user ?? ctx.ssh?.localUser ?? localUser(),
    identityFiles: r.identityFiles.length
      ? r.identityFiles
      : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(home, '.ssh', f)),
    knownHostsFiles: [...r.knownHostsFiles, ...r.globalKnownHostsFiles],
    ...(r.host !== hop.host ? { alias: hop.host } : {}),
    ...(r.hostKeyAlias ? { hostKeyAlias: r.hostKeyAlias } : {}),
  };
  if (!follow || !r.proxyJump) return [target];
  if (stack.includes(hop.host))
    throw new JumpError(
      `${where}: the ProxyJump settings of ~/.ssh/config go round in a loop (${[...stack, hop.host].join(' → ')}); fix one of them`,
    );
  if (stack.length >= MAX_JUMPS)
    throw new JumpError(`${where}: ProxyJump nested more than ${MAX_JUMPS} deep (${[...stack, hop.host].join(' → ')})`);
  return [
    ...resolveJumps(r.proxyJump, `${where}: jump host ${hop.host}`, ctx, { stack: [...stack, hop.host] }),
    target,
  ];
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}
