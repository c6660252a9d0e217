/**
 * What ssh would use to reach an alias of ~/.ssh/config: host name, user, port, identity files,
 * known_hosts files, ProxyJump. Values are computed by the `ssh-config` package's `compute()` —
 * first value wins, IdentityFile accumulates, Match blocks (host, originalhost, user, localuser, all,
 * final) — after a pass that does what it leaves out: Include (relative to ~/.ssh, with `*`/`?`
 * globs, nested up to 16 deep, and scoped to the Host block it appears in, as ssh does), Host blocks
 * matched as ssh matches them (a literal `?` is exactly one character, case-sensitive), `~` and
 * `%`-token expansion. `Match exec` is never run: such blocks count as not matching, with a warning.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir, hostname as localHostName, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig, { LineType, type Directive, type Line, type Match } from 'ssh-config';
import { matchPattern } from './known-hosts-match.js';

export interface ResolvedSshHost {
  /** HostName (with %h expanded), lowercased as ssh does unless it is an address; the alias itself if unset */
  host: string;
  user?: string;
  port?: number;
  /** IdentityFile entries, expanded, in order; empty when none is configured (ssh then tries its defaults) */
  identityFiles: string[];
  /** UserKnownHostsFile, expanded; ~/.ssh/known_hosts and ~/.ssh/known_hosts2 when unset; [] for `none` */
  knownHostsFiles: string[];
  /** GlobalKnownHostsFile; /etc/ssh/ssh_known_hosts and /etc/ssh/ssh_known_hosts2 when unset */
  globalKnownHostsFiles: string[];
  /** HostKeyAlias: the name to look up in known_hosts instead of the host */
  hostKeyAlias?: string;
  /** as configured (`none` is left out); agency may not support it, the caller says so */
  proxyJump?: string;
  proxyCommand?: string;
  /** things ssh would do that this did not (Match exec, unknown tokens, unreadable includes) */
  warnings: string[];
}

/** A config ssh itself would refuse (unparsable, unreadable, a bad Port, includes nested too deep). */
export class SshConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshConfigError';
  }
}

interface Ctx {
  alias: string;
  home: string;
  warnings: string[];
  /** a Host block that applies names the alias by more than `*` */
  named?: boolean;
}

const MAX_INCLUDE_DEPTH = 16;

function values(v: Directive['value']): string[] {
  return typeof v === 'string' ? [v] : v.map((x) => x.val);
}

function expandTilde(p: string, ctx: Ctx): string {
  if (p === '~') return ctx.home;
  if (p.startsWith('~/')) return join(ctx.home, p.slice(2));
  if (p.startsWith('~')) ctx.warnings.push(`${p}: ~user paths are not expanded`);
  return p;
}

/** ssh's percent_expand (and, with `dollar`, ${ENV}); an unknown token stays as written, with a warning. */
function expandTokens(s: string, tokens: Record<string, string>, what: string, ctx: Ctx, dollar: boolean): string {
  return s.replace(/%(.?)|\$\{([^}]*)\}/gs, (m, t: string | undefined, env: string | undefined) => {
    if (env !== undefined) {
      if (!dollar) return m;
      const v = process.env[env];
      if (v === undefined) ctx.warnings.push(`${what} ${s}: environment variable ${env} is not set`);
      return v ?? m;
    }
    if (t === '%') return '%';
    const v = t ? tokens[t] : undefined;
    if (v === undefined) ctx.warnings.push(`${what} ${s}: unknown token ${m || '%'} left as is`);
    return v ?? m;
  });
}

function readConfig(path: string, ctx: Ctx, required: boolean): SSHConfig | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return null;
    if (required) throw new SshConfigError(`cannot read the ssh config file ${path} (${code ?? String(e)})`);
    ctx.warnings.push(`${path}: included but cannot be read (${code ?? String(e)})`);
    return null;
  }
  try {
    return SSHConfig.parse(text);
  } catch (e) {
    throw new SshConfigError(`${path}: ${(e as Error).message} (ssh would refuse this file too; fix it and retry)`);
  }
}

