/**
 * Programs that run code: shells and interpreters (what code, and can the guard read it?), and the
 * build tools, test runners and package managers that run code the agent wrote.
 */
import type { Checker } from './checker.js';
import { isInside, isUnknown } from './paths.js';
import type { Stdin } from './walk.js';

export const SHELLS = new Set([
  'bash',
  'sh',
  'dash',
  'zsh',
  'ksh',
  'mksh',
  'ash',
  'yash',
  'posh',
  'rbash',
  'fish',
  'csh',
  'tcsh',
]);

/** What a shell run with these arguments executes. */
export type ShellRun =
  | { kind: 'script'; text: string } // `-c` with a string the guard can read
  | { kind: 'opaque'; reason: string } // it runs something the guard cannot read
  | { kind: 'file'; path: string } // a script file
  | { kind: 'none' };

const SHELL_VALUES = new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']);

export function shellRun(name: string, args: string[], stdin: Stdin): ShellRun {
  let code = false;
  let fromStdin = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--' || a === '-') {
      i++;
      break;
    }
    if (SHELL_VALUES.has(a)) {
      if (a === '--rcfile' || a === '--init-file')
        return { kind: 'opaque', reason: `${name} ${a} runs a start-up file the guard does not read` };
      i++;
      continue;
    }
    if (/^--/.test(a)) {
      if (a === '--version' || a === '--help') return { kind: 'none' };
      continue;
    }
    if (/^[-+][a-zA-Z]+$/.test(a)) {
      if (a.startsWith('-') && a.includes('c')) code = true;
      if (a.startsWith('-') && a.includes('s')) fromStdin = true;
      continue;
    }
    break;
  }
  const first = args[i];
  if (code) {
    if (first === undefined) return { kind: 'none' };
    if (isUnknown(first))
      return {
        kind: 'opaque',
        reason: `${name} -c runs a script the guard cannot read (it depends on a variable or a substitution)`,
      };
    return { kind: 'script', text: first };
  }
  if (first !== undefined && !fromStdin) {
    if (isUnknown(first) || /^\/dev\/(stdin|fd\/)|^\/proc\/self\/fd\//.test(first))
      return { kind: 'opaque', reason: `${name} runs a script the guard cannot read` };
    return { kind: 'file', path: first };
  }
  const what =
    stdin.kind === 'doc'
      ? 'a here-document'
      : stdin.kind === 'pipe'
        ? 'a pipe'
        : stdin.kind === 'file'
          ? 'a file'
          : 'its standard input';
  return {
    kind: 'opaque',
    reason: `${name} runs the script it reads from ${what}; a script fed to a shell is the operator's call`,
  };
}

interface Interpreter {
  /** options whose value is code */
  code: string[];
  /** letters that, in a cluster of single-letter options (`-ne`), mean code follows */
  codeLetters?: string;
  /** options that take a value that is not code */
  values: string[];
  /** runs a module by name (`python -m`) */
  module?: string;
}

const INTERPRETERS: [RegExp, Interpreter][] = [
  [/^(python|pypy)[0-9.]*$/, { code: ['-c'], values: ['-W', '-X', '-Q'], module: '-m' }],
  [/^perl[0-9.]*$/, { code: [], codeLetters: 'eE', values: ['-I', '-M', '-m'] }],
  [/^ruby[0-9.]*$/, { code: [], codeLetters: 'e', values: ['-I', '-r', '-C', '-E', '-F'] }],
  [
    /^(node|nodejs|bun)$/,
    {
      code: ['-e', '--eval', '-p', '--print', '-pe'],
      values: [
        '-r',
        '--require',
        '--import',
        '--loader',
        '--experimental-loader',
        '-C',
        '--conditions',
        '--input-type',
        '--env-file',
        '--stack-size',
      ],
    },
  ],
  [/^php[0-9.]*$/, { code: ['-r', '-R', '-B', '-E'], values: ['-c', '-d', '-z'] }],
  [/^osascript$/, { code: ['-e'], values: ['-l', '-s'] }],
  [/^(lua|luajit)[0-9.]*$/, { code: ['-e'], values: ['-l'] }],
  [/^(Rscript|R)$/, { code: ['-e', '--expr'], values: [] }],
  [
    /^(pwsh|powershell)$/,
    { code: ['-c', '-Command', '-command', '-EncodedCommand', '-ec', '-e'], values: ['-File', '-f'] },
  ],
  [/^(julia)$/, { code: ['-e', '--eval', '-E', '--print'], values: [] }],
  [/^(groovy|scala|elixir|racket|clojure)$/, { code: ['-e', '--eval'], values: [] }],
  [/^(guile|expect)$/, { code: ['-c'], values: [] }],
  [/^(sbcl)$/, { code: ['--eval'], values: [] }],
  [/^(erl)$/, { code: ['-eval'], values: [] }],
  [/^(tclsh|wish)[0-9.]*$/, { code: [], values: [] }],
  [/^deno$/, { code: [], values: [] }],
];

