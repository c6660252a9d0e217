/** Commands that write, move or delete files: where they would, and whether the policy lets them. */
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Checker } from './checker.js';
import { segmentRegex } from './expand.js';
import { isInside, isUnknown, UNKNOWN } from './paths.js';
import type { Findings } from './verdict.js';

/** commands that name a file without reading what is in it */
export const NOT_READING = new Set([
  'ls',
  'stat',
  'test',
  '[',
  '[[',
  'rm',
  'unlink',
  'rmdir',
  'touch',
  'mkdir',
  'basename',
  'dirname',
  'realpath',
  'readlink',
  'echo',
  'printf',
  'cd',
  'pushd',
  'popd',
  'du',
  'chmod',
  'chown',
  'chgrp',
  'which',
  'type',
  'command',
  'export',
  'declare',
  'local',
  'unset',
  'true',
  'false',
]);
const WRITES_ALL = new Set(['touch', 'mkdir', 'mkfifo', 'mknod', 'tee', 'truncate']);
const DELETES_ALL = new Set(['rmdir', 'unlink', 'shred']);
const WRITES_AFTER_FIRST = new Set(['chmod', 'chown', 'chgrp', 'chattr', 'setfacl']);
/** commands that act on files they are given, destructively: never on arguments nobody can see */
export const DESTRUCTIVE = new Set([
  'rm',
  'rmdir',
  'unlink',
  'shred',
  'mv',
  'cp',
  'dd',
  'truncate',
  'chmod',
  'chown',
  'chgrp',
  'ln',
  'install',
  'rsync',
  'tee',
  'kill',
  'pkill',
  'killall',
  'git',
  'sed',
  'perl',
  'tar',
  'zip',
  'unzip',
  'find',
]);

export function options(args: string[]): { flags: string[]; positional: string[] } {
  const flags: string[] = [];
  const positional: string[] = [];
  let done = false;
  for (const w of args) {
    if (!done && w === '--') done = true;
    else if (!done && w.startsWith('-') && w !== '-' && !isUnknown(w)) flags.push(w);
    else positional.push(w);
  }
  return { flags, positional };
}

/** the value of an option given as `-o v`, `-ov`, `--output v` or `--output=v` */
export function optionValue(args: string[], short: string[], long: string[]): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    for (const s of short) {
      if (a === s && args[i + 1] !== undefined) out.push(args[i + 1] as string);
      else if (a.startsWith(s) && a.length > s.length && !a.startsWith('--')) out.push(a.slice(s.length));
    }
    for (const l of long) {
      if (a === l && args[i + 1] !== undefined) out.push(args[i + 1] as string);
      else if (a.startsWith(`${l}=`)) out.push(a.slice(l.length + 1));
    }
  });
  return out;
}

export function deleteProblem(targets: string[], recursive: boolean, c: Checker): string | null {
  for (const t of targets) {
    const shown = t.replace(new RegExp(UNKNOWN, 'g'), '…');
    if (isUnknown(t)) {
      if (recursive)
        return `cannot tell what \`rm -r ${shown}\` would delete (it depends on a variable, a substitution or xargs input)`;
      const why = c.writeProblem(t, 'delete');
      if (why) return why;
      continue;
    }
    const p = c.resolve(t);
    if (p === null) {
      if (recursive)
        return `cannot tell what \`rm -r ${shown}\` would delete: it runs in a folder the guard cannot know (after a cd it cannot follow)`;
      continue;
    }
    if (isInside(c.ctx.root, p)) return `rm of ${p} would delete the whole worktree ${c.ctx.root}`;
    const why = c.writeProblem(t, 'delete');
    if (why) return why;
  }
  return null;
}

