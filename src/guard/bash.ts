/** Checks a Bash tool call against the policy. Best effort on what a shell line can be seen to do; blocks when in doubt about deletions. */
import { splitCommands, unwrap, type SimpleCommand } from './shell.js';
import { commandHosts, hostProblem, urlHosts } from './hosts.js';
import { parseGit, pushProblem } from './git.js';
import { canonical, isInside, isUnknown, UNKNOWN } from './paths.js';
import type { Checker } from './checker.js';

const SHELLS = new Set(['bash', 'sh', 'zsh', 'dash', 'ksh', 'fish']);
/** commands that name a file without reading what is in it */
const NOT_READING = new Set([
  'ls',
  'stat',
  'test',
  '[',
  '[[',
  'rm',
  'unlink',
  'touch',
  'mkdir',
  'basename',
  'dirname',
  'realpath',
  'readlink',
  'echo',
  'printf',
]);
const WRITES_ALL = new Set(['rmdir', 'unlink', 'shred', 'truncate', 'touch', 'mkdir', 'mkfifo', 'mknod', 'tee']);
const WRITES_AFTER_FIRST = new Set(['chmod', 'chown', 'chgrp']);
const GIT_WRITING = new Set([
  'clean',
  'reset',
  'checkout',
  'restore',
  'rm',
  'mv',
  'stash',
  'commit',
  'merge',
  'rebase',
  'pull',
  'am',
  'apply',
  'switch',
  'init',
  'clone',
  'worktree',
]);
const MAX_DEPTH = 4;

export function checkBash(command: string, c: Checker, depth = 0): string | null {
  if (depth > MAX_DEPTH) return 'command nests shells too deeply to check';
  for (const d of c.policy.denyCommands) if (new RegExp(d.pattern).test(command)) return d.reason;
  const env = (name: string) => (name === 'HOME' ? c.ctx.home : name === 'PWD' ? c.ctx.cwd : undefined);
  for (const sc of splitCommands(command, env)) {
    const why = checkSimple(sc, c, depth);
    if (why) return why;
  }
  return null;
}

function options(args: string[]): { flags: string[]; positional: string[] } {
  const flags: string[] = [];
  const positional: string[] = [];
  let done = false;
  for (const w of args) {
    if (!done && w === '--') done = true;
    else if (!done && w.startsWith('-') && w !== '-') flags.push(w);
    else positional.push(w);
  }
  return { flags, positional };
}