/** The files an Include argument names, in glob order; relative paths are under ~/.ssh, as for ssh. */
function includePaths(arg: string, from: string, ctx: Ctx): string[] {
  if (/%|\$\{/.test(arg)) ctx.warnings.push(`${from}: Include ${arg}: tokens in Include paths are not expanded`);
  let p = expandTilde(arg, ctx);
  if (!isAbsolute(p)) p = join(ctx.home, '.ssh', p);
  if (!/[*?]/.test(p)) return [p];
  const dir = dirname(p);
  const pattern = basename(p);
  if (/[*?]/.test(dir)) {
    ctx.warnings.push(`${from}: Include ${arg}: wildcards are only supported in the file name; ignored`);
    return [];
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => matchPattern(n, pattern) && (!n.startsWith('.') || pattern.startsWith('.')))
    .sort()
    .map((n) => join(dir, n));
}

/** Whether a Host line names the alias itself: a pattern other than a bare `*` matches it. */
function hostNames(patterns: string[], alias: string): boolean {
  return patterns.some((p) => !p.startsWith('!') && p.replace(/\*/g, '') !== '' && matchPattern(alias, p));
}

/** Whether a Host line applies to the alias: some pattern matches and no negated one does. */
function hostApplies(patterns: string[], alias: string): boolean {
  let applies = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    if (matchPattern(alias, negated ? p.slice(1) : p)) {
      if (negated) return false;
      applies = true;
    }
  }
  return applies;
}

/** A directive with the spelling compute() keys on, and HostName's %h (the alias) expanded. */
function normalize(d: Directive, ctx: Ctx): Directive {
  const param = d.param.toLowerCase();
  if (param === 'hostname') {
    const value = expandTokens(values(d.value)[0] ?? '', { h: ctx.alias }, 'HostName', ctx, false);
    return { ...d, param: 'HostName', value };
  }
  if (param === 'user') return { ...d, param: 'User' };
  return d;
}

type Scope = { kind: 'top' } | { kind: 'match'; body: Directive[] };

/**
 * Flattens a parsed file into `out`: directives of Host blocks that apply (and of the files they
 * include) become unconditional, blocks that do not apply are dropped, Match blocks stay for compute().
 */