/** Files and folders a file command would write, move or delete. */
export function fileProblems(name: string, args: string[], c: Checker, f: Findings): void {
  const { flags, positional } = options(args);
  const write = (p: string, verb: 'write to' | 'delete' | 'move' = 'write to') =>
    f.add('deny', c.writeProblem(p, verb));
  switch (name) {
    case 'rm': {
      const recursive = flags.some((x) => x === '--recursive' || (/^-[a-zA-Z]+$/.test(x) && /[rR]/.test(x)));
      f.add('deny', deleteProblem(positional, recursive, c));
      return;
    }
    case 'mv': {
      const t = optionValue(args, ['-t'], ['--target-directory']);
      const sources = t.length > 0 ? positional : positional.slice(0, -1);
      for (const s of sources) write(s, 'move');
      for (const d of t.length > 0 ? t : positional.slice(-1)) write(d);
      return;
    }
    case 'ln':
    case 'cp':
    case 'install':
    case 'rsync': {
      if (name === 'ln') linkOut(args, positional, c, f);
      const t = optionValue(args, ['-t'], ['--target-directory']);
      if (t.length > 0) for (const d of t) write(d);
      else if (positional.length >= 2 || (name === 'install' && flags.includes('-d')))
        for (const d of name === 'install' && flags.includes('-d') ? positional : positional.slice(-1))
          if (!(name === 'rsync' && /^[^/]*:/.test(d))) write(d);
      return;
    }
    case 'dd':
      for (const a of args) if (a.startsWith('of=')) write(a.slice(3));
      return;
    case 'sed':
      if (flags.some((x) => x === '--in-place' || x.startsWith('--in-place=') || /^-[a-zA-Z]*i/.test(x))) {
        const script = flags.some((x) => x === '-e' || x === '-f' || x === '--expression' || x === '--file');
        for (const p of script ? positional : positional.slice(1)) write(p);
      }
      return;
    case 'sort':
    case 'uniq':
      for (const o of optionValue(args, ['-o'], ['--output'])) write(o);
      if (name === 'uniq' && positional.length >= 2) write(positional[1] as string);
      return;
    case 'curl':
      for (const o of optionValue(
        args,
        ['-o'],
        ['--output', '--output-dir', '-c', '--cookie-jar', '--dump-header', '-D'],
      ))
        write(o);
      return;
    case 'wget':
      for (const o of optionValue(
        args,
        ['-O', '-P', '-o', '-a'],
        ['--output-document', '--directory-prefix', '--output-file', '--append-output'],
      ))
        write(o);
      return;
    case 'tar': {
      const mode = (args[0] && !args[0].startsWith('-') ? args[0] : flags.join('')) ?? '';
      const extracting = /x/.test(mode) || args.includes('--extract') || args.includes('--get');
      const creating = /[cru]/.test(mode.replace(/^-/, '')) || args.some((a) => /^--(create|append|update)$/.test(a));
      if (
        args.some(
          (a) =>
            /^--(to-command|checkpoint-action|use-compress-program|rmt-command|rsh-command|info-script|new-volume-script)/.test(
              a,
            ) ||
            a === '-I' ||
            a === '-F',
        )
      )
        f.add('ask', "tar runs a program of its arguments' choosing; the operator decides");
      if (extracting) for (const d of optionValue(args, ['-C'], ['--directory'])) write(d);
      if (creating) for (const o of optionValue(args, ['-f'], ['--file'])) write(o);
      if (extracting && optionValue(args, ['-C'], ['--directory']).length === 0 && c.cwd !== null) write('.');
      return;
    }
    case 'unzip':
      for (const d of optionValue(args, ['-d'], [])) write(d);
      return;
    case 'zip':
      if (positional[0] !== undefined) write(positional[0]);
      return;
    case 'patch':
      for (const o of optionValue(args, ['-o', '-d'], ['--output', '--directory'])) write(o);
      return;
  }
  if (WRITES_ALL.has(name)) for (const p of positional) write(p);
  else if (DELETES_ALL.has(name)) for (const p of positional) write(p, 'delete');
  else if (WRITES_AFTER_FIRST.has(name))
    for (const p of flags.some((x) => x.startsWith('--reference')) ? positional : positional.slice(1)) write(p);
}

/** `ln -s TARGET LINK` in the worktree that points out of it: later paths through it would leave it. */
function linkOut(args: string[], positional: string[], c: Checker, f: Findings): void {
  if (!args.some((a) => a === '--symbolic' || /^-[a-zA-Z]*s/.test(a)) || positional.length < 2) return;
  const last = positional[positional.length - 1] as string;
  const at = c.resolve(last);
  if (at === null || !isInside(at, c.ctx.root)) return;
  const link = existsDir(at) ? at : dirname(at);
  for (const target of positional.slice(0, -1)) {
    const t = c.at(link).resolve(target);
    if (t === null) f.add('deny', `cannot tell where the link ln -s ${target.replaceAll(UNKNOWN, '…')} would point`);
    else if (!isInside(t, c.ctx.root) && !c.writable(t))
      f.add(
        'deny',
        `ln -s ${target} ${last} would link out of the worktree (to ${t}); paths through it would leave it`,
      );
  }
}

function existsDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `find`: what it deletes, writes and runs. `run` checks a command `-exec` runs (`{}` an unknown word);
 * `runsCode` tells a shell or interpreter, which goes to the operator whatever its script.
 */
export function findProblems(
  args: string[],
  c: Checker,
  f: Findings,
  run: (argv: string[]) => void,
  runsCode: (prog: string) => boolean,
): void {
  const exprStart = args.findIndex(
    (a) => (a.startsWith('-') && !['-H', '-L', '-P'].includes(a)) || a === '(' || a === '!',
  );
  const roots = (exprStart < 0 ? args : args.slice(0, exprStart)).filter((a) => !['-H', '-L', '-P'].includes(a));
  const expr = exprStart < 0 ? [] : args.slice(exprStart);
  const names: string[] = [];
  const filters: { test: string; pattern: string }[] = [];
  const execs: string[][] = [];
  for (let i = 0; i < expr.length; i++) {
    const a = expr[i] as string;
    if (['-name', '-iname', '-path', '-ipath', '-wholename', '-iwholename', '-regex', '-iregex'].includes(a)) {
      names.push(expr[i + 1] ?? '');
      filters.push({ test: a, pattern: expr[++i] ?? '' });
    } else if (['-fprint', '-fprint0', '-fprintf', '-fls'].includes(a)) f.add('deny', c.writeProblem(expr[++i] ?? ''));
    else if (a === '-ok' || a === '-okdir')
      f.add('ask', `find ${a} asks a question on a terminal the session does not have; the operator decides`);
    else if (a === '-exec' || a === '-execdir') {
      const end = expr.findIndex((x, j) => j > i && (x === ';' || x === '+'));
      execs.push(expr.slice(i + 1, end < 0 ? expr.length : end));
      i = end < 0 ? expr.length : end;
    }
  }
  const starts = roots.length > 0 ? roots : ['.'];
  const deletes =
    expr.includes('-delete') ||
    execs.some((e) => ['rm', 'shred', 'unlink', 'rmdir'].includes((e[0] ?? '').split('/').pop() as string));
  if (deletes) {
    // find never deletes its starting points themselves, so a search from the worktree root is fine
    for (const r of starts) {
      const abs = c.resolve(r);
      if (isUnknown(r) || abs === null) {
        f.add(
          'deny',
          'cannot tell where this deleting find would search (it depends on a variable, a substitution or a cd)',
        );
        continue;
      }
      f.add('deny', c.writeProblem(r, 'delete'));
      // but it deletes what it finds below them: agency's own files, if its tests can select them
      const own = c.protectedFiles().find((p) => p !== abs && isInside(p, abs) && selects(filters, p));
      if (own) f.add('deny', `this find would delete ${own}, agency's own configuration for this session`);
    }
  }
  for (const e of execs) {
    const prog = (e[0] ?? '').split('/').pop() as string;
    if (['rm', 'shred', 'unlink', 'rmdir'].includes(prog)) continue;
    if (runsCode(prog)) f.add('ask', `find -exec ${prog} runs a script for every file found; the operator decides`);
    run(e.map((w) => (w.includes('{}') ? UNKNOWN : w)));
    if (NOT_READING.has(prog)) continue;
    // a command that reads the files found, among them secret ones by name
    for (const n of names)
      for (const r of starts) {
        const why = c.readProblem(`${r}/${n}`);
        if (why) f.add('deny', `find ${r} -name ${n} -exec ${prog} would read secret files (${why})`);
      }
  }
}

/**
 * Whether find's name tests could select this file. With `-o`, `!` and the like the guard does not work
 * out the expression: any one test that matches counts, and no name test at all selects everything.
 */
function selects(filters: { test: string; pattern: string }[], file: string): boolean {
  if (filters.length === 0) return true;
  return filters.some(({ test, pattern }) => {
    if (isUnknown(pattern) || test.includes('regex')) return true;
    const flags = test.startsWith('-i') ? 'i' : '';
    const byName = test === '-name' || test === '-iname';
    const re = new RegExp(
      byName ? segmentRegex(pattern).source : segmentRegex(pattern).source.replace(/\[\^\/\]/g, '.'),
      flags,
    );
    return re.test(byName ? basename(file) : file);
  });
}
