/**
 * The environment as a route to secrets and to code: commands that print it (`printenv`, `set`,
 * `declare -p`…), and variables whose value makes a program run something else (`GIT_SSH_COMMAND`,
 * `LD_PRELOAD`, a worktree folder on `PATH`). A session's environment should hold no secret (the node
 * keeps them out); the guard still refuses to print it, and says why.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Checker } from './checker.js';
import { isInside, isUnknown, UNKNOWN } from './paths.js';

export const SECRET_NAME = /KEY|TOKEN|SECRET|PASS(?:WORD|WD)?|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|CERT/i;
const HARMLESS_NAME =
  /^(PATH|HOME|PWD|OLDPWD|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_\w+|TERM|TZ|TMPDIR|HOSTNAME|SHLVL|EDITOR|VISUAL|PAGER|COLUMNS|LINES|CI|NODE_ENV|GOPATH|GOROOT|JAVA_HOME|VIRTUAL_ENV|PYTHONPATH|XDG_\w+|DISPLAY)$/;

const DUMP = 'prints the environment, where tokens live; print the one non-secret variable you need';

/** What a command that prints variables deserves: deny, ask, or nothing. */
export function envPrintProblem(name: string, args: string[]): { verdict: 'deny' | 'ask'; reason: string } | null {
  const flags = args.filter((a) => /^[-+]/.test(a));
  const names = args.filter((a) => !/^[-+]/.test(a));
  const byName = (what: string) => {
    const secret = names.find((n) => SECRET_NAME.test(n));
    if (secret) return { verdict: 'deny' as const, reason: `${what} ${secret} would print a secret` };
    const other = names.find((n) => !HARMLESS_NAME.test(n));
    return other ? { verdict: 'ask' as const, reason: `${what} ${other} prints an environment variable` } : null;
  };
  switch (name) {
    case 'printenv':
      return names.length === 0 ? { verdict: 'deny', reason: `printenv ${DUMP}` } : byName('printenv');
    case 'set':
      return args.length === 0 ? { verdict: 'deny', reason: `set ${DUMP}` } : null;
    case 'export':
      return names.length === 0 || flags.includes('-p') ? { verdict: 'deny', reason: `export -p ${DUMP}` } : null;
    case 'declare':
    case 'typeset': {
      const p = flags.some((f) => /^-\w*p/.test(f));
      if (names.length === 0 && (p || flags.every((f) => /^-[xaAilrtun]+$/.test(f))))
        return { verdict: 'deny', reason: `${name} ${flags.join(' ')} ${DUMP}`.replace(/\s+/g, ' ') };
      return p ? byName(`${name} -p`) : null;
    }
    case 'compgen':
      return args.some((a) => a === '-v' || a === '-e' || /^-A$/.test(a)) ||
        args.some((a, i) => args[i - 1] === '-A' && /^(variable|export)$/.test(a))
        ? { verdict: 'deny', reason: 'compgen lists the environment; name the one non-secret variable you need' }
        : null;
  }
  return null;
}

const GIT_VARS =
  /^GIT_(CONFIG(?:_COUNT|_KEY_\d+|_VALUE_\d+|_PARAMETERS|_GLOBAL|_SYSTEM)?|SSH|SSH_COMMAND|SSH_VARIANT|EXEC_PATH|ASKPASS|PROXY_COMMAND|EXTERNAL_DIFF|EDITOR|SEQUENCE_EDITOR|PAGER|DIR|WORK_TREE|COMMON_DIR|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|TEMPLATE_DIR)$/;
const CODE_VARS =
  /^(LD_PRELOAD|LD_AUDIT|LD_LIBRARY_PATH|DYLD_\w+|BASH_ENV|ENV|PROMPT_COMMAND|NODE_OPTIONS|PERL5OPT|RUBYOPT|PYTHONSTARTUP|PYTHONINSPECT|SHELLOPTS|BASHOPTS|PS4)$/;

/**
 * A variable set for a command (or for the shell). `ask` for git's program and config variables (the
 * same injection as `git -c`); `agent` for variables that load code the session chose.
 */
export function envVarProblem(
  name: string,
  value: string | null,
  c: Checker,
): { verdict: 'ask' | 'agent'; reason: string } | null {
  if (GIT_VARS.test(name))
    return { verdict: 'ask', reason: `setting ${name} changes what git runs or which repository and config it uses` };
  if (CODE_VARS.test(name)) return { verdict: 'agent', reason: `setting ${name} loads code the session chose` };
  if (name === 'PATH' && value !== null) {
    for (const dir of value.split(':')) {
      if (isUnknown(dir)) continue;
      const abs = isAbsolute(dir) ? dir : c.cwd === null ? null : resolve(c.cwd, dir || '.');
      if (abs === null || !isAbsolute(dir) || isInside(abs, c.ctx.root) || c.writable(abs))
        return {
          verdict: 'agent',
          reason: `PATH=${value.replaceAll(UNKNOWN, '…')} puts a folder the session can write first in line`,
        };
    }
  }
  return null;
}
