/**
 * The parts of a repository's git configuration that change what a command does: aliases, configured
 * push refspecs and mirrors, upstreams. Read with `git config`, bounded in time and size; a reading that
 * fails is an Error, and the caller fails closed.
 */
import { createRequire } from 'node:module';

/** child_process costs every guard start milliseconds to load, and most calls never need it */
const childProcess = () => createRequire('/')('node:child_process') as typeof import('node:child_process');

export type GitConfig = Map<string, string[]>;

const WANTED = '^(alias|remote|branch|push)\\.';

const read = new Map<string, GitConfig | Error>();

/**
 * Once per folder and call: a line with many pushes reads the config once. decide() forgets what was read
 * before each call, so a guard that lives on in the node sees the config as it is now.
 */
export function forgetGitConfig(): void {
  read.clear();
}

export function readGitConfig(cwd: string): GitConfig | Error {
  let cfg = read.get(cwd);
  if (cfg === undefined) read.set(cwd, (cfg = readNow(cwd)));
  return cfg;
}

function readNow(cwd: string): GitConfig | Error {
  const r = childProcess().spawnSync('git', ['config', '--null', '--get-regexp', WANTED], {
    cwd,
    encoding: 'utf8',
    timeout: 3000,
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' },
  });
  if (r.error) return new Error(`git config could not run: ${r.error.message}`);
  // 1: nothing matched
  if (r.status === 1) return new Map();
  if (r.status !== 0)
    return new Error(`git config failed: ${(r.stderr || '').trim().split('\n')[0] || `exit ${r.status}`}`);
  const out: GitConfig = new Map();
  for (const entry of r.stdout.split('\0')) {
    if (entry === '') continue;
    const nl = entry.indexOf('\n');
    const key = normalKey(nl < 0 ? entry : entry.slice(0, nl));
    const value = nl < 0 ? 'true' : entry.slice(nl + 1);
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

/** Section and variable names are case-insensitive in git; a subsection (`remote.Origin.push`) is not. */
export function normalKey(key: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first < 0) return key.toLowerCase();
  if (first === last) return key.toLowerCase();
  return `${key.slice(0, first).toLowerCase()}${key.slice(first, last)}${key.slice(last).toLowerCase()}`;
}

/** Config given on the command line (`git -c k=v`) over the repository's own. */
export function overlay(base: GitConfig, pairs: [string, string][]): GitConfig {
  const out = new Map(base);
  for (const [k, v] of pairs) out.set(k, [v]);
  return out;
}

export function last(cfg: GitConfig, key: string): string | undefined {
  return cfg.get(key)?.at(-1);
}

/** Keys whose value no git command runs, fetches or pushes by. */
export const HARMLESS_KEY =
  /^(user\.(name|email|signingkey)|(commit|tag)\.gpgsign|color\..*|core\.(autocrlf|filemode|quotepath|ignorecase|eol|safecrlf|whitespace|precomposeunicode|longpaths|abbrev)|pull\.(rebase|ff)|init\.defaultbranch|advice\..*|log\..*|format\.pretty|diff\.(renames|algorithm|colormoved|mnemonicprefix|noprefix|submodule|context|interhunkcontext|relative|statgraphwidth)|merge\.(conflictstyle|ff)|rerere\.enabled|fetch\.prune|help\.autocorrect|status\..*|branch\.autosetup\w*|rebase\.(autosquash|autostash|updaterefs)|protocol\.version|i18n\.\w+|gc\.auto)$/i;