/** What an interpreter run with these arguments executes: opaque code, a script or module, or nothing. */
export function interpreterRun(name: string, args: string[], stdin: Stdin): ShellRun | null {
  const spec = INTERPRETERS.find(([re]) => re.test(name))?.[1];
  if (!spec) return null;
  if (name === 'deno') {
    const sub = args.find((a) => !a.startsWith('-'));
    if (sub === 'eval' || args.includes('-'))
      return { kind: 'opaque', reason: `deno ${sub ?? '-'} runs code the guard cannot check` };
    return sub === undefined || ['fmt', 'lint', 'info', 'doc', 'check', 'types', 'upgrade', 'completions'].includes(sub)
      ? { kind: 'none' }
      : { kind: 'file', path: `deno ${sub}` };
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const opt = a.includes('=') && a.startsWith('--') ? a.slice(0, a.indexOf('=')) : a;
    if (
      spec.code.includes(opt) ||
      (spec.codeLetters && /^-[a-zA-Z]+$/.test(a) && [...spec.codeLetters].some((l) => a.includes(l)))
    )
      return {
        kind: 'opaque',
        reason: `${name} ${a} runs code given on the command line, which the guard cannot check`,
      };
    if (spec.module && (a === spec.module || a.startsWith(spec.module))) {
      const mod = a === spec.module ? args[i + 1] : a.slice(spec.module.length);
      return mod !== undefined && ['json.tool', 'venv', 'ensurepip', 'site', 'this'].includes(mod)
        ? { kind: 'none' }
        : { kind: 'file', path: `${name} -m ${mod ?? ''}`.trim() };
    }
    if (spec.values.includes(opt) && !a.includes('=')) {
      i++;
      continue;
    }
    if (/^--?(version|help|V|h)$/.test(a)) return { kind: 'none' };
    if (a === '-' || /^\/dev\/(stdin|fd\/)/.test(a))
      return { kind: 'opaque', reason: `${name} runs the code it reads from its standard input` };
    if (a.startsWith('-')) continue;
    if (isUnknown(a)) return { kind: 'opaque', reason: `${name} runs a script the guard cannot read` };
    return { kind: 'file', path: a };
  }
  if (stdin.kind === 'inherit') return { kind: 'none' };
  return {
    kind: 'opaque',
    reason: `${name} runs the code it reads from ${stdin.kind === 'doc' ? 'a here-document' : 'a pipe or file'}`,
  };
}

