/**
 * Bare mirrors of repositories on a node, under AGENCY_HOME/mirrors, that sessions' worktrees are made from:
 * a repository given by URL is cloned once and fetched before each session; a repository the operator
 * pushes from their own machine lands in one too. One lock per mirror: sessions starting on the same URL at
 * once clone it once and never fetch into it at the same time.
 *
 * Credentials never reach the disk or a command line: the mirror's remote is the URL without them, and git
 * gets them from a credential helper that reads them from its environment. What git says is scrubbed before
 * anyone sees it. Only the transports of repo-url.ts are allowed (protocol.allow), so git itself refuses a
 * remote helper that runs commands, whatever a URL smuggles in.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { processAlive } from '../paths/fs-facts.js';
import { mirrorName, scrubText, type RepoUrl } from '../protocol/repo-url.js';

export type MirrorProblem = 'unreachable' | 'auth' | 'not-a-repository' | 'empty' | 'failed';

export class MirrorError extends Error {
  constructor(
    readonly problem: MirrorProblem,
    message: string,
  ) {
    super(message);
    this.name = 'MirrorError';
  }
}

/** What a session branches from: the remote's default branch and its commit. */
export interface MirrorBase {
  commit: string;
  branch: string | null;
}

export interface SyncedMirror {
  path: string;
  base: MirrorBase;
  /** whether this call cloned it (else it fetched into a mirror that was there) */
  cloned: boolean;
}

/**
 * The remote's branches and tags, but never a branch under agency/: those are the sessions' own, made in the
 * mirror, and a fetch must not move them (a session's branch pushed upstream for a pull request comes back).
 */
export const MIRROR_REFSPECS = ['+refs/heads/*:refs/heads/*', '^refs/heads/agency/*', '+refs/tags/*:refs/tags/*'];

/** The transports git may use for a mirror; every other one (ext::, fd::, remote helpers) is refused. */
const ALLOWED_PROTOCOLS = ['https', 'http', 'ssh', 'git', 'file'];

/** Answers git's `get` with the user and password from its environment; never stores anything. */
const CREDENTIAL_HELPER =
  '!f() { test "$1" = get || return 0; printf "username=%s\\npassword=%s\\n" "$AGENCY_GIT_USERNAME" "$AGENCY_GIT_PASSWORD"; }; f';

/** Where the mirror of url is kept under `mirrors`. */
export function mirrorPathFor(mirrors: string, url: RepoUrl): string {
  return join(mirrors, `${mirrorName(url.normal)}.git`);
}

/** The mirror of url under `mirrors`: cloned if it is not there yet, fetched otherwise; and what to branch from. */
export async function syncMirror(
  mirrors: string,
  url: RepoUrl,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SyncedMirror> {
  mkdirSync(mirrors, { recursive: true, mode: 0o700 });
  const path = mirrorPathFor(mirrors, url);
  return withMirrorLock(path, async () => {
    const cloned = !isRepo(path);
    if (cloned) await clone(url, path, env);
    else
      await network(
        url,
        'fetch',
        path,
        ['fetch', '--quiet', '--update-head-ok', '--no-write-fetch-head', 'origin'],
        env,
      );
    return { path: realpathSync(path), base: await defaultBase(path, url), cloned };
  });
}

/** A bare repository at path, made if it is missing, for the operator to push into. */
export async function ensureBareRepo(path: string): Promise<string> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return withMirrorLock(path, async () => {
    if (!isRepo(path)) {
      const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
      try {
        await git(['init', '--quiet', '--bare', tmp], { env: safeEnv(process.env, null) });
        await keepBareOwn(tmp);
        renameSync(tmp, path);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
    return realpathSync(path);
  });
}

/**
 * With per-worktree config on (worktrees use it for their excludes), git reads core.bare from the common
 * config in every worktree, and a worktree of a bare repository would think it has no work tree; kept in
 * the bare repository's own config.worktree, it holds for the repository alone.
 */
async function keepBareOwn(path: string): Promise<void> {
  const env = safeEnv(process.env, null);
  await git(['config', 'extensions.worktreeConfig', 'true'], { cwd: path, env });
  await git(['config', '--worktree', 'core.bare', 'true'], { cwd: path, env });
  await git(['config', '--unset', 'core.bare'], { cwd: path, env });
}

function isRepo(path: string): boolean {
  return existsSync(join(path, 'HEAD')) && existsSync(join(path, 'objects'));
}

/** Clones into a folder beside the mirror and renames it into place: a failed clone leaves nothing behind. */
async function clone(url: RepoUrl, path: string, env: NodeJS.ProcessEnv): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    await network(url, 'clone', null, ['clone', '--bare', '--quiet', '--', url.safe, tmp], env);
    const cfg = (args: string[]) => git(['config', ...args], { cwd: tmp, env: safeEnv(env, null) });
    await cfg(['--replace-all', 'remote.origin.fetch', MIRROR_REFSPECS[0]!]);
    for (const spec of MIRROR_REFSPECS.slice(1)) await cfg(['--add', 'remote.origin.fetch', spec]);
    await keepBareOwn(tmp);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The branch the remote's HEAD names (as the clone found it) and its commit after the fetch. */
async function defaultBase(path: string, url: RepoUrl): Promise<MirrorBase> {
  const env = safeEnv(process.env, null);
  const branch = (await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: path, env }).catch(() => '')).trim();
  const commit = branch
    ? (
        await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], { cwd: path, env }).catch(
          () => '',
        )
      ).trim()
    : '';
  if (!commit)
    throw new MirrorError(
      'empty',
      `the repository at ${url.safe} has no commits on its default branch${branch ? ` (${branch})` : ''}; push a first commit there, so a session can branch from it`,
    );
  return { commit, branch };
}

