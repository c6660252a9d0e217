/**
 * Expands a parsed word the way bash would, as far as it can be known before it runs: braces, `~`, the
 * variables whose values are known, and globs against the real file system. What cannot be known is
 * marked with UNKNOWN. A glob that matches nothing stays as its literal text (bash's default) and is
 * flagged, so that checks judge the pattern itself.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { List, Part, Word } from './shell-ast.js';
import { UNKNOWN } from './paths.js';

export interface Field {
  text: string;
  /** a glob that matched nothing: its text is a pattern, not a file */
  pattern?: boolean;
}

export interface ExpandContext {
  /** the folder the command runs in, or null when it cannot be known */
  cwd: string | null;
  home: string;
  /** a variable's value: a string, or null when unknown */
  value(name: string): string | null;
  /** the value of a command substitution the guard can compute (`$(pwd)`), or null */
  subValue(body: List): string | null;
}

const MAX_FIELDS = 512;
const MAX_MATCHES = 4096;
const SPECIAL = /[\\*?[\]{},]/g;

const esc = (s: string) => s.replace(SPECIAL, '\\$&');

/** The word as a pattern: quoted text escaped, unknown parts marked. */
function pattern(parts: Part[], x: ExpandContext): string {
  let out = '';
  for (const p of parts) {
    switch (p.k) {
      case 'lit':
        out += p.q ? esc(p.v) : p.v;
        break;
      case 'tilde':
        if (p.user === '') {
          const home = x.value('HOME');
          out += home === null ? UNKNOWN : esc(home);
        } else if (p.user === '+' && x.cwd !== null) out += esc(x.cwd);
        else out += UNKNOWN;
        break;
      case 'var': {
        const v = p.other ? null : x.value(p.name);
        if (v === null) out += UNKNOWN;
        else if (p.q) out += esc(v);
        // unquoted: globbing applies to the value, braces do not; a value that would split is unknown
        else out += /[\s]/.test(v) ? UNKNOWN : v.replace(/[\\{},]/g, '\\$&');
        break;
      }
      case 'sub': {
        const v = x.subValue(p.body);
        out += v === null ? UNKNOWN : esc(v);
        break;
      }
      default:
        out += UNKNOWN;
    }
  }
  return out;
}

export function unescape(s: string): string {
  return s.replace(/\\(.)/gs, '$1');
}

/** Brace expansion of a pattern (escapes respected); null when it would make too many words. */
export function braces(s: string, budget = { n: MAX_FIELDS }): string[] | null {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c !== '{') continue;
    let depth = 0;
    const commas: number[] = [];
    let end = -1;
    for (let j = i; j < s.length; j++) {
      const d = s[j];
      if (d === '\\') {
        j++;
        continue;
      }
      if (d === '{') depth++;
      else if (d === '}' && --depth === 0) {
        end = j;
        break;
      } else if (d === ',' && depth === 1) commas.push(j);
    }
    if (end < 0) return [s];
    const head = s.slice(0, i);
    const tail = s.slice(end + 1);
    let alts: string[] | null;
    if (commas.length > 0) {
      alts = [];
      let from = i + 1;
      for (const k of [...commas, end]) {
        alts.push(s.slice(from, k));
        from = k + 1;
      }
    } else alts = sequence(s.slice(i + 1, end));
    if (alts === null) continue;
    const out: string[] = [];
    for (const a of alts) {
      const more = braces(head + a + tail, budget);
      if (more === null) return null;
      out.push(...more);
      if ((budget.n -= more.length) < 0) return null;
    }
    return out;
  }
  return [s];
}

function sequence(body: string): string[] | null {
  const m = /^(-?\d+|[a-zA-Z])\.\.(-?\d+|[a-zA-Z])(?:\.\.(-?\d+))?$/.exec(body);
  if (!m) return null;
  const [a, b] = [m[1] as string, m[2] as string];
  const step = Math.abs(Number(m[3] ?? 1)) || 1;
  const num = /\d/.test(a) && /\d/.test(b);
  if (!num && (/\d/.test(a) || /\d/.test(b))) return null;
  const from = num ? Number(a) : a.charCodeAt(0);
  const to = num ? Number(b) : b.charCodeAt(0);
  if (Math.abs(to - from) / step > MAX_FIELDS) return [UNKNOWN];
  const out: string[] = [];
  for (let v = from; from <= to ? v <= to : v >= to; v += from <= to ? step : -step)
    out.push(num ? String(v) : String.fromCharCode(v));
  return out;
}

export function hasGlob(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?') return true;
    else if (c === '[' && s.indexOf(']', i + 2) > 0) return true;
  }
  return false;
}

/** One path segment of a glob as a regex. */
export function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '\\') {
      re += (seg[++i] ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, close);
        const neg = body.startsWith('!') || body.startsWith('^');
        if (neg) body = body.slice(1);
        re += `[${neg ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/^\]/, '\\]')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** The files a glob matches, sorted; null when there are too many to list. */
export function globFiles(pat: string, cwd: string): string[] | null {
  const abs = pat.startsWith('/');
  const segs = pat.split('/').filter((s, i) => s !== '' || i === 0);
  let paths = [abs ? '/' : ''];
  const join = (p: string, seg: string) => (p === '' ? seg : p.endsWith('/') ? p + seg : `${p}/${seg}`);
  let count = 0;
  for (const seg of abs ? segs.slice(1) : segs) {
    if (!hasGlob(seg)) {
      paths = paths.map((p) => join(p, unescape(seg)));
      continue;
    }
    const re = segmentRegex(seg);
    const dots = seg.startsWith('.') || seg.startsWith('\\.');
    const next: string[] = [];
    for (const p of paths) {
      let names: string[];
      try {
        names = readdirSync(resolve(cwd, p === '' ? '.' : p));
      } catch {
        continue;
      }
      for (const n of names) {
        if ((n.startsWith('.') && !dots) || !re.test(n)) continue;
        next.push(join(p, n));
        if (++count > MAX_MATCHES) return null;
      }
    }
    paths = next;
  }
  return paths.filter((p) => exists(resolve(cwd, p))).sort();
}

function exists(p: string): boolean {
  try {
    return lstatSync(p, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

export function expandWord(w: Word, x: ExpandContext): Field[] {
  const pat = pattern(w.parts, x);
  const expanded = braces(pat);
  if (expanded === null) return [{ text: UNKNOWN }];
  const out: Field[] = [];
  for (const e of expanded) {
    if (e.includes(UNKNOWN) || !hasGlob(e)) {
      out.push({ text: unescape(e) });
      continue;
    }
    const relative = !isAbsolute(unescape(e));
    const files = relative && x.cwd === null ? null : globFiles(e, x.cwd ?? '/');
    if (files === null || files.length === 0) out.push({ text: unescape(e), pattern: true });
    else for (const f of files) out.push({ text: f });
  }
  return out;
}

/** A word's value as one string, without globbing (assignment values, here-strings, case words). */
export function expandString(parts: Part[], x: ExpandContext): string {
  return unescape(pattern(parts, x));
}
