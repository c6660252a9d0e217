/** Where a path really points, and whether it is inside the worktree or matches a policy glob. */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';

export interface PathContext {
  /** the worktree, canonical (symlinks resolved) */
  root: string;
  home: string;
  cwd: string;
}

/** Marks a part of a word the guard cannot know, such as `$VAR` or `$(cmd)`. */
export const UNKNOWN = '\u0001';

export function isUnknown(word: string): boolean {
  return word.includes(UNKNOWN);
}

/**
 * Absolute, canonical path: `~` expanded, relative paths taken from cwd, and symlinks resolved on the
 * longest prefix that exists (so a link inside the worktree that points out of it is seen as outside).
 */
export function canonical(p: string, ctx: PathContext): string {
  let abs = p === '~' ? ctx.home : p.startsWith('~/') ? join(ctx.home, p.slice(2)) : p;
  abs = isAbsolute(abs) ? resolve(abs) : resolve(ctx.cwd, abs);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(head);
      return tail.length ? join(real, ...tail.reverse()) : real;
    } catch {
      const parent = dirname(head);
      if (parent === head) return abs;
      tail.push(basename(head));
      head = parent;
    }
  }
}

export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * gitignore-style matching: later patterns win and `!` negates. `/x` is absolute, `./x` is in the
 * worktree, `~/x` in the home folder, and anything else matches at any depth.
 */
export function globMatcher(patterns: string[], ctx: PathContext): (absPath: string) => boolean {
  const rules = withRealPrefixes(patterns).map((raw) => {
    const negate = raw.startsWith('!');
    let body = negate ? raw.slice(1) : raw;
    let anchor: 'home' | 'root' | 'abs' | 'any';
    if (body.startsWith('~/')) {
      anchor = 'home';
      body = body.slice(2);
    } else if (body.startsWith('/')) {
      anchor = 'abs';
      body = body.replace(/^\/+/, '');
    } else if (body.startsWith('./')) {
      anchor = 'root';
      body = body.slice(2);
    } else {
      anchor = 'any';
      if (!body.startsWith('**/')) body = `**/${body}`;
    }
    const isMatch = picomatch(body, { dot: true });
    const isMatchDir = picomatch(`${body}/**`, { dot: true });
    return { negate, anchor, test: (s: string) => isMatch(s) || isMatchDir(s) };
  });
  return (absPath) => {
    let result = false;
    const relRoot = isInside(absPath, ctx.root) ? relative(ctx.root, absPath) : null;
    const relHome = isInside(absPath, ctx.home) ? relative(ctx.home, absPath) : null;
    const fromSlash = absPath.slice(1);
    for (const r of rules) {
      let hit: boolean;
      if (r.anchor === 'home') hit = relHome !== null && relHome !== '' && r.test(relHome);
      else if (r.anchor === 'root') hit = relRoot !== null && relRoot !== '' && r.test(relRoot);
      else if (r.anchor === 'abs') hit = r.test(fromSlash);
      else hit = (relRoot !== null && relRoot !== '' && r.test(relRoot)) || r.test(fromSlash);
      if (hit) result = !r.negate;
    }
    return result;
  };
}

/** `/tmp/**` also as `/private/tmp/**` where /tmp is a link (macOS), since paths are compared canonical. */
function withRealPrefixes(patterns: string[]): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    out.push(p);
    const neg = p.startsWith('!') ? '!' : '';
    const body = p.slice(neg.length);
    if (!body.startsWith('/')) continue;
    const glob = body.search(/[*?[{]/);
    const prefix = glob < 0 ? body : body.slice(0, body.lastIndexOf('/', glob) + 1);
    try {
      const real = realpathSync(prefix);
      const withSlash = prefix.endsWith('/') && !real.endsWith('/') ? `${real}/` : real;
      if (withSlash !== prefix) out.push(neg + withSlash + body.slice(prefix.length));
    } catch {
      // a prefix that does not exist has no other name
    }
  }
  return out;
}
