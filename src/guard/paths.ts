/** Where a path really points, and whether it is inside the worktree or matches a policy glob. */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { GlobRule } from './globs.js';

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
    if (exists(head)) {
      try {
        const real = realpathSync.native(head);
        return tail.length ? join(real, ...tail.reverse()) : real;
      } catch {
        // vanished or unreadable: treat as not existing and keep walking up
      }
    }
    const parent = dirname(head);
    if (parent === head) return abs;
    tail.push(basename(head));
    head = parent;
  }
}

/** Existence without an exception for the common "no such file" (exceptions are slow, and most words are not files). */
export function exists(p: string): boolean {
  try {
    return statSync(p, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** Tests canonical paths against compiled policy globs (see globs.ts); the last rule that matches decides. */
export function globMatcher(rules: readonly GlobRule[], ctx: PathContext): (absPath: string) => boolean {
  const compiled = rules.map((r) => ({ ...r, test: new RegExp(r.re) }));
  return (absPath) => {
    let result = false;
    const relRoot = isInside(absPath, ctx.root) ? relative(ctx.root, absPath) : null;
    const relHome = isInside(absPath, ctx.home) ? relative(ctx.home, absPath) : null;
    const fromSlash = absPath.slice(1);
    for (const r of compiled) {
      let hit: boolean;
      if (r.anchor === 'home') hit = relHome !== null && relHome !== '' && r.test.test(relHome);
      else if (r.anchor === 'root') hit = relRoot !== null && relRoot !== '' && r.test.test(relRoot);
      else if (r.anchor === 'abs') hit = r.test.test(fromSlash);
      else hit = (relRoot !== null && relRoot !== '' && r.test.test(relRoot)) || r.test.test(fromSlash);
      if (hit) result = !r.negate;
    }
    return result;
  };
}