const WHAT: Record<Exclude<MirrorProblem, 'empty'>, string> = {
  unreachable: "its host cannot be reached from the node (check the address, and the node's network or proxy)",
  auth: "the node was refused (check the credentials: a token in an https URL, or the node's ssh key and its known_hosts entry for the host)",
  'not-a-repository': 'there is no git repository at that address (check the path)',
  failed: 'git failed',
};

export function classifyGitFailure(stderr: string): Exclude<MirrorProblem, 'empty'> {
  if (
    /Could not resolve (host|hostname)|Name or service not known|nodename nor servname|Connection refused|timed out|No route to host|Network is unreachable|Failed to connect|unable to connect|Connection reset|Connection closed by remote host/i.test(
      stderr,
    )
  )
    return 'unreachable';
  if (
    /Authentication failed|could not read (Username|Password)|Permission denied|Host key verification failed|error: 40[13]|Invalid username or password|access denied/i.test(
      stderr,
    )
  )
    return 'auth';
  if (
    /not found|does not appear to be a git repository|not a git repository|does not exist|No such file or directory|error: 404/i.test(
      stderr,
    )
  )
    return 'not-a-repository';
  return 'failed';
}

/** A clone or fetch of url; a failure becomes a MirrorError saying what went wrong, credentials scrubbed. */
async function network(
  url: RepoUrl,
  what: 'clone' | 'fetch',
  cwd: string | null,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  try {
    await git(args, { ...(cwd ? { cwd } : {}), env: safeEnv(env, url) });
  } catch (e) {
    const stderr = (e as GitFailure).stderr ?? (e as Error).message;
    const problem = classifyGitFailure(stderr);
    const said = scrubText(stderr, secrets(url))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-3)
      .join(' / ');
    throw new MirrorError(problem, `cannot ${what} ${url.safe}: ${WHAT[problem]}${said ? `. git said: ${said}` : ''}`);
  }
}

function secrets(url: RepoUrl): string[] {
  return url.credentials ? [url.credentials.password, url.credentials.username].filter(Boolean) : [];
}

/**
 * git's environment for a mirror: no prompt (a daemon has no one to ask), only the allowed transports, and
 * the URL's credentials (if any) through a helper reading them from the environment, not from a file or argv.
 */
export function safeEnv(base: NodeJS.ProcessEnv, url: RepoUrl | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_TERMINAL_PROMPT: '0' };
  delete env.GIT_ASKPASS;
  delete env.SSH_ASKPASS;
  delete env.AGENCY_GIT_USERNAME;
  delete env.AGENCY_GIT_PASSWORD;
  const config: [string, string][] = [
    ['protocol.allow', 'never'],
    ...ALLOWED_PROTOCOLS.map((p): [string, string] => [`protocol.${p}.allow`, 'always']),
    ['core.askPass', ''],
  ];
  if (url?.credentials) {
    config.push(['credential.helper', ''], ['credential.helper', CREDENTIAL_HELPER]);
    env.AGENCY_GIT_USERNAME = url.credentials.username;
    env.AGENCY_GIT_PASSWORD = url.credentials.password;
  }
  let n = Number(env.GIT_CONFIG_COUNT) || 0;
  for (const [k, v] of config) {
    env[`GIT_CONFIG_KEY_${n}`] = k;
    env[`GIT_CONFIG_VALUE_${n}`] = v;
    n++;
  }
  env.GIT_CONFIG_COUNT = String(n);
  return env;
}

interface GitFailure extends Error {
  stderr?: string;
}

function git(args: string[], o: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd: o.cwd, env: o.env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const f: GitFailure = new Error(`git ${args[0]} failed`);
      f.stderr = stderr || err.message;
      reject(f);
    });
  });
}

const held = new Map<string, Promise<void>>();

/**
 * Runs f holding the mirror's lock: one at a time in this process, and a lock file beside the mirror for
 * other processes (taken over when the process that left it is gone).
 */
export async function withMirrorLock<T>(path: string, f: () => Promise<T>): Promise<T> {
  const prev = held.get(path) ?? Promise.resolve();
  let release!: () => void;
  const mine = prev.then(() => new Promise<void>((r) => (release = r)));
  held.set(path, mine);
  await prev;
  const unlock = await lockFile(`${path}.lock`);
  try {
    return await f();
  } finally {
    unlock();
    release();
    if (held.get(path) === mine) held.delete(path);
  }
}

const LOCK_POLL_MS = 100;

async function lockFile(file: string): Promise<() => void> {
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (staleLock(file)) {
      try {
        unlinkSync(file);
      } catch {
        // another process took it over first
      }
      continue;
    }
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
}

/** A lock file is stale when the process it names is gone (or is this one, which holds the in-process lock). */
function staleLock(file: string): boolean {
  let text: string;
  let age: number;
  try {
    text = readFileSync(file, 'utf8');
    age = Date.now() - statSync(file).mtimeMs;
  } catch {
    return false; // gone already: the next try takes it
  }
  const pid = Number(text);
  // an empty file is one being written; only an old one is left over
  if (!text) return age > 10_000;
  return !Number.isInteger(pid) || pid <= 0 || pid === process.pid || !processAlive(pid);
}
