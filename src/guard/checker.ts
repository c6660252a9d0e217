/** The policy, compiled for one tool call: path tests bound to the worktree, home and cwd. */
import { canonical, exists, globMatcher, isInside, isUnknown, type PathContext } from './paths.js';
import type { GuardPolicy } from './policy.js';

export interface Checker {
  policy: GuardPolicy;
  ctx: PathContext;
  writable(abs: string): boolean;
  /** why writing (or deleting) this path is forbidden, or null */
  writeProblem(path: string, verb?: 'write to' | 'delete'): string | null;
  /**
   * why reading this path is forbidden, or null. A word in a shell command is only a path if a file of
   * that name exists (`grep api.key src` reads no key file): pass onlyExisting for those.
   */
  readProblem(path: string, onlyExisting?: boolean): string | null;
}

const DEVICES = /^\/dev\/(null|zero|stdout|stderr|stdin|tty|fd\/\d+)$/;

export function makeChecker(policy: GuardPolicy, ctx: PathContext): Checker {
  const writable = globMatcher(policy.matchers.writable, ctx);
  const secret = globMatcher(policy.matchers.secret, ctx);
  const protectedPath = globMatcher(policy.matchers.protected, ctx);
  return {
    policy,
    ctx,
    writable,
    writeProblem(path, verb = 'write to') {
      if (isUnknown(path) || DEVICES.test(path)) return null;
      const p = canonical(path, ctx);
      if (isInside(p, ctx.root)) {
        return protectedPath(p)
          ? `${p} is agency's own configuration for this session; the session may not change it`
          : null;
      }
      if (writable(p)) return null;
      return `may not ${verb} ${p}: it is outside the worktree ${ctx.root}`;
    },
    readProblem(path, onlyExisting = false) {
      if (isUnknown(path) || DEVICES.test(path)) return null;
      const p = canonical(path, ctx);
      if (!secret(p) || (onlyExisting && !exists(p))) return null;
      return `${p} is a secret file; reading it is forbidden`;
    },
  };
}
