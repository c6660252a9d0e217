/** Claude Code's own tools (Read, Grep, Write, Edit, WebFetch…): what they would read, write or reach. */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Checker } from './checker.js';
import { braces, unescape } from './expand.js';
import { hostProblem } from './hosts.js';
import type { Findings } from './verdict.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const MAX_ENTRIES = 5000;

export function checkTool(tool: string, ti: Record<string, unknown>, c: Checker, f: Findings): void {
  switch (tool) {
    case 'Read':
    case 'NotebookRead': {
      const p = str(ti.file_path) ?? str(ti.notebook_path);
      if (p) f.add('deny', c.readProblem(p));
      return;
    }
    case 'Grep':
      grep(ti, c, f);
      return;
    case 'Glob':
    case 'LS': {
      const p = str(ti.path);
      if (p) f.add('deny', c.readProblem(p));
      return;
    }
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
    case 'NotebookEdit': {
      const p = str(ti.file_path) ?? str(ti.notebook_path);
      if (!p) f.add('deny', `${tool} call without a file path`);
      else f.add('deny', c.writeProblem(p) ?? (tool === 'Write' ? null : c.readProblem(p)));
      return;
    }
    case 'WebFetch': {
      const url = str(ti.url);
      if (!url) return;
      try {
        f.add('deny', hostProblem(new URL(url).hostname, c.policy.network));
      } catch {
        f.add('deny', `WebFetch of an invalid URL: ${url}`);
      }
      return;
    }
  }
}

/** Grep reads the files under its path that its glob selects: neither may reach a secret file. */
function grep(ti: Record<string, unknown>, c: Checker, f: Findings): void {
  const base = str(ti.path) ?? c.ctx.cwd;
  f.add('deny', c.readProblem(base));
  const glob = str(ti.glob);
  if (!glob) return;
  const dir = c.resolve(base);
  if (dir === null) return;
  for (const g of (braces(glob.replace(/\\/g, '\\\\')) ?? [glob]).map(unescape)) {
    const neg = g.startsWith('!');
    if (neg) continue;
    // the glob as written: `.env`, `**/*.pem`, `id_*` name secret files by their own pattern
    for (const lit of g.includes('/') ? [join(dir, g)] : [join(dir, g), join(dir, 'x', g)]) {
      const why = c.readProblem(lit);
      if (why) {
        f.add('deny', `Grep with glob ${glob} reaches secret files (${why})`);
        return;
      }
    }
    // and the files it would select here
    const re = globRegex(g);
    const hit = walk(
      dir,
      (rel) =>
        re.test(g.includes('/') ? rel : (rel.split('/').pop() as string)) && c.readProblem(join(dir, rel)) !== null,
    );
    if (hit) {
      f.add('deny', `Grep with glob ${glob} reaches ${resolve(dir, hit)}, a secret file; reading it is forbidden`);
      return;
    }
  }
}

/** ripgrep's glob syntax as a regex; `*` does not match a leading dot. */
function globRegex(g: string): RegExp {
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const ch = g[i] as string;
    const atStart = i === 0 || g[i - 1] === '/';
    if (g.startsWith('**/', i)) {
      re += '(?:[^/]*/)*';
      i += 2;
    } else if (g.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (ch === '*') re += atStart ? '(?!\\.)[^/]*' : '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = g.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        re += `[${g
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The first file under dir (relative path) that matches, looking at no more than MAX_ENTRIES entries. */
function walk(dir: string, match: (rel: string) => boolean): string | null {
  const queue = [''];
  let seen = 0;
  while (queue.length > 0) {
    const rel = queue.shift() as string;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) return null;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== '.git' && e.name !== 'node_modules') queue.push(r);
      } else if (match(r)) return r;
    }
  }
  return null;
}
