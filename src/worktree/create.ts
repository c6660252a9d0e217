/** A git worktree of its own for each session, on a branch of its own, made from the repository's HEAD. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { simpleGit } from 'simple-git';
import { excludeCompiledFiles, forgetExclusion } from './exclude.js';
import { commonDirOf, withRepoLock } from './repo-lock.js';

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
  await withRepoLock(await commonDirOf(repoRoot), async () => {
    await git.raw(['worktree', 'add', '--quiet', '-b', branch, path, base]);
    await excludeCompiledFiles(path);
  });
  return { repoRoot, path: realpathSync(path), branch, base, baseBranch };
}

/**
 * Takes back a worktree createWorktree just made, and its branch, when the session it was for cannot start:
 * nothing was done in it, so nothing is kept.
 */
export async function discardWorktree(wt: Worktree): Promise<void> {
  const git = simpleGit(wt.repoRoot);
  await withRepoLock(await commonDirOf(wt.repoRoot), async () => {
    await git.raw(['worktree', 'remove', '--force', '--force', wt.path]).catch(() => undefined);
    // a folder git no longer knows as a worktree goes all the same
    rmSync(wt.path, { recursive: true, force: true });
    await git.raw(['worktree', 'prune']);
    await forgetExclusion(wt.repoRoot, wt.path);
  });
  await git.raw(['branch', '-D', wt.branch]);
}
