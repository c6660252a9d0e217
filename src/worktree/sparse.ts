/**
 * Sparse checkouts for one linked worktree, leaving the repository's shared config alone. `git
 * sparse-checkout` would turn on `extensions.worktreeConfig` for the whole repository (older git and other
 * tools refuse repositories with extensions they do not know); instead the settings go into the config
 * file that exclude.ts already includes for this worktree only, and the patterns into the worktree's own
 * `info/sparse-checkout` (git reads that file from the worktree's administrative folder, not the common one).
 *
 * The patterns are git's classic (non-cone) ones, so a path may name a file as well as a folder: the files
 * at the top of the repository (its manifests and instructions) and each path named, in full.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { worktreeConfigFile } from './exclude.js';
import { git, gitOut } from './git.js';
import { WorktreeError } from './create.js';

const patternsFile = (gitDir: string) => join(gitDir, 'info', 'sparse-checkout');

/** A repository path, checked: relative, inside the repository, one line. */
export function repoPath(p: string): string {
  const norm = p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const parts = norm.split('/');
  if (
    norm === '' ||
    norm === '.' ||
    p.startsWith('/') ||
    /[\0\n\r]/.test(p) ||
    parts.some((s) => s === '..' || s === '.' || s === '' || s === '.git')
  )
    throw new WorktreeError(
      `${JSON.stringify(p)} is not a path inside the repository; name files or folders relative to its top, such as src/lib`,
    );
  return norm;
}

/** The sparse-checkout patterns for paths: files at the top, and each path (file or folder) in full. */
export function sparsePatterns(paths: string[]): string {
  const escape = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&').replace(/ (?= *$)/g, '\\ ');
  return ['/*', '!/*/', ...paths.map((p) => `/${escape(repoPath(p))}`)].join('\n') + '\n';
}

/** Whether the worktree whose administrative folder is gitDir has a sparse checkout of agency's. */
export function isSparse(gitDir: string): boolean {
  return existsSync(patternsFile(gitDir));
}

async function setSwitch(cwd: string, gitDir: string, on: boolean, env: NodeJS.ProcessEnv): Promise<void> {
  const file = worktreeConfigFile(gitDir);
  if (on) {
    await gitOut(cwd, ['config', '--file', file, 'core.sparseCheckout', 'true'], { env });
    await gitOut(cwd, ['config', '--file', file, 'core.sparseCheckoutCone', 'false'], { env });
  } else if (existsSync(file) && /sparse/i.test(readFileSync(file, 'utf8'))) {
    for (const key of ['core.sparseCheckout', 'core.sparseCheckoutCone']) {
      const r = await git(cwd, ['config', '--file', file, '--unset-all', key], { env });
      // 5: the key was not there
      if (r.code !== 0 && r.code !== 5) throw new WorktreeError(`could not change ${file}: ${r.stderr.trim()}`);
    }
  }
}

/**
 * Limits the worktree to paths from its next checkout on (the caller then checks out, or runs
 * `git read-tree -mu HEAD`, which applies them to the files there).
 */
export async function limitTo(
  worktree: string,
  gitDir: string,
  paths: string[],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const text = sparsePatterns(paths);
  mkdirSync(dirname(patternsFile(gitDir)), { recursive: true });
  writeFileSync(patternsFile(gitDir), text);
  await setSwitch(worktree, gitDir, true, env);
}

/** Undoes limitTo: every file of HEAD back in a clean worktree, and the settings gone. */
export async function unlimit(worktree: string, gitDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (isSparse(gitDir)) {
    writeFileSync(patternsFile(gitDir), '/*\n');
    await setSwitch(worktree, gitDir, true, env);
    await gitOut(worktree, ['read-tree', '-mu', 'HEAD'], { env });
  }
  await dropLimits(worktree, gitDir, env);
}

/** Removes the settings and patterns of limitTo without checking anything out (for a worktree with nothing checked out). */
export async function dropLimits(worktree: string, gitDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  rmSync(patternsFile(gitDir), { force: true });
  await setSwitch(worktree, gitDir, false, env);
}