/** awk programs that run commands, write files or read the environment. */
export function awkProblem(args: string[]): string | null {
  const i = args.findIndex((a) => !a.startsWith('-') || a === '-f');
  const prog = args.includes('-f') ? null : i >= 0 ? args[i] : undefined;
  if (prog === null) return 'awk -f runs a program file the guard does not read';
  if (prog === undefined) return null;
  if (isUnknown(prog)) return 'awk runs a program the guard cannot read';
  if (/\bsystem\s*\(|(?<!\|)\|(?!\|)|\|&|\bENVIRON\b|\bprintf?\b[^;{}]*>|\bclose\s*\(/.test(prog))
    return 'awk runs commands, writes files or reads the environment from its program; the operator decides';
  return null;
}

const READ_ONLY_SUBS: Record<string, string[]> = {
  npm: [
    'view',
    'info',
    'show',
    'v',
    'ls',
    'list',
    'll',
    'la',
    'outdated',
    'help',
    'search',
    's',
    'whoami',
    'ping',
    'prefix',
    'root',
    'bin',
    'doctor',
    'fund',
    'audit',
    'explain',
    'why',
    'query',
    'config',
    'get',
  ],
  yarn: ['info', 'why', 'list', 'outdated', 'help', 'config'],
  pnpm: ['list', 'ls', 'why', 'outdated', 'help', 'view', 'info', 'root', 'bin', 'config', 'audit'],
  bun: ['pm', 'outdated', 'help'],
  go: [
    'env',
    'version',
    'fmt',
    'vet',
    'list',
    'doc',
    'mod',
    'build',
    'install',
    'get',
    'clean',
    'help',
    'fix',
    'work',
    'telemetry',
  ],
  cargo: [
    'fmt',
    'tree',
    'metadata',
    'search',
    'update',
    'fetch',
    'add',
    'remove',
    'new',
    'init',
    'vendor',
    'login',
    'owner',
    'yank',
    'locate-project',
    'pkgid',
    'verify-project',
    'help',
    'version',
    'generate-lockfile',
  ],
  dotnet: ['new', 'add', 'remove', 'list', 'restore', 'nuget', 'help', 'sln', '--info', '--list-sdks', 'format'],
  swift: ['--version', 'format'],
};

/** Tools that run what the worktree holds: build files, test suites, package scripts. */
const RUNS_WORKTREE = new Set([
  'npm',
  'npx',
  'pnpx',
  'bunx',
  'yarn',
  'pnpm',
  'bun',
  'corepack',
  'make',
  'gmake',
  'bmake',
  'ninja',
  'just',
  'task',
  'rake',
  'mage',
  'cmake',
  'ctest',
  'meson',
  'scons',
  'bazel',
  'bazelisk',
  'buck',
  'buck2',
  'pants',
  'gradle',
  'gradlew',
  'mvn',
  'mvnw',
  'ant',
  'sbt',
  'lein',
  'mix',
  'rebar3',
  'dune',
  'stack',
  'cabal',
  'swift',
  'dotnet',
  'composer',
  'bundle',
  'rspec',
  'phpunit',
  'poetry',
  'pipenv',
  'uv',
  'uvx',
  'hatch',
  'pdm',
  'tox',
  'nox',
  'pytest',
  'py.test',
  'jest',
  'vitest',
  'mocha',
  'ava',
  'jasmine',
  'karma',
  'playwright',
  'cypress',
  'tsx',
  'ts-node',
  'esno',
  'nodemon',
  'turbo',
  'nx',
  'lerna',
  'rush',
  'go',
  'cargo',
  'java',
  'pre-commit',
  'husky',
  'lefthook',
  'invoke',
  'fab',
  'nix-shell',
  'direnv',
]);

/**
 * Why this command runs code the agent wrote (its package scripts, build files, tests, a program in the
 * worktree), or null. Such commands are left to the sandbox; without one they go to the operator.
 */
export function agentCode(argv: string[], c: Checker): string | null {
  const prog = argv[0] as string;
  const name = prog.split('/').pop() as string;
  const args = argv.slice(1);
  if (prog.includes('/') || isUnknown(prog)) {
    const p = c.resolve(prog);
    if (p === null) return `runs ${prog.replace(/\u0001/g, '…')}, a program the guard cannot locate`;
    if (isInside(p, c.ctx.root) || c.writable(p)) return `runs ${prog}, a program the session can write`;
  }
  if (!RUNS_WORKTREE.has(name)) return null;
  if (args.length > 0 && args.every((a) => /^(--?(version|help|v|V|h)|version|help)$/.test(a))) return null;
  const sub = args.find((a) => !a.startsWith('-'));
  const ro = READ_ONLY_SUBS[name];
  if (ro && sub !== undefined && ro.includes(sub)) return null;
  if (name === 'cmake' && args.every((a) => a.startsWith('--') && !a.startsWith('--build'))) return null;
  return `${[name, sub].filter(Boolean).join(' ')} runs code from the worktree (scripts, build files or tests the session wrote)`;
}
