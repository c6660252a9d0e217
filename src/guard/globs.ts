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

/**
 * A Claude Code permission rule (`Tool`, `Tool(specifier)`), compiled for matching without a glob library
 * (rules.ts matches them, in the guard and in the node alike).
 */
export interface CompiledRule {
  rule: string;
  /** the tool name, or a regex source over tool names for `mcp__server__*` */
  tool: string;
  toolIsPattern: boolean;
  spec:
    | null
    | { kind: 'command'; re: string }
    | { kind: 'path'; globs: GlobRule[] }
    | { kind: 'domain'; host: string }
    /** a specifier agency does not interpret: never matches (so it never allows or denies by accident) */
    | { kind: 'opaque' };
}

const RULE_ALIASES: Record<string, string> = { Task: 'Agent' };

export function compileRule(rule: string): CompiledRule {
  const m = /^([^()]+?)(?:\((.*)\))?$/s.exec(rule.trim());
  const name = RULE_ALIASES[m?.[1] ?? ''] ?? m?.[1] ?? rule;
  const spec = m?.[2];
  const toolIsPattern = name.startsWith('mcp__') && /[*?]/.test(name);
  const tool = toolIsPattern ? picomatch.makeRe(name).source : name;
  const base = { rule, tool, toolIsPattern };
  if (spec === undefined || spec === '*') return { ...base, spec: null };
  if (name === 'Bash') {
    const pattern = spec.endsWith(':*') ? `${spec.slice(0, -2)} *` : spec;
    // `*` matches any run of characters, spaces included; `cmd *` also matches `cmd` alone
    const body = pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    const bare = pattern.endsWith(' *')
      ? `|${pattern
          .slice(0, -2)
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}`
      : '';
    return { ...base, spec: { kind: 'command', re: `^(?:${body}${bare})$` } };
  }
  if (name === 'Read' || name === 'Edit') {
    // Claude Code's path rules: `//abs`, `~/home`, `/` and `./` from the project root, bare ones at any depth
    const glob = spec.startsWith('//')
      ? spec.slice(1)
      : spec.startsWith('~/')
        ? spec
        : spec.startsWith('/')
          ? `.${spec}`
          : spec;
    return { ...base, spec: { kind: 'path', globs: compileGlobs([glob]) } };
  }
  if (name === 'WebFetch') {
    const d = /^domain:(.+)$/.exec(spec);
    return { ...base, spec: d ? { kind: 'domain', host: d[1]!.toLowerCase() } : { kind: 'opaque' } };
  }
  return { ...base, spec: { kind: 'opaque' } };
}
