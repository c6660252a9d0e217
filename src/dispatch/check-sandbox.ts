/**
 * The sandbox a discipline's check command runs in: the code it runs came from workers, so it is hostile.
 * It may write to the worktree it checks and to a private /tmp, read the rest of the system, and reach no
 * network. The node's home (its socket, key and node.env), the user's credentials (ssh, cloud and gh logins,
 * Claude Code's), every unix socket under /run, and git's own files (hooks and config that agency's git
 * would later run) are out of its reach; so are the files the session had changed but not committed.
 *
 * Linux: bubblewrap. macOS: sandbox-exec with the Seatbelt profile below (written to the same rules, but not
 * exercised by the tests, which run on Linux).
 */
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';

/** What the check may touch: its worktree, and the git folders that worktree reads (read-only). */
export interface SandboxPlan {
  /** the worktree, writable */
  dir: string;
  /** git's folders for the worktree (its own and the repository's common one), readable only */
  gitDirs: string[];
  /** paths inside dir the check must not change (the session's own uncommitted files) */
  protect: string[];
  /** the environment the check gets (HOME and AGENCY_HOME are read from it too) */
  env: NodeJS.ProcessEnv;
}

/** Folders under the user's home that hold logins, hidden from the check. */
const SECRET_DIRS = ['.ssh', '.aws', '.config/gh', '.gnupg', '.kube', '.docker', '.config/gcloud', '.azure'];
/** Files under the user's home that hold logins, hidden from the check. */
const SECRET_FILES = ['.claude.json', '.claude/.credentials.json', '.netrc', '.git-credentials', '.npmrc', '.pypirc'];

const canonical = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};
const inside = (p: string, dir: string) => {
  const r = relative(dir, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** The node's homes and the user's, as this process and the check's environment name them. */
function homes(env: NodeJS.ProcessEnv): { agency: string[]; user: string[] } {
  const user = [...new Set([homedir(), env.HOME, process.env.HOME].filter((h): h is string => !!h))];
  const agency = [process.env.AGENCY_HOME, env.AGENCY_HOME]
    .filter((h): h is string => !!h)
    .concat(user.map((h) => join(h, '.agency')));
  return { agency: [...new Set(agency)], user };
}

/** Every path the check must not read, folders and files apart; only those that exist. */
export function hiddenPaths(env: NodeJS.ProcessEnv): { dirs: string[]; files: string[] } {
  const h = homes(env);
  const dirs = [...h.agency, ...h.user.flatMap((u) => SECRET_DIRS.map((d) => join(u, d)))];
  const files = h.user.flatMap((u) => SECRET_FILES.map((f) => join(u, f)));
  for (const c of [env.CLAUDE_CONFIG_DIR, process.env.CLAUDE_CONFIG_DIR].filter((c): c is string => !!c))
    files.push(join(c, '.claude.json'), join(c, '.credentials.json'));
  const kind = (p: string) => {
    try {
      return lstatSync(canonical(p)).isDirectory() ? 'dir' : 'file';
    } catch {
      return null;
    }
  };
  const uniq = (ps: string[]) => [...new Set(ps.map(canonical))];
  return {
    dirs: uniq([...dirs, ...files].filter((p) => kind(p) === 'dir')),
    files: uniq([...dirs, ...files].filter((p) => kind(p) === 'file')),
  };
}

/** Folders the sandbox replaces with empty ones of its own: what is hidden under them is hidden already. */
const PRIVATE = ['/tmp', '/var/tmp', '/run'];

/** The plan's protected paths that are files or folders of the worktree (not links: a link is not followed). */
function protectedPaths(dir: string, protect: string[]): string[] {
  return protect
    .map((p) => join(dir, p))
    .filter((p) => inside(p, dir) && p !== dir)
    .filter((p) => {
      try {
        return !lstatSync(p).isSymbolicLink();
      } catch {
        return false;
      }
    });
}

/** bubblewrap's arguments for a shell running command in the plan's worktree. */
export function bwrapArgs(plan: SandboxPlan, command: string): string[] {
  const dir = canonical(plan.dir);
  const hidden = hiddenPaths(plan.env);
  const hide = (within: (p: string) => boolean) => [
    ...hidden.dirs.filter(within).flatMap((d) => ['--tmpfs', d]),
    ...hidden.files.filter(within).flatMap((f) => ['--ro-bind', '/dev/null', f]),
  ];
  const gitDirs = [...new Set(plan.gitDirs.map(canonical))].filter((g) => existsSync(g) && !inside(g, dir));
  const dotGit = join(dir, '.git');
  const exposed = (p: string) => inside(p, dir) || gitDirs.some((g) => inside(p, g));
  return [
    ...['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'],
    // a private /tmp; and unix sockets of the system's services (a container engine's among them), which a
    // read-only mount does not stop, are out of sight
    ...PRIVATE.filter((p) => existsSync(p)).flatMap((p) => ['--tmpfs', p]),
    ...hide((p) => !PRIVATE.some((d) => inside(p, d))),
    ...['--bind', dir, dir],
    ...gitDirs.flatMap((g) => ['--ro-bind', g, g]),
    ...(existsSync(dotGit) ? ['--ro-bind', dotGit, dotGit] : []),
    ...protectedPaths(dir, plan.protect).flatMap((p) => ['--ro-bind', p, p]),
    // what the worktree or git's folders brought back into view (a worktree under the node's home) is hidden again
    ...hide(exposed),
    // and the empty folders that hide are read-only (once the mounts inside them are made)
    ...hidden.dirs.filter((d) => !PRIVATE.some((p) => inside(d, p)) || exposed(d)).flatMap((d) => ['--remount-ro', d]),
    ...['--chdir', dir, '--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts'],
    ...['--die-with-parent', '--new-session', '--', '/bin/sh', '-c', command],
  ];
}

const sb = (s: string) => JSON.stringify(s);

/**
 * The Seatbelt profile for sandbox-exec on macOS, to the same rules: every read but the hidden paths'; writes
 * only to the worktree (not its git files or protected paths) and the temporary folders; no network. A later
 * rule takes precedence over an earlier one.
 */
export function seatbeltProfile(plan: SandboxPlan): string {
  const dir = canonical(plan.dir);
  const hidden = hiddenPaths(plan.env);
  const gitDirs = plan.gitDirs.map(canonical);
  return [
    '(version 1)',
    '(allow default)',
    '(deny network*)',
    '(deny file-write*)',
    '(allow file-write* (subpath "/private/tmp") (subpath "/private/var/folders") (literal "/dev/null"))',
    ...hidden.dirs.map((d) => `(deny file-read* (subpath ${sb(d)}))`),
    ...hidden.files.map((f) => `(deny file-read* (literal ${sb(f)}))`),
    `(allow file-read* file-write* (subpath ${sb(dir)}))`,
    ...gitDirs.map((g) => `(allow file-read* (subpath ${sb(g)}))`),
    `(deny file-write* (subpath ${sb(join(dir, '.git'))}))`,
    ...gitDirs.map((g) => `(deny file-write* (subpath ${sb(g)}))`),
    ...protectedPaths(dir, plan.protect).map((p) => `(deny file-write* (subpath ${sb(p)}))`),
  ].join('\n');
}