function checkSimple(sc: SimpleCommand, c: Checker, depth: number): string | null {
  for (const w of sc.writes) {
    const why = c.writeProblem(w);
    if (why) return why;
  }
  for (const r of sc.reads) {
    const why = c.readProblem(r);
    if (why) return why;
  }
  const argv = unwrap(sc.argv);
  if (argv.length === 0) return null;
  const name = (argv[0] as string).split('/').pop() as string;
  const args = argv.slice(1);

  for (const w of argv)
    for (const h of urlHosts(w)) {
      const why = hostProblem(h, c.policy.network);
      if (why) return why;
    }
  for (const h of commandHosts(name, args)) {
    const why = hostProblem(h, c.policy.network);
    if (why) return why;
  }

  if (SHELLS.has(name)) {
    const i = args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a));
    if (i >= 0 && args[i + 1] !== undefined) return checkBash(args[i + 1] as string, c, depth + 1);
  }
  if (name === 'eval') return checkBash(args.join(' '), c, depth + 1);

  if (!NOT_READING.has(name)) {
    for (const a of args) {
      const path = a.startsWith('-') ? (a.includes('=') ? a.slice(a.indexOf('=') + 1) : null) : a;
      if (path === null || path === '' || isUnknown(path) || path.includes('://')) continue;
      const why = c.readProblem(path, true);
      if (why) return why;
    }
  }

  const { flags, positional } = options(args);
  switch (name) {
    case 'rm': {
      const recursive = flags.some((f) => f === '--recursive' || (/^-[a-zA-Z]+$/.test(f) && /[rR]/.test(f)));
      return deleteProblem(positional, recursive, c);
    }
    case 'mv':
      return firstProblem(positional, (p) => c.writeProblem(p));
    case 'cp':
    case 'install':
    case 'ln':
    case 'rsync': {
      const t = flags.find((f) => f.startsWith('--target-directory='));
      const target = t ? t.slice(t.indexOf('=') + 1) : targetAfter(args, '-t');
      if (target !== undefined) return c.writeProblem(target);
      return positional.length < 2 ? null : c.writeProblem(positional[positional.length - 1] as string);
    }
    case 'dd': {
      const of = args.find((a) => a.startsWith('of='));
      return of ? c.writeProblem(of.slice(3)) : null;
    }
    case 'sed':
    case 'perl': {
      if (!flags.some((f) => f.startsWith('-i') || f === '--in-place' || /^-[a-zA-Z]*i/.test(f))) return null;
      const files = flags.some((f) => f === '-e' || f === '-f') ? positional : positional.slice(1);
      return firstProblem(files, (p) => c.writeProblem(p));
    }
    case 'find':
      return findProblem(args, c);
    case 'git': {
      const call = parseGit(args, c.ctx.cwd);
      if (!call) return null;
      if (call.sub === 'push') {
        const why = pushProblem(call, c.policy.protectedBranches, c.policy.matchers.branches);
        if (why) return why;
      }
      if (
        GIT_WRITING.has(call.sub) &&
        !isInside(canonical(call.cwd, c.ctx), c.ctx.root) &&
        !c.writable(canonical(call.cwd, c.ctx))
      )
        return `git ${call.sub} would change ${call.cwd}, outside the worktree`;
      return null;
    }
    default:
      if (WRITES_ALL.has(name)) return firstProblem(positional, (p) => c.writeProblem(p));
      if (WRITES_AFTER_FIRST.has(name)) return firstProblem(positional.slice(1), (p) => c.writeProblem(p));
      return null;
  }
}

function targetAfter(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

function firstProblem(list: string[], f: (x: string) => string | null): string | null {
  for (const x of list) {
    const why = f(x);
    if (why) return why;
  }
  return null;
}

function deleteProblem(targets: string[], recursive: boolean, c: Checker): string | null {
  for (const t of targets) {
    if (isUnknown(t)) {
      if (recursive)
        return `cannot tell what \`rm -r ${t.replace(new RegExp(UNKNOWN, 'g'), '')}\` would delete (it depends on a variable, a substitution or xargs input)`;
      continue;
    }
    const p = canonical(t, c.ctx);
    if (isInside(c.ctx.root, p)) return `rm of ${p} would delete the whole worktree ${c.ctx.root}`;
    const why = c.writeProblem(t, 'delete');
    if (why) return why;
  }
  return null;
}

function findProblem(args: string[], c: Checker): string | null {
  const exprStart = args.findIndex((a) => a.startsWith('-') || a === '(' || a === '!');
  const roots = (exprStart < 0 ? args : args.slice(0, exprStart)).filter((a) => !['-H', '-L', '-P'].includes(a));
  const expr = exprStart < 0 ? [] : args.slice(exprStart);
  const execs = expr.flatMap((a, i) => (a === '-exec' || a === '-execdir' ? [expr[i + 1] ?? ''] : []));
  const deletes =
    expr.includes('-delete') || execs.some((e) => ['rm', 'shred', 'unlink'].includes(e.split('/').pop() as string));
  if (!deletes) return null;
  // find never deletes its starting points themselves, so a search from the worktree root is fine
  for (const r of roots.length > 0 ? roots : ['.']) {
    if (isUnknown(r))
      return 'cannot tell where this deleting find would search (it depends on a variable or a substitution)';
    const why = c.writeProblem(r, 'delete');
    if (why) return why;
  }
  return null;
}
