/**
 * Walks a parsed command line in the order bash would run it, keeping what can be known along the way:
 * the folder each command runs in (through `cd`, `pushd` and `popd`, over every path the `&&`, `||` and
 * `;` between commands allow), the variables assigned, and each command's standard input. Every simple
 * command, substitutions included, is handed, expanded, to the command checks (bash.ts).
 */
import { basename, isAbsolute, resolve } from 'node:path';
import type { Checker } from './checker.js';
import { expandString, expandWord, type ExpandContext } from './expand.js';
import { isInside, isUnknown, UNKNOWN } from './paths.js';
import type { AndOr, Command, List, Part, Pipeline, Redir } from './shell-ast.js';
import { subsOf } from './shell-parse.js';
import { netDeviceProblem } from './hosts.js';
import type { Findings } from './verdict.js';

/** One possible state of the shell: its folder (null: unknowable) and its pushd stack. */
export interface Where {
  cwd: string | null;
  stack: (string | null)[];
}

interface Outcome {
  ok: Where[];
  fail: Where[];
}

/** Where a command's standard input comes from; `text` is the script it would read, when known. */
export interface Stdin {
  kind: 'inherit' | 'pipe' | 'file' | 'doc';
  text: string | null;
}

export interface SimpleCall {
  argv: string[];
  /** words that are globs which matched nothing: judged by their text */
  patterns: Set<string>;
  /** variables set for this command alone (`GIT_SSH_COMMAND=… git push`): values with UNKNOWN where unknown */
  env: Map<string, string | null>;
  stdin: Stdin;
  /** the checker bound to the folder the command runs in */
  c: Checker;
  walker: Walker;
}

const MAX_STATES = 8;
/** simple commands checked in one call, loops and states included: beyond it, the line is the operator's */
const MAX_STEPS = 2000;
const DECLARERS = new Set(['export', 'declare', 'typeset', 'local', 'readonly']);

export class Walker {
  private readonly vars = new Map<string, string | null>();
  private readonly funcs = new Set<string>();
  private steps = 0;

  constructor(
    readonly c: Checker,
    readonly f: Findings,
    readonly depth: number,
    private readonly check: (call: SimpleCall) => void,
  ) {}

  /** Walks a whole script from the given folder. */
  run(list: List, cwd: string | null, stdin: Stdin = { kind: 'inherit', text: null }): void {
    this.list(list, [{ cwd, stack: [] }], false, stdin);
  }

  value(name: string): string | null {
    const v = this.vars.get(name);
    if (v !== undefined) return v;
    return name === 'HOME' ? this.c.ctx.home : null;
  }

  private list(l: List, start: Where[], cond: boolean, stdin: Stdin): Outcome {
    let S = start;
    let last: Outcome = { ok: S, fail: S };
    for (const item of l.items) {
      const o = this.andOr(item.ao, S, cond || item.bg, stdin);
      if (item.bg) last = { ok: S, fail: S };
      else {
        last = o;
        S = merge(o.ok, o.fail);
      }
    }
    return last;
  }

  private andOr(ao: AndOr, S: Where[], cond: boolean, stdin: Stdin): Outcome {
    let cur = this.pipeline(ao.first, S, cond, stdin);
    for (const { op, p } of ao.rest) {
      if (op === '&&') {
        const o = this.pipeline(p, cur.ok, true, stdin);
        cur = { ok: o.ok, fail: merge(cur.fail, o.fail) };
      } else {
        const o = this.pipeline(p, cur.fail, true, stdin);
        cur = { ok: merge(cur.ok, o.ok), fail: o.fail };
      }
    }
    return cur;
  }

  private pipeline(p: Pipeline, S: Where[], cond: boolean, stdin: Stdin): Outcome {
    let o: Outcome;
    if (p.cmds.length === 1) o = this.command(p.cmds[0] as Command, S, cond, stdin);
    else {
      // every part of a pipeline runs in a subshell: what it changes does not outlive it
      p.cmds.forEach((cmd, i) => this.command(cmd, S, true, i === 0 ? stdin : { kind: 'pipe', text: null }));
      o = { ok: S, fail: S };
    }
    return p.bang ? { ok: o.fail, fail: o.ok } : o;
  }

