/** Splits a shell command line into simple commands with their redirections, as far as it can be known statically. */
import { parse, type ParseEntry } from 'shell-quote';
import { UNKNOWN } from './paths.js';

export interface SimpleCommand {
  /** words; a word that came from a glob keeps its pattern text; unknown parts are marked with UNKNOWN */
  argv: string[];
  /** files written by `>`, `>>`, `>|`, `&>` */
  writes: string[];
  /** files read by `<` */
  reads: string[];
}

const SEPARATORS = new Set([';', '&&', '||', '|', '|&', '&', '(', ')', ';;', '<(', '>(']);
const WRITE_OPS = new Set(['>', '>>', '>|', '&>', '&>>']);

/**
 * Rewrites what shell-quote does not understand into what it does: unquoted newlines become `;`, and
 * backtick substitutions become `$( … )`. Quotes are respected.
 */
function normalise(cmd: string): string {
  let out = '';
  let quote: '"' | "'" | null = null;
  let backtick = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i] as string;
    if (c === '\\' && quote !== "'" && i + 1 < cmd.length) {
      const next = cmd[i + 1] as string;
      out += next === '\n' ? '' : c + next;
      i++;
      continue;
    }
    if (quote) {
      if (c === quote) quote = null;
      if (c === '`' && quote === '"') {
        out += backtick ? ')' : '$(';
        backtick = !backtick;
        continue;
      }
      out += c;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    if (c === '`') {
      out += backtick ? ' ) ' : ' $( ';
      backtick = !backtick;
      continue;
    }
    out += c === '\n' ? ' ; ' : c;
  }
  return out;
}

export function splitCommands(cmd: string, env: (name: string) => string | undefined): SimpleCommand[] {
  const entries = parse(normalise(cmd), (name: string) => env(name) ?? `${UNKNOWN}${name}${UNKNOWN}`);
  const out: SimpleCommand[] = [];
  let cur: SimpleCommand = { argv: [], writes: [], reads: [] };
  const flush = () => {
    if (cur.argv.length > 0 || cur.writes.length > 0 || cur.reads.length > 0) out.push(cur);
    cur = { argv: [], writes: [], reads: [] };
  };
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as ParseEntry;
    if (typeof e === 'string') {
      cur.argv.push(e);
      continue;
    }
    if ('comment' in e) continue;
    if ('op' in e) {
      if (e.op === 'glob') {
        cur.argv.push((e as { pattern: string }).pattern);
        continue;
      }
      if (SEPARATORS.has(e.op)) {
        flush();
        continue;
      }
      const target = entries[i + 1];
      const word =
        typeof target === 'string'
          ? target
          : target && 'pattern' in target
            ? (target as { pattern: string }).pattern
            : null;
      if (e.op === '>&' || e.op === '<&') {
        // fd duplication (2>&1) names no file; `>& file` does
        if (word !== null && !/^\d+$|^-$/.test(word)) cur.writes.push(word);
        if (word !== null) i++;
        continue;
      }
      if (word === null) continue;
      if (WRITE_OPS.has(e.op)) cur.writes.push(word);
      else if (e.op === '<') cur.reads.push(word);
      i++;
    }
  }
  flush();
  // A stray fd number before a redirection (the 2 of `2>file`) is not an argument.
  for (const c of out)
    if (c.writes.length + c.reads.length > 0) c.argv = c.argv.filter((w, i) => !(i > 0 && /^\d$/.test(w)));
  return out;
}

/**
 * Drops leading `VAR=value` assignments and wrappers that run the rest as a command. Through `xargs`,
 * the command gets arguments nobody can see: an UNKNOWN word stands for them.
 */
export function unwrap(argv: string[]): string[] {
  let a = argv;
  let viaXargs = false;
  for (;;) {
    while (a.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a[0] as string)) a = a.slice(1);
    const head = a[0];
    if (head === undefined) return a;
    const name = head.split('/').pop() as string;
    if (WRAPPERS.has(name)) {
      if (name === 'xargs') viaXargs = true;
      a = skipOptions(a.slice(1), WRAPPERS.get(name) as Set<string>);
      continue;
    }
    return viaXargs ? [...a, `${UNKNOWN}xargs${UNKNOWN}`] : a;
  }
}

/** wrapper → its options that take a value */
const WRAPPERS = new Map<string, Set<string>>([
  ['sudo', new Set(['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U'])],
  ['doas', new Set(['-u', '-C'])],
  ['env', new Set(['-u', '-C', '-S'])],
  ['nice', new Set(['-n'])],
  ['nohup', new Set()],
  ['time', new Set(['-f', '-o'])],
  ['timeout', new Set(['-s', '-k'])],
  ['command', new Set()],
  ['builtin', new Set()],
  ['exec', new Set(['-a'])],
  ['stdbuf', new Set(['-i', '-o', '-e'])],
  ['ionice', new Set(['-c', '-n', '-p'])],
  ['xargs', new Set(['-I', '-i', '-n', '-P', '-L', '-s', '-d', '-E', '-a'])],
]);

function skipOptions(a: string[], withValue: Set<string>): string[] {
  let i = 0;
  while (i < a.length) {
    const w = a[i] as string;
    if (w === '--') return a.slice(i + 1);
    if (!w.startsWith('-') || w === '-') break;
    i += withValue.has(w) ? 2 : 1;
  }
  // timeout takes a duration before the command
  if (i < a.length && /^\d+(\.\d+)?[smhd]?$/.test(a[i] as string)) i++;
  return a.slice(i);
}
