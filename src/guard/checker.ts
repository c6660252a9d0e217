/** The policy, compiled for one tool call: path tests bound to the worktree, home and a working folder. */
import { readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { canonical, exists, globMatcher, isInside, isUnknown, UNKNOWN, type PathContext } from './paths.js';
import type { GuardPolicy } from './policy.js';

export type WriteVerb = 'write to' | 'delete' | 'move';

export interface Checker {
  policy: GuardPolicy;
  ctx: PathContext;
  /** the working folder, or null when a `cd` made it unknowable */
  cwd: string | null;
  /** the same checker for commands that run in another folder */
  at(cwd: string | null): Checker;
  writable(abs: string): boolean;
  /** absolute and canonical, or null when the path cannot be known */
  resolve(path: string): string | null;
  /** why writing (deleting, moving) this path is forbidden, or null */
  writeProblem(path: string, verb?: WriteVerb): string | null;
  /**
   * why reading this path is forbidden, or null. A word in a shell command is only a path if a file of
   * that name exists (`grep api.key src` reads no key file): pass onlyExisting for those.
   */
  readProblem(path: string, onlyExisting?: boolean): string | null;
  /** agency's own files that exist in the worktree (for deletions that match files by name) */
  protectedFiles(): string[];
}

const DEVICES = /^\/dev\/(null|zero|full|random|urandom|stdout|stderr|stdin|tty|fd\/\d+)$/;
const NET_DEVICE = /^\/dev\/(tcp|udp)\//;
/** a process's environment: tokens, whatever the policy lists */
const ENVIRON = /^\/proc\/[^/]+\/(?:task\/[^/]+\/)?environ$/;

export function makeChecker(policy: GuardPolicy, ctx: PathContext): Checker {
  const writableGlobs = globMatcher(policy.matchers.writable, ctx);
  const secret = globMatcher(policy.matchers.secret, ctx);
  const protectedPath = globMatcher(policy.matchers.protected, ctx);
  const tmp = policy.tmpDir ? canonical(policy.tmpDir, ctx) : null;
  // the folders and files the protected globs name, for deletions and moves of a folder that holds them
  const protectedRoots = policy.protectedPaths.map((p) => join(ctx.root, p.replace(/\/?[^/]*[*?[{].*$/, '')));
  let ownFiles: string[] | undefined;
  const protectedFiles = () => (ownFiles ??= protectedRoots.flatMap((r) => filesUnder(r, 200)));
  const writable = (abs: string) => writableGlobs(abs) || (tmp !== null && isInside(abs, tmp));
  const isSecret = (abs: string) => secret(abs) || ENVIRON.test(abs);
  const outside = (p: string, verb: WriteVerb) =>
    `may not ${verb} ${p}: it is outside the worktree ${ctx.root}` +
    (tmp ? ` and the session's temporary folder ${tmp}` : '');

  const bind = (cwd: string | null): Checker => {
    const here: PathContext = { ...ctx, cwd: cwd ?? ctx.root };
    const tilde = (p: string) => p === '~' || p.startsWith('~/');
    const resolvePath = (path: string): string | null => {
      if (isUnknown(path)) return null;
      if (cwd === null && !isAbsolute(path) && !tilde(path)) return null;
      return canonical(path, here);
    };
    const known = (p: string, verb: WriteVerb): string | null => {
      if (isInside(p, ctx.root)) {
        if (protectedPath(p))
          return `${p} is agency's own configuration for this session; the session may not change it`;
        if (verb !== 'write to' && p !== ctx.root && protectedRoots.some((r) => isInside(r, p)))
          return `${verb === 'delete' ? 'deleting' : 'moving'} ${p} would take agency's own configuration for this session with it`;
        return null;
      }
      return writable(p) ? null : outside(p, verb);
    };
    return {
      policy,
      ctx: here,
      cwd,
      at: bind,
      writable,
      protectedFiles,
      resolve: resolvePath,
      writeProblem(path, verb = 'write to') {
        if (DEVICES.test(path) || NET_DEVICE.test(path)) return null;
        const p = resolvePath(path);
        if (p !== null) return known(p, verb);
        // partly unknown: judge the folder its known beginning names, when there is one
        const head = path.split(UNKNOWN)[0] as string;
        const slash = head.lastIndexOf('/');
        if (slash < 0 || (cwd === null && !isAbsolute(head) && !tilde(head))) return null;
        const dir = canonical(head.slice(0, slash) || '/', here);
        if (isInside(dir, ctx.root)) {
          return protectedRoots.some((r) => isInside(r, dir))
            ? `cannot tell whether this would change agency's own configuration under ${dir}`
            : null;
        }
        return writable(dir) ? null : outside(`${dir}/…`, verb);
      },
      readProblem(path, onlyExisting = false) {
        if (DEVICES.test(path) || NET_DEVICE.test(path)) return null;
        const p = resolvePath(path);
        if (p !== null) {
          if (!isSecret(p) || (onlyExisting && !exists(p))) return null;
          return `${p} is a secret file; reading it is forbidden`;
        }
        // partly unknown: each unknown part taken as one name, the known parts judged as they are
        const guess = path.replaceAll(UNKNOWN, 'x');
        const abs = isAbsolute(guess)
          ? guess
          : tilde(guess)
            ? join(ctx.home, guess.slice(2))
            : cwd === null
              ? `/x/${guess}`
              : resolve(cwd, guess);
        const g = canonical(abs, here);
        if (!isSecret(g)) return null;
        return `cannot tell which file ${path.replaceAll(UNKNOWN, '…')} is, and it may be a secret one (${g}); reading it is forbidden`;
      },
    };
  };
  return bind(ctx.cwd);
}

/** a file, or the files in a folder (to a limit) */
function filesUnder(p: string, limit: number): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(p, { withFileTypes: true });
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? [p] : [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (out.length >= limit) break;
    out.push(...(e.isDirectory() ? filesUnder(join(p, e.name), limit - out.length) : [join(p, e.name)]));
  }
  return out;
}