  private command(cmd: Command, S: Where[], cond: boolean, stdin: Stdin): Outcome {
    switch (cmd.k) {
      case 'simple':
        return this.simple(cmd, S, cond, stdin);
      case 'subshell':
      case 'group': {
        const input = this.redirs(cmd.redirs, S, stdin);
        const o = this.list(cmd.body, S, cond || cmd.k === 'subshell', input);
        return cmd.k === 'subshell' ? { ok: S, fail: S } : o;
      }
      case 'if': {
        const input = this.redirs(cmd.redirs, S, stdin);
        let ends: Where[] = [];
        let rest = S;
        for (const b of cmd.branches) {
          const c = this.list(b.cond, rest, true, input);
          const body = this.list(b.body, c.ok, true, input);
          ends = merge(ends, merge(body.ok, body.fail));
          rest = c.fail;
        }
        if (cmd.otherwise) {
          const e = this.list(cmd.otherwise, rest, true, input);
          ends = merge(ends, merge(e.ok, e.fail));
        } else ends = merge(ends, rest);
        return { ok: ends, fail: ends };
      }
      case 'loop': {
        const input = this.redirs(cmd.redirs, S, stdin);
        const once = (from: Where[]) => {
          for (const w of cmd.words ?? []) for (const s of subsOf(w.parts)) this.list(s, from, true, input);
          const c = cmd.cond ? this.list(cmd.cond, from, true, input) : { ok: from, fail: from };
          const b = this.list(cmd.body, c.ok, true, input);
          return merge(c.fail, merge(b.ok, b.fail));
        };
        let ends = once(S);
        // a loop that moves runs its next turns elsewhere: check it again from wherever it may be
        if (!same(ends, S)) ends = once(merge(merge(S, ends), [{ cwd: null, stack: [] }]));
        const all = merge(S, ends);
        return { ok: all, fail: all };
      }
      case 'case': {
        let ends = S;
        for (const s of subsOf(cmd.word.parts)) this.list(s, S, true, stdin);
        for (const arm of cmd.arms) {
          const o = this.list(arm.body, S, true, stdin);
          ends = merge(ends, merge(o.ok, o.fail));
        }
        return { ok: ends, fail: ends };
      }
      case 'func':
        // checked where it is defined; a call of it runs what was checked
        this.funcs.add(cmd.name);
        this.command(cmd.body, S, true, stdin);
        return { ok: S, fail: S };
      case 'test':
        for (const w of cmd.words) for (const s of subsOf(w.parts)) this.list(s, S, true, stdin);
        return { ok: S, fail: S };
    }
  }

  private expander(w: Where): ExpandContext {
    return {
      cwd: w.cwd,
      home: this.c.ctx.home,
      value: (n) => (n === 'PWD' && !this.vars.has('PWD') ? w.cwd : this.value(n)),
      subValue: (body) => this.subValue(body, w),
    };
  }

