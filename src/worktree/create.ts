/** A git worktree of its own for each session, on a branch of its own, made from the repository's HEAD. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { simpleGit } from 'simple-git';

export interface Worktree {
  /** the repository's main checkout: where Claude Code keys its trust of the worktree */
  repoRoot: string;
  path: string;
  branch: string;
  /** the commit the branch starts at */
  base: string;
  /** the branch checked out in the repository then, or null if its HEAD was detached */
  baseBranch: string | null;
}

export class WorktreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorktreeError';
  }
}

/** The main checkout of the repository containing dir (also when dir is itself a linked worktree). */
export async function repoRootOf(dir: string): Promise<string> {
  if (!existsSync(dir)) throw new WorktreeError(`${dir} does not exist`);
  const git = simpleGit(dir);
  let common: string;
  try {
    common = (await git.raw(['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
  } catch {
    throw new WorktreeError(`${dir} is not inside a git repository; pass --repo with the repository to work on`);
  }
  // a bare repository (a node's mirror) is its own root, and has no checkout
  if ((await simpleGit(common).raw(['rev-parse', '--is-bare-repository'])).trim() === 'true')
    return realpathSync(common);
  const top = (
    await simpleGit(join(common, '..'))
      .raw(['rev-parse', '--show-toplevel'])
      .catch(() => '')
  ).trim();
  return realpathSync(top || join(common, '..'));
}

/** `base`: what to branch from where the repository's HEAD is not it (a mirror); by default its HEAD. */
export async function createWorktree(opts: {
  repo: string;
  id: string;
  under: string;
  base?: { commit: string; branch: string | null };
}): Promise<Worktree> {
  const repoRoot = await repoRootOf(opts.repo);
  const git = simpleGit(repoRoot);
  let base: string;
  try {
    base = (await git.raw(['rev-parse', '--verify', `${opts.base?.commit ?? 'HEAD'}^{commit}`])).trim();
  } catch {
    throw new WorktreeError(
      opts.base
        ? `${repoRoot} does not have commit ${opts.base.commit}`
        : `${repoRoot} has no commits yet; commit something first, so a session can branch from it`,
    );
  }
  const baseBranch = opts.base
    ? opts.base.branch
    : (await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim() || null;
  const tag = createHash('sha1').update(repoRoot).digest('hex').slice(0, 8);
  const dir = join(opts.under, `${basename(repoRoot)}-${tag}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, opts.id);
  const branch = `agency/${opts.id}`;
  await git.raw(['worktree', 'add', '--quiet', '-b', branch, path, base]);
  await excludeCompiledFiles(path);
  return { repoRoot, path: realpathSync(path), branch, base, baseBranch };
}

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

/**
 * Keeps the compiled context out of the session's commits, in this worktree only: a per-worktree
 * core.excludesFile (git's extensions.worktreeConfig) holding the user's own global excludes and agency's
 * paths. The main checkout and other worktrees are not affected.
 */
async function excludeCompiledFiles(path: string): Promise<void> {
  const git = simpleGit(path);
  await git.raw(['config', 'extensions.worktreeConfig', 'true']);
  const gitDir = (await git.raw(['rev-parse', '--path-format=absolute', '--git-dir'])).trim();
  const globalFile =
    (await git.raw(['config', '--global', '--path', 'core.excludesFile']).catch(() => '')).trim() ||
    join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'git', 'ignore');
  const own = existsSync(globalFile) ? readFileSync(globalFile, 'utf8') : '';
  const file = join(gitDir, 'agency-exclude');
  writeFileSync(
    file,
    `${own}${own && !own.endsWith('\n') ? '\n' : ''}# written by agency: the session's compiled context\n${COMPILED_PATHS.join('\n')}\n` +
      `# and what the OS sandbox mounts in the worktree while a command runs\n${SANDBOX_PLACEHOLDERS.join('\n')}\n`,
  );
  await git.raw(['config', '--worktree', 'core.excludesFile', file]);
}
