/**
 * Checks a Bash tool call against the policy: it parses the line (shell-parse.ts), walks it as bash
 * would run it (walk.ts), and judges each command it would run. It explains and escalates early; the OS
 * sandbox is what holds, so what the guard cannot see through goes to the operator.
 */
import { basename } from 'node:path';
import type { Checker } from './checker.js';
import { envPrintProblem, envVarProblem } from './environment.js';
import { DESTRUCTIVE, fileProblems, findProblems, NOT_READING } from './files.js';
import { gitProblems } from './git.js';
import { commandHosts, hostProblem, netDeviceProblem, urlHosts } from './hosts.js';
import { isInside, isUnknown, UNKNOWN } from './paths.js';
import { agentCode, awkProblem, interpreterRun, shellRun, SHELLS, type ShellRun } from './programs.js';
import { ParseError, type List } from './shell-ast.js';
import { parseShell } from './shell-parse.js';
import type { Findings } from './verdict.js';
import { Walker, type SimpleCall, type Stdin } from './walk.js';
import { unwrap } from './wrappers.js';

const MAX_DEPTH = 6;
const AWKS = new Set(['awk', 'gawk', 'mawk', 'nawk']);

export function checkBash(command: string, c: Checker, f: Findings, depth = 0, stdin?: Stdin): void {
  if (depth > MAX_DEPTH) {
    f.add('ask', 'the command nests shells too deeply to check');
    return;
  }
  for (const d of c.policy.denyCommands) if (new RegExp(d.pattern).test(command)) f.add('deny', d.reason);
  let list: List;
  try {
    // the guard's own marker for what it cannot know never comes from the command itself
    list = parseShell(command.replaceAll(UNKNOWN, '?'));
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    f.add('ask', `the guard cannot read this command line (${e.message}); the operator decides`);
    return;
  }
  new Walker(c, f, depth, (call) => checkSimple(call, f)).run(list, c.cwd, stdin);
}

/** An agent-code finding: left to the sandbox, the operator's call without one. */
function agent(c: Checker, f: Findings, why: string | null): void {
  if (why !== null && !c.policy.sandboxed)
    f.add('ask', `${why}, and this session runs outside the OS sandbox: the operator decides`);
}

function checkSimple(call: SimpleCall, f: Findings): void {
  const { c } = call;
  const vars = (env: Map<string, string | null>) => {
    for (const [k, v] of env) {
      const why = envVarProblem(k, v, c);
      if (why?.verdict === 'ask') f.add('ask', why.reason);
      else if (why) agent(c, f, why.reason);
    }
  };
  vars(call.env);
  if (call.argv.length === 0) return;
  const u = unwrap(call.argv);
  vars(u.env);
  if (['export', 'declare', 'typeset', 'local', 'readonly'].includes(basename(call.argv[0] as string)))
    vars(
      new Map(
        call.argv
          .slice(1)
          .flatMap((a) =>
            /^[A-Za-z_]\w*=/.test(a)
              ? [[a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] as [string, string]]
              : [],
          ),
      ),
    );
  if (u.printsEnv)
    f.add('deny', 'env prints the environment, where tokens live; print the one non-secret variable you need');
  if (u.shell) f.add('ask', `${u.shell} starts a shell that reads commands the guard cannot see; the operator decides`);
  const here = u.cwd === undefined ? c : c.at(isUnknown(u.cwd) || c.resolve(u.cwd) === null ? null : c.resolve(u.cwd));
  if (u.script !== undefined) {
    if (isUnknown(u.script)) f.add('ask', `${u.via.at(-1)} runs a command line the guard cannot read`);
    else checkBash(u.script, here, f, call.walker.depth + 1);
  }
  let argv = u.argv;
  if (argv.length === 0) return;
  const name = basename(argv[0] as string);
  if (u.hiddenArgs) {
    const runs = SHELLS.has(name) || AWKS.has(name) || interpreterRun(name, [], { kind: 'pipe', text: null }) !== null;
    if (runs || ['eval', 'source', '.', 'env', 'sudo'].includes(name))
      f.add('ask', `${u.hiddenArgs} runs ${name} with input nobody can see; the operator decides`);
    else if (DESTRUCTIVE.has(name))
      f.add(
        'ask',
        `${u.hiddenArgs} ${name} acts on arguments that come from its input, which nobody can see; the operator decides`,
      );
    argv = [...argv, UNKNOWN];
  }
  command(argv, { ...call, c: here }, f);
}