  /** `$(pwd)` and `$(git rev-parse --show-toplevel)` have values the guard knows. */
  private subValue(body: List, w: Where): string | null {
    const only = body.items.length === 1 ? body.items[0]?.ao : undefined;
    const cmd = only && only.rest.length === 0 && only.first.cmds.length === 1 ? only.first.cmds[0] : undefined;
    if (!cmd || cmd.k !== 'simple' || cmd.redirs.length > 0 || cmd.assigns.length > 0) return null;
    const words = cmd.words.map((x) => (x.parts.every((p) => p.k === 'lit') ? x.parts.map((p) => p.v).join('') : null));
    if (words.some((x) => x === null)) return null;
    const line = words.join(' ');
    if (/^pwd(?: -[LP])?$/.test(line)) return w.cwd;
    // `$(echo .env)`: what echo prints is its words (without options that change them)
    if (words[0] === 'echo' && !/^-[neE]+$/.test(words[1] ?? '') && !/[*?[{~]/.test(line))
      return words.slice(1).join(' ');
    if (line === 'git rev-parse --show-toplevel' && w.cwd !== null && isInside(w.cwd, this.c.ctx.root))
      return this.c.ctx.root;
    return null;
  }

  /** Checks a compound command's redirections; returns its standard input. */
  private redirs(rs: Redir[], S: Where[], stdin: Stdin): Stdin {
    let input = stdin;
    for (const w of S) {
      const x = this.expander(w);
      for (const r of rs) input = this.redir(r, x, this.c.at(w.cwd), input);
    }
    return input;
  }

  private redir(r: Redir, x: ExpandContext, c: Checker, stdin: Stdin): Stdin {
    for (const s of [...subsOf(r.target.parts), ...subsOf(r.doc ?? [])])
      this.list(s, [{ cwd: x.cwd, stack: [] }], true, stdin);
    if (r.op === '<<' || r.op === '<<-' || r.op === '<<<') {
      if (r.fd !== null && r.fd !== '0') return stdin;
      const text = r.op === '<<<' ? `${expandString(r.target.parts, x)}\n` : expandString(r.doc ?? [], x);
      return { kind: 'doc', text: isUnknown(text) ? null : text };
    }
    const fields = expandWord(r.target, x);
    const t = fields.length === 1 ? (fields[0]?.text as string) : UNKNOWN;
    this.f.add('deny', netDeviceProblem(t, this.c.policy.network));
    if ((r.op === '>&' || r.op === '<&') && /^(\d+|-)$/.test(t)) return stdin;
    const reads = r.op === '<' || r.op === '<>' || r.op === '<&';
    const writes = !reads || r.op === '<>';
    if (writes) this.f.add('deny', c.writeProblem(t));
    if (reads) {
      this.f.add('deny', c.readProblem(t));
      if (r.fd === null || r.fd === '0') return { kind: 'file', text: null };
    }
    return stdin;
  }

  private simple(cmd: Extract<Command, { k: 'simple' }>, S: Where[], cond: boolean, stdin: Stdin): Outcome {
    let ok: Where[] = [];
    let fail: Where[] = [];
    for (const w of S) {
      if (++this.steps > MAX_STEPS) {
        this.f.add('ask', 'the command line is too long or too deeply nested to check; the operator decides');
        return { ok: S, fail: S };
      }
      // substitutions run first, each in its own subshell
      const parts: Part[] = [...cmd.assigns.flatMap((a) => a.value?.parts ?? []), ...cmd.words.flatMap((x) => x.parts)];
      for (const s of subsOf(parts)) this.list(s, [w], true, stdin);
      const x = this.expander(w);
      const c = this.c.at(w.cwd);
      const env = new Map<string, string | null>();
      for (const a of cmd.assigns) {
        env.set(a.name, a.value ? expandString(a.value.parts, x) : null);
      }
      const argv: string[] = [];
      const patterns = new Set<string>();
      for (const word of cmd.words)
        for (const field of expandWord(word, x)) {
          argv.push(field.text);
          if (field.pattern) patterns.add(field.text);
        }
      let input = stdin;
      for (const r of cmd.redirs) input = this.redir(r, x, c, input);
      const name = argv.length > 0 ? basename(argv[0] as string) : '';
      if (name === 'cd' || name === 'pushd' || name === 'popd') {
        const moved = this.cd(name, argv.slice(1), w);
        ok = merge(ok, moved);
        fail = merge(fail, [w]);
        continue;
      }
      if (argv.length === 0 || DECLARERS.has(name)) {
        const assigned = argv.length === 0 ? env : declared(argv.slice(1));
        for (const [k, v] of assigned) this.assign(k, v === null || isUnknown(v) ? null : v, cond);
      }
      if (name === 'unset') for (const a of argv.slice(1)) if (!a.startsWith('-')) this.vars.set(a, null);
      if (argv.length === 0 || !this.funcs.has(argv[0] as string))
        this.check({ argv, patterns, env, stdin: input, c, walker: this });
      ok = merge(ok, [w]);
      fail = merge(fail, [w]);
    }
    return { ok, fail };
  }

  private assign(name: string, value: string | null, cond: boolean): void {
    const before = this.vars.get(name);
    this.vars.set(name, cond && before !== value ? null : value);
  }

  private cd(name: string, args: string[], w: Where): Where[] {
    if (name === 'popd') {
      const [top, ...rest] = w.stack;
      return top === undefined ? [w] : [{ cwd: top, stack: rest }];
    }
    const operands = args.filter((a, i) => !(a.startsWith('-') && a !== '-' && !args.slice(0, i).includes('--')));
    const t = operands.find((a) => a !== '--');
    if (name === 'pushd' && t === undefined) {
      const [top, ...rest] = w.stack;
      return top === undefined ? [w] : [{ cwd: top, stack: [w.cwd, ...rest] }];
    }
    let to: string | null;
    if (t === undefined) to = this.value('HOME');
    else if (t === '-' || isUnknown(t) || (name === 'pushd' && /^[+-]\d+$/.test(t))) to = null;
    else if (isAbsolute(t)) to = resolve(t);
    else to = w.cwd === null || this.value('CDPATH') !== null ? null : resolve(w.cwd, t);
    return [{ cwd: to, stack: name === 'pushd' ? [w.cwd, ...w.stack] : w.stack }];
  }
}

/** `export A=1 B` → A=1 (a name without a value keeps its own) */
function declared(args: string[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const a of args) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\+?=(.*)$/s.exec(a);
    if (m) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

function key(w: Where): string {
  return JSON.stringify([w.cwd, w.stack]);
}

function merge(a: Where[], b: Where[]): Where[] {
  const seen = new Set(a.map(key));
  const out = [...a];
  for (const w of b) {
    if (seen.has(key(w))) continue;
    seen.add(key(w));
    out.push(w);
  }
  if (out.length <= MAX_STATES) return out;
  // too many ways to have got here: keep some, and admit that the folder may be any
  const unknown: Where = { cwd: null, stack: [] };
  return [...out.slice(0, MAX_STATES - 1).filter((w) => key(w) !== key(unknown)), unknown];
}

function same(a: Where[], b: Where[]): boolean {
  const k = new Set(a.map(key));
  return a.length === b.length && b.every((w) => k.has(key(w)));
}