function flatten(lines: Iterable<Line>, file: string, depth: number, scope: Scope, out: Line[], ctx: Ctx): void {
  for (const line of lines) {
    if (line.type !== LineType.DIRECTIVE) continue;
    const param = line.param.toLowerCase();
    if ('config' in line) {
      if (scope.kind === 'match') {
        ctx.warnings.push(`${file}: a ${line.param} block included from inside a Match block is ignored`);
        continue;
      }
      if (param === 'host') {
        if (hostApplies(values(line.value), ctx.alias)) {
          if (hostNames(values(line.value), ctx.alias)) ctx.named = true;
          flatten(line.config, file, depth, scope, out, ctx);
        }
        continue;
      }
      const m = line as Match;
      if (Object.keys(m.criteria ?? {}).some((k) => k.toLowerCase() === 'exec')) {
        ctx.warnings.push(
          `${file}: "Match ${values(m.value).join(' ')}" is not evaluated (agency runs no commands from ssh config); its settings are not applied`,
        );
      }
      const body: Directive[] = [];
      flatten(line.config, file, depth, { kind: 'match', body }, out, ctx);
      const config = new SSHConfig();
      config.push(...body);
      out.push({ ...m, config });
      continue;
    }
    if (param === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH)
        throw new SshConfigError(`${file}: Include nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
      for (const arg of values(line.value)) {
        for (const path of includePaths(arg, file, ctx)) {
          const included = readConfig(path, ctx, false);
          if (included) flatten(included, path, depth + 1, scope, out, ctx);
        }
      }
      continue;
    }
    const d = normalize(line, ctx);
    if (scope.kind === 'match') scope.body.push(d);
    else out.push(d);
  }
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? '';
  }
}

/**
 * Resolves an alias as ssh would (`ssh -G alias`). An alias the config does not mention resolves to
 * itself as the host. A missing default config (~/.ssh/config) is no config; a missing `configFile`,
 * or a config ssh would refuse, throws an SshConfigError naming the file.
 */
export function resolveSshAlias(
  alias: string,
  opts: { configFile?: string; home?: string; localUser?: string } = {},
): ResolvedSshHost {
  const ctx: Ctx = { alias, home: opts.home ?? homedir(), warnings: [] };
  const configFile = opts.configFile ?? join(ctx.home, '.ssh', 'config');
  const parsed = readConfig(configFile, ctx, opts.configFile !== undefined);
  const flat = new SSHConfig();
  if (parsed) flatten(parsed, configFile, 0, { kind: 'top' }, flat, ctx);
  const r = flat.compute(alias, { ignoreCase: true, matchExec: false });
  const one = (k: string): string | undefined => {
    const v = r[k];
    return v === undefined ? undefined : Array.isArray(v) ? v.join(' ') : v;
  };
  const list = (k: string): string[] => {
    const v = r[k];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  const none = (v: string | undefined) => (v === undefined || v.toLowerCase() === 'none' ? undefined : v);

  const name = one('hostname') ?? alias;
  const host = isIP(name) ? name : name.toLowerCase();
  const portText = one('port');
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(/^\d+$/.test(portText!) && port >= 1 && port <= 65535)) {
    throw new SshConfigError(
      `${configFile} (or a file it includes): Port ${JSON.stringify(portText)} for ${alias} is not a port number (1-65535)`,
    );
  }
  const me = opts.localUser ?? localUser();
  const thisHost = localHostName();
  const hostKeyAlias = one('hostkeyalias');
  const proxyJump = none(one('proxyjump'));
  const tokens: Record<string, string> = {
    d: ctx.home,
    h: host,
    i: String(process.getuid?.() ?? ''),
    k: hostKeyAlias ?? alias,
    L: thisHost.split('.')[0] ?? thisHost,
    l: thisHost,
    n: alias,
    p: String(port ?? 22),
    u: me,
    j: proxyJump ?? '',
  };
  const userText = one('user');
  const user = userText === undefined ? undefined : expandTokens(userText, tokens, 'User', ctx, true);
  tokens.r = user ?? me;
  tokens.C = createHash('sha1').update(`${tokens.l}${tokens.h}${tokens.p}${tokens.r}${tokens.j}`).digest('hex');
  const path = (p: string, what: string) => expandTokens(expandTilde(p, ctx), tokens, what, ctx, true);

  const identityFiles = [
    ...new Set(
      list('identityfile')
        .filter((f) => f.toLowerCase() !== 'none')
        .map((f) => path(f, 'IdentityFile')),
    ),
  ];
  const userFiles = list('userknownhostsfile');
  const knownHostsFiles =
    userFiles.length === 0
      ? [join(ctx.home, '.ssh', 'known_hosts'), join(ctx.home, '.ssh', 'known_hosts2')]
      : userFiles[0]!.toLowerCase() === 'none'
        ? []
        : userFiles.map((f) => path(f, 'UserKnownHostsFile'));
  const globalFiles = list('globalknownhostsfile');
  const globalKnownHostsFiles =
    globalFiles.length === 0
      ? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']
      : globalFiles[0]!.toLowerCase() === 'none'
        ? []
        : globalFiles.map((f) => expandTilde(f, ctx));
  const proxyCommand = none(one('proxycommand'));
  return {
    host,
    ...(user !== undefined ? { user } : {}),
    ...(port !== undefined ? { port } : {}),
    identityFiles,
    knownHostsFiles,
    globalKnownHostsFiles,
    ...(hostKeyAlias !== undefined ? { hostKeyAlias } : {}),
    ...(proxyJump !== undefined ? { proxyJump } : {}),
    ...(proxyCommand !== undefined ? { proxyCommand } : {}),
    warnings: ctx.warnings,
  };
}

/**
 * Whether the ssh config has a Host block for the alias (included files too): one whose patterns match it
 * by more than a catch-all `Host *`. Without one, ssh would take the alias for a host name. A missing
 * default config has none; a config ssh would refuse throws an SshConfigError naming the file.
 */
export function sshConfigNames(alias: string, opts: { configFile?: string; home?: string } = {}): boolean {
  const ctx: Ctx = { alias, home: opts.home ?? homedir(), warnings: [] };
  const configFile = opts.configFile ?? join(ctx.home, '.ssh', 'config');
  const parsed = readConfig(configFile, ctx, opts.configFile !== undefined);
  if (parsed) flatten(parsed, configFile, 0, { kind: 'top' }, new SSHConfig(), ctx);
  return ctx.named === true;
}
