/**
 * A repository as the operator names it: a path, or a git URL (`ssh://`, `user@host:path`, `https://`,
 * `http://`, `git://`, `file://`). The one home of the rules: which URLs agency accepts (never one git would
 * read as an option, never a remote helper such as `ext::` that runs a command), how credentials are taken
 * out of a URL before it is shown or kept, and the normal form that two spellings of one repository share.
 */
import { createHash } from 'node:crypto';

export type UrlScheme = 'ssh' | 'https' | 'http' | 'git' | 'file';

export interface RepoUrl {
  kind: 'url';
  scheme: UrlScheme;
  /** the URL as given, credentials and all: only for git, never shown or kept */
  url: string;
  /** the URL without credentials: what is shown, logged and kept */
  safe: string;
  /** the same repository however it was spelled (scheme and host lowercased, no default port, no `.git`) */
  normal: string;
  /** what the URL carried for git's credential helper (an https user and token), or null */
  credentials: { username: string; password: string } | null;
}

export type RepoRef = { kind: 'path'; path: string } | RepoUrl;

const SCHEMES: Record<string, UrlScheme> = {
  ssh: 'ssh',
  'git+ssh': 'ssh',
  'ssh+git': 'ssh',
  https: 'https',
  http: 'http',
  git: 'git',
  file: 'file',
};
const DEFAULT_PORT: Record<UrlScheme, string> = { ssh: '22', https: '443', http: '80', git: '9418', file: '' };

const ACCEPTED = 'ssh://, https://, http://, git:// or file:// URLs, user@host:path, or a path';

export class RepoRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepoRefError';
  }
}

