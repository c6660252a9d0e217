/**
 * Keeping a session's compiled context (and what the OS sandbox mounts while a command runs) out of its
 * commits, in its own worktree only, with one conditional include in the repository's config:
 *
 *     [includeIf "gitdir:<repo>/.git/worktrees/<name>"]
 *         path = <repo>/.git/worktrees/<name>/agency.gitconfig
 *
 * The included file, in the worktree's own administrative folder, sets core.excludesFile to a list of
 * agency's paths plus the user's own global excludes. git applies it to that worktree alone (the main
 * checkout and other worktrees have other git folders), needs no repository extension, and the section
 * goes again when the session is removed. A per-worktree `info/exclude` would need nothing in the config,
 * but git reads `info/exclude` from the common folder only.
 */
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { git, gitOut } from './git.js';

/** What `agency compile` writes into a worktree: the session's context, not part of its work. */
export const COMPILED_PATHS = ['/CLAUDE.md', '/.claude/', '/.mcp.json', '/.context/'];

/**
 * What Claude Code's sandbox (v2.1.197, bubblewrap) mounts over paths of the worktree that do not exist, for
 * as long as a command runs, so that nothing can create them: empty character devices that `git add -A`
 * refuses to add ("can only add regular files"). The sandbox never lets a session create these, so leaving
 * them out of its commits hides the placeholders and nothing else.
 */
export const SANDBOX_PLACEHOLDERS = [
  '/.bash_profile',
  '/.bashrc',
  '/.gitconfig',
  '/.gitmodules',
  '/.idea',
  '/.profile',
  '/.ripgreprc',
  '/.vscode',
  '/.zprofile',
  '/.zshrc',
];

/** The file the include names, in the worktree's administrative folder (git removes it with the worktree). */
const INCLUDED = 'agency.gitconfig';
const EXCLUDES = 'agency-exclude';

/** The config file that applies to the worktree whose administrative folder is gitDir alone. */
export const worktreeConfigFile = (gitDir: string) => join(gitDir, INCLUDED);

/** A path as a literal gitdir: pattern (git matches it with wildmatch). */
const literalPattern = (p: string) => p.replace(/[*?[\]\\]/g, '\\$&');
/** A value of a git config file, quoted. */
const configValue = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const canonical = (p: string) => (existsSync(p) ? realpathSync(p) : p);

async function commonDir(dir: string): Promise<string> {
  return realpathSync((await gitOut(dir, ['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim());
}

/** git config writes take a lock: two sessions starting at once in one repository take turns. */
async function configWrite(file: string, args: string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const r = await git(dirname(file), ['config', '--file', file, ...args]);
    if (r.code === 0 || /no such section/.test(r.stderr)) return;
    if (!/could not lock/.test(r.stderr) || attempt >= 40)
      throw new Error(`git config --file ${file} ${args[0]} failed: ${r.stderr.trim()}`);
    await new Promise((res) => setTimeout(res, 25 + Math.random() * 50));
  }
}

export async function excludeCompiledFiles(worktree: string): Promise<void> {
  const gitDir = realpathSync((await gitOut(worktree, ['rev-parse', '--path-format=absolute', '--git-dir'])).trim());
  const globalFile =
    (await git(worktree, ['config', '--global', '--path', 'core.excludesFile'])).stdout.trim() ||
    join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'git', 'ignore');
  const own = existsSync(globalFile) ? readFileSync(globalFile, 'utf8') : '';
  const excludes = join(gitDir, EXCLUDES);
  writeFileSync(
    excludes,
    `${own}${own && !own.endsWith('\n') ? '\n' : ''}# written by agency: the session's compiled context\n${COMPILED_PATHS.join('\n')}\n` +
      `# and what the OS sandbox mounts in the worktree while a command runs\n${SANDBOX_PLACEHOLDERS.join('\n')}\n`,
  );
  writeFileSync(
    join(gitDir, INCLUDED),
    `# written by agency for this worktree only\n[core]\n\texcludesFile = ${configValue(excludes)}\n`,
  );
  const config = join(await commonDir(worktree), 'config');
  await configWrite(config, [`includeIf.gitdir:${literalPattern(gitDir)}.path`, join(gitDir, INCLUDED)]);
}

/**
 * Removes the include of a worktree from its repository's config: the one whose administrative folder
 * belongs to `worktree`, and any whose folder git has already removed. The user's own includes, and those
 * of other live worktrees, stay.
 */
export async function forgetExclusion(repo: string, worktree: string): Promise<void> {
  const common = await commonDir(repo);
  const config = join(common, 'config');
  const r = await git(repo, ['config', '--file', config, '-z', '--get-regexp', '^includeif\\.gitdir:.*\\.path$']);
  if (r.code !== 0) return; // none at all
  const admin = join(common, 'worktrees');
  for (const entry of r.stdout.split('\0')) {
    const nl = entry.indexOf('\n');
    if (nl < 0) continue;
    const key = entry.slice(0, nl);
    const value = entry.slice(nl + 1);
    if (dirname(dirname(value)) !== admin || !value.endsWith(`/${INCLUDED}`)) continue;
    const folder = dirname(value);
    const gitdirFile = join(folder, 'gitdir');
    const owner = existsSync(gitdirFile) ? readFileSync(gitdirFile, 'utf8').trim() : null;
    if (owner !== null && canonical(dirname(owner)) !== canonical(worktree)) continue;
    // git lists section names in lower case, and finds a section to remove by the name it was written with
    await configWrite(config, ['--remove-section', `includeIf.${key.slice('includeif.'.length, -'.path'.length)}`]);
  }
}