/** Checks one command that runs, after wrappers: hosts, secrets, what it writes and what it runs. */
function command(argv: string[], call: SimpleCall, f: Findings): void {
  const { c } = call;
  const name = basename(argv[0] as string);
  const args = argv.slice(1);
  const net = c.policy.network;
  for (const w of argv) {
    for (const h of urlHosts(w)) f.add('deny', hostProblem(h, net));
    f.add('deny', netDeviceProblem(w, net));
  }
  for (const h of commandHosts(name, args)) f.add('deny', hostProblem(h, net));
  const env = envPrintProblem(name, args);
  if (env) f.add(env.verdict, env.reason);

  if (!NOT_READING.has(name)) {
    for (const a of args) {
      const path = a.startsWith('-') ? (a.includes('=') ? a.slice(a.indexOf('=') + 1) : null) : a;
      if (path === null || path === '' || path.includes('://')) continue;
      f.add('deny', c.readProblem(path, !call.patterns.has(a) && !isUnknown(path)));
    }
  }

  const ran = SHELLS.has(name) ? shellRun(name, args, call.stdin) : interpreterRun(name, args, call.stdin);
  if (ran) runs(name, ran, call, f);
  if (AWKS.has(name)) f.add('ask', awkProblem(args));
  if (name === 'eval') {
    const text = args.join(' ');
    if (isUnknown(text)) f.add('ask', 'eval runs a command line the guard cannot read; the operator decides');
    else checkBash(text, c, f, call.walker.depth + 1);
  }
  if (name === 'source' || name === '.') sourced(args[0], c, f);
  // strings that run later, in this shell: an alias's text, a trap's command
  const later =
    name === 'alias' ? args.map((a) => a.slice(a.indexOf('=') + 1)) : name === 'trap' ? args.slice(0, 1) : [];
  for (const text of later.filter((t) => t !== '' && t !== '-' && !/^\d+$/.test(t))) {
    if (isUnknown(text)) f.add('ask', `${name} sets a command the guard cannot read; the operator decides`);
    else checkBash(text, c, f, call.walker.depth + 1);
  }
  if (name === 'find')
    findProblems(
      args,
      c,
      f,
      (a) => command(a, call, f),
      (p) => SHELLS.has(p) || AWKS.has(p) || interpreterRun(p, [], { kind: 'pipe', text: null }) !== null,
    );
  if (name === 'git') gitProblems(args, { c, f, depth: 0 });
  fileProblems(name, args, c, f);
  agent(c, f, agentCode(argv, c));
}

function runs(name: string, r: ShellRun, call: SimpleCall, f: Findings): void {
  const { c } = call;
  if (r.kind === 'script') checkBash(r.text, c, f, call.walker.depth + 1);
  else if (r.kind === 'opaque') {
    f.add('ask', r.reason);
    // a script the guard can read after all: what it would refuse in it, it refuses
    if (SHELLS.has(name) && call.stdin.kind === 'doc' && call.stdin.text !== null)
      checkBash(call.stdin.text, c, f, call.walker.depth + 1);
  } else if (r.kind === 'file') agent(c, f, `${name} ${r.path} runs a script the session can write`);
}

/** `source FILE`: a file the session can write runs in the shell, unseen. */
function sourced(file: string | undefined, c: Checker, f: Findings): void {
  if (file === undefined) return;
  const p = c.resolve(file);
  f.add('deny', c.readProblem(file));
  if (p === null || isInside(p, c.ctx.root) || c.writable(p))
    f.add(
      'ask',
      `source runs ${file.replaceAll(UNKNOWN, '…')}, a file the session can write, in the shell; the operator decides`,
    );
}
