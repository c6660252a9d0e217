/**
 * Policy globs, compiled once by `agency compile` into regular expressions stored in the policy file, so
 * that the guard (which starts before every tool call) neither bundles nor runs a glob compiler.
 * gitignore-style: later patterns win and `!` negates. `/x` is absolute, `./x` is in the worktree, `~/x`
 * in the home folder, and anything else matches at any depth.
 */
import { realpathSync } from 'node:fs';
import picomatch from 'picomatch';

export type Anchor = 'home' | 'root' | 'abs' | 'any';
export interface GlobRule {
  negate: boolean;
  anchor: Anchor;
  /** regex source, matched against the path relative to the anchor (absolute: without its leading `/`) */
  re: string;
}

export function compileGlobs(patterns: readonly string[]): GlobRule[] {
  return withRealPrefixes(patterns).map((raw) => {
    const negate = raw.startsWith('!');
    let body = negate ? raw.slice(1) : raw;
    let anchor: Anchor;
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
    body = body.replace(/\/+$/, '');
    // the pattern itself, or anything below a folder it names
    const re = `(?:${picomatch.makeRe(body, { dot: true }).source})|(?:${picomatch.makeRe(`${body}/**`, { dot: true }).source})`;
    return { negate, anchor, re };
  });
}

/** Branch-name globs (`release/*`) as one regex source. */
export function compileBranchGlobs(patterns: readonly string[]): string {
  if (patterns.length === 0) return '(?!)';
  return patterns.map((p) => `(?:${picomatch.makeRe(p, { dot: true }).source})`).join('|');
}

/** `/tmp/**` also as `/private/tmp/**` where /tmp is a link (macOS), since the guard compares canonical paths. */
function withRealPrefixes(patterns: readonly string[]): string[] {
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