/** What is wrong with a repository reference, or null if nothing is. The message never repeats credentials. */
export function repoProblem(s: string): string | null {
  try {
    parseRepo(s);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Whether s is a URL (by git's rules: a scheme, or a colon before any slash), not a path. */
export function isRepoUrl(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(s) || scpLike(s) !== null;
}

/** A path or a URL, checked; throws RepoRefError naming what is wrong and what agency takes. */
export function parseRepo(s: string): RepoRef {
  if (!/\S/.test(s)) throw new RepoRefError('the repository is empty');
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new RepoRefError('the repository contains a control character');
  if (s.startsWith('-'))
    throw new RepoRefError('the repository starts with "-", which git would read as an option; name a path or a URL');
  const helper = /^([A-Za-z0-9][A-Za-z0-9+.-]*)::/.exec(s);
  if (helper)
    throw new RepoRefError(
      `"${helper[1]}::" names a git remote helper, which agency does not run (ext:: and fd:: run commands); use ${ACCEPTED}`,
    );
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(s);
  if (scheme) return parseSchemeUrl(s, scheme[1]!.toLowerCase());
  const scp = scpLike(s);
  if (scp) return scpUrl(s, scp);
  return { kind: 'path', path: s };
}

function parseSchemeUrl(s: string, given: string): RepoUrl {
  const scheme = SCHEMES[given];
  if (!scheme) throw new RepoRefError(`agency does not clone "${given}://" URLs; use ${ACCEPTED}`);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new RepoRefError(`${safeUrl(s)} is not a URL git can use`);
  }
  const host = u.hostname.toLowerCase();
  const username = decode(u.username);
  const password = decode(u.password);
  if (host.startsWith('-') || username.startsWith('-'))
    throw new RepoRefError('the URL has a host or user that starts with "-", which ssh would read as an option');
  if (scheme === 'file') {
    if (host && host !== 'localhost') throw new RepoRefError('a file:// URL names a path on the node: file:///path');
    if (u.pathname.length <= 1) throw new RepoRefError('the file:// URL names no path');
  } else if (!host) throw new RepoRefError(`the ${scheme}:// URL names no host`);
  if (scheme !== 'file' && u.pathname.replace(/\/+$/, '') === '')
    throw new RepoRefError(`the URL names no repository on ${host}`);
  const port = u.port && u.port !== DEFAULT_PORT[scheme] ? `:${u.port}` : '';
  // http(s) user info is a credential (a token may be the user name); an ssh user is who to log in as
  const web = scheme === 'https' || scheme === 'http';
  const keptUser = !web && username ? `${u.username}@` : '';
  const path = u.pathname;
  const safe = scheme === 'file' ? `file://${path}` : `${given}://${keptUser}${u.host}${path}${u.search}`;
  const hostPart = `${keptUser}${host}${port}`;
  const normal =
    scheme === 'file' ? `file://${trimPath(path, false)}` : `${scheme}://${hostPart}${trimPath(path, true)}`;
  const credentials = web && (username || password) ? { username, password } : null;
  if (!web && password) {
    // ssh and git take no password in a URL: it is dropped, and never shown
    return { kind: 'url', scheme, url: safe, safe, normal, credentials: null };
  }
  return { kind: 'url', scheme, url: s, safe, normal, credentials };
}

/** `[user@]host:path` with no slash before the colon (git's rule); an IPv6 host is in brackets. */
function scpLike(s: string): { user: string; host: string; path: string } | null {
  const m = /^(?:([^@/:[\]]+)@)?(\[[^\]/]+\]|[^:/[\]@]+):(.*)$/s.exec(s);
  if (!m) return null;
  return { user: m[1] ?? '', host: m[2]!, path: m[3]! };
}

function scpUrl(s: string, p: { user: string; host: string; path: string }): RepoUrl {
  if (p.host.startsWith('-') || p.user.startsWith('-'))
    throw new RepoRefError('the URL has a host or user that starts with "-", which ssh would read as an option');
  if (!p.path || p.path === '/') throw new RepoRefError(`the URL names no repository on ${p.host}`);
  const user = p.user ? `${p.user}@` : '';
  const path = p.path.startsWith('/') ? p.path : `/~/${p.path}`;
  return {
    kind: 'url',
    scheme: 'ssh',
    url: s,
    safe: s,
    normal: `ssh://${user}${p.host.toLowerCase()}${trimPath(path, true)}`,
    credentials: null,
  };
}

function trimPath(path: string, dropGit: boolean): string {
  let p = path.replace(/\/+$/, '');
  if (dropGit) p = p.replace(/\.git$/, '');
  return p || '/';
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A URL as it may be shown: the user info of http(s) URLs removed whole (a token may stand as the user),
 * the password of any other. A string that is not a URL is returned as it is.
 */
export function safeUrl(s: string): string {
  return scrubText(s);
}

/**
 * Text with every credential of a URL in it taken out: `scheme://user:password@` loses its password (and
 * an http(s) URL its user as well), and each secret named is replaced wherever it appears, as given and
 * percent-decoded (git prints URLs both ways).
 */
export function scrubText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/\b([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/\s@]*)@/g, (_m, scheme: string, info: string) => {
    const web = /^https?$/i.test(scheme);
    if (web) return `${scheme}://`;
    const user = info.split(':', 1)[0]!;
    return `${scheme}://${user}@`;
  });
  for (const s of secrets)
    for (const form of new Set([s, decode(s), encodeURIComponent(s)]))
      if (form.length >= 4) out = out.split(form).join('***');
  return out;
}

/** The secrets a parsed reference carries, for scrubText. */
export function secretsOf(ref: RepoRef): string[] {
  if (ref.kind !== 'url' || !ref.credentials) return [];
  return [ref.credentials.password, ref.credentials.username].filter(Boolean);
}

/** A mirror's folder name for a repository's normal form: readable, and distinct for every normal form. */
export function mirrorName(normal: string): string {
  const last =
    normal
      .replace(/\/+$/, '')
      .split('/')
      .pop()
      ?.replace(/\.git$/, '') ?? '';
  const slug =
    last
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 40) || 'repo';
  return `${slug}-${createHash('sha256').update(normal).digest('hex').slice(0, 16)}`;
}

/** A mirror name as the node takes it on the wire: a plain file name, nothing that leaves the mirrors folder. */
export const MIRROR_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,40}-[0-9a-f]{16}$/;
