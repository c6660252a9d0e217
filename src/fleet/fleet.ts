/** The nodes of the operator's configuration, as links; with none configured, the one local node. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_NODE, loadConfig, nodeSettingsFor, type NodeConfig } from '../config/config.js';
import { keepSettings } from './node-settings.js';
import { FinalLinkError, LinkBase, type NodeLink } from './link.js';
import { LocalLink } from './local-link.js';
import { RemoteLink } from './remote-link.js';
import { DEFAULT_SSH, type SshOptions, type SshTarget } from './ssh-connect.js';
import { resolveSshAlias } from './ssh-config.js';
import { JumpError, resolveJumps, type JumpContext } from './jump.js';

const expand = (p: string) => (p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);

/**
 * How to reach a node: its host, user, keys and known_hosts, and its jump hosts (its `jump` field, or
 * the ProxyJump of its ssh alias). `nodes` are the configured nodes a `jump` hop may name.
 */
export function sshTarget(n: NodeConfig, nodes: NodeConfig[] = [], seen: string[] = []): SshTarget {
  const warn = (w: string) => process.stderr.write(`agency: ~/.ssh/config: ${w}\n`);
  const base = baseTarget(n, warn);
  const ctx: JumpContext = {
    warn,
    nodeHost: (name) => {
      const other = nodes.find((x) => x.name === name);
      return other ? (other.local ? 'this machine' : (other.host ?? other.ssh ?? name)) : undefined;
    },
    node: (name) => {
      const other = nodes.find((x) => x.name === name);
      if (!other) return undefined;
      if (other.name === n.name) throw new JumpError(`node ${n.name}: node ${n.name} cannot be its own jump host`);
      if (other.local)
        throw new JumpError(`node ${n.name}: jump host ${name} is this machine (a local node); leave it out of jump`);
      if (seen.includes(other.name))
        throw new JumpError(
          `node ${n.name}: the nodes' jump hosts go round in a loop (${[...seen, n.name, other.name].join(' → ')}); fix the jump of one of them`,
        );
      return sshTarget(other, nodes, [...seen, n.name]);
    },
  };
  let jump: SshTarget[] = [];
  if (n.jump) jump = resolveJumps(n.jump, `node ${n.name}`, ctx, { nodeNames: true });
  else if (base.proxyJump)
    jump = resolveJumps(base.proxyJump, `node ${n.name}: ssh alias ${n.ssh}`, ctx, { stack: [n.ssh!] });
  return { ...base.target, ...(jump.length ? { jump } : {}) };
}

function baseTarget(n: NodeConfig, warn: (w: string) => void): { target: SshTarget; proxyJump?: string } {
  if (n.ssh) {
    const r = resolveSshAlias(n.ssh);
    for (const w of r.warnings) warn(w);
    if (r.proxyCommand)
      throw new JumpError(
        `node ${n.name}: its ssh alias ${n.ssh} has a ProxyCommand, which agency does not run (it runs no local commands from ssh config); use ProxyJump, or the node's jump field, instead`,
      );
    return {
      target: {
        name: n.name,
        alias: n.ssh,
        host: r.host,
        port: n.port ?? r.port ?? 22,
        user: n.user ?? r.user ?? process.env.USER ?? 'root',
        identityFiles: n.identityFile
          ? [expand(n.identityFile)]
          : r.identityFiles.length
            ? r.identityFiles
            : defaultIdentities(),
        knownHostsFiles: n.knownHostsFile
          ? [expand(n.knownHostsFile)]
          : [...r.knownHostsFiles, ...r.globalKnownHostsFiles],
        ...(r.hostKeyAlias ? { hostKeyAlias: r.hostKeyAlias } : {}),
      },
      ...(r.proxyJump ? { proxyJump: r.proxyJump } : {}),
    };
  }
  return {
    target: {
      name: n.name,
      host: n.host!,
      port: n.port ?? 22,
      user: n.user ?? process.env.USER ?? 'root',
      identityFiles: n.identityFile ? [expand(n.identityFile)] : defaultIdentities(),
      knownHostsFiles: n.knownHostsFile ? [expand(n.knownHostsFile)] : [join(homedir(), '.ssh', 'known_hosts')],
    },
  };
}

function defaultIdentities(): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(homedir(), '.ssh', f));
}

export function sshOptions(env: NodeJS.ProcessEnv = process.env): SshOptions {
  const n = (v: string | undefined, d: number) => (v && Number(v) > 0 ? Number(v) : d);
  return {
    keepaliveMs: n(env.AGENCY_SSH_KEEPALIVE_MS, DEFAULT_SSH.keepaliveMs),
    keepaliveCountMax: n(env.AGENCY_SSH_KEEPALIVE_COUNT, DEFAULT_SSH.keepaliveCountMax),
    readyTimeoutMs: n(env.AGENCY_SSH_TIMEOUT_MS, DEFAULT_SSH.readyTimeoutMs),
  };
}

/** A node name the configuration does not have: a usage error, naming it and the nodes there are. */
export class UnknownNodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownNodeError';
  }
}

/**
 * Links for the configured nodes (all, or those named). Unknown names are an error naming them. With no
 * nodes configured, the fleet is this machine's node, `local`.
 */
export function fleetLinks(opts: { only?: string[]; startLocal: boolean; ssh?: Partial<SshOptions> }): NodeLink[] {
  const config = loadConfig();
  if (config.nodes.length === 0) {
    if (opts.only?.length && !opts.only.every((n) => n === LOCAL_NODE))
      throw new UnknownNodeError(
        `no nodes are configured, so there is only the local node; unknown: ${opts.only.filter((n) => n !== LOCAL_NODE).join(', ')} (add nodes with agency nodes add)`,
      );
    return withSettings([new LocalLink(LOCAL_NODE, opts.startLocal)]);
  }
  const known = new Set(config.nodes.map((n) => n.name));
  const unknown = (opts.only ?? []).filter((n) => !known.has(n));
  if (unknown.length)
    throw new UnknownNodeError(
      `unknown node${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; configured: ${[...known].join(', ')}${
        unknown.includes(LOCAL_NODE) && !config.nodes.some((n) => n.local)
          ? ` (this machine is not one of them: agency nodes add ${LOCAL_NODE} --local)`
          : ''
      }`,
    );
  const ssh = { ...sshOptions(), ...opts.ssh };
  return withSettings(
    config.nodes
      .filter((n) => !opts.only?.length || opts.only.includes(n.name))
      .map((n) => (n.local ? new LocalLink(n.name, opts.startLocal) : remoteLink(n))),
  );

  /** One node whose jump hosts cannot be resolved is that node's failure, not the fleet's. */
  function remoteLink(n: NodeConfig): NodeLink {
    try {
      return new RemoteLink(sshTarget(n, config.nodes), ssh);
    } catch (e) {
      const m = (e as Error).message;
      return new UnusableLink(n.name, m.startsWith(`node ${n.name}:`) ? m : `node ${n.name}: ${m}`);
    }
  }

  /** Each link gives its node the config's budgets, rates and models when the node holds others. */
  function withSettings(links: NodeLink[]): NodeLink[] {
    for (const l of links) keepSettings(l, nodeSettingsFor(config, l.name));
    return links;
  }
}

/** A node that cannot be reached as configured (its jump hosts, say): refused at once, with the reason. */
class UnusableLink extends LinkBase {
  constructor(
    name: string,
    private readonly why: string,
  ) {
    super(name, 'ssh');
  }
  protected open(): Promise<never> {
    return Promise.reject(new FinalLinkError('down', this.why));
  }
  protected release(): void {}
}
