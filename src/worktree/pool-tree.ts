/**
 * What the worktree pool does to one of its worktrees: make it (the add serialised per repository, the
 * checkout outside that turn), list what git knows, settle a released one back to a clean detached
 * checkout without losing anything, and remove it.
 */
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { COMPILED_PATHS, excludeCompiledFiles, forgetExclusion } from './exclude.js';
import { WorktreeError } from './create.js';
import { firstLines, git } from './git.js';
import { commitsNoRefHolds, keepUnder, snapshotWork } from './recover.js';
import { withRepoLock } from './repo-lock.js';
import { isSparse, unlimit } from './sparse.js';

/**
 * The pool's own git runs no hooks and no file-system monitor of the repository's: it is agency's plumbing,
 * not the user's, and what a worker wrote into a worktree must not run through it.
 */
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];

/** git in cwd: its standard output, or a WorktreeError naming the command, the folder and what git said. */
export async function run(cwd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  const r = await git(cwd, [...NO_HOOKS, ...args], { env, input });
  if (r.code !== 0)
    throw new WorktreeError(`git ${args.slice(0, 2).join(' ')} failed in ${cwd}: ${firstLines(r.stderr || r.stdout)}`);
  return r.stdout;
}

export interface Listed {
  path: string;
  head: string | null;
  /** refs/heads/… checked out, or null when detached */
  branch: string | null;
  /** its folder is gone */
  prunable: boolean;
}

/** `git worktree list`: every worktree of the repository. */
export async function listWorktrees(repo: string, env: NodeJS.ProcessEnv): Promise<Listed[]> {
  const out = await run(repo, ['worktree', 'list', '--porcelain', '-z'], env);
  const list: Listed[] = [];
  let cur: Listed | null = null;
  for (const field of out.split('\0')) {
    if (field.startsWith('worktree ')) {
      cur = { path: field.slice('worktree '.length), head: null, branch: null, prunable: false };
      list.push(cur);
    } else if (cur && field.startsWith('HEAD ')) cur.head = field.slice('HEAD '.length);
    else if (cur && field.startsWith('branch ')) cur.branch = field.slice('branch '.length);
    else if (cur && field.startsWith('prunable')) cur.prunable = true;
    else if (field === '') cur = null;
  }
  return list;
}

/** The commit each name names (a branch, a tag, a commit id), or null; one git for all of them. */
export async function commitsOf(repo: string, names: string[], env: NodeJS.ProcessEnv): Promise<(string | null)[]> {
  if (names.some((n) => /[\0\n\r]/.test(n) || n.trim() === ''))
    throw new WorktreeError('a revision name must be one line');
  const out = await run(
    repo,
    ['cat-file', '--batch-check=%(objectname)'],
    env,
    names.map((n) => `${n}^{commit}\n`).join(''),
  );
  const lines = out.split('\n');
  return names.map((_, i) => (/^[0-9a-f]{40,64}$/.test(lines[i] ?? '') ? lines[i]! : null));
}

export async function gitDirOf(worktree: string, env: NodeJS.ProcessEnv): Promise<string> {
  return realpathSync((await run(worktree, ['rev-parse', '--path-format=absolute', '--git-dir'], env)).trim());
}

/** Removes a worktree of the pool (in the repository's turn) and the include of its config; branches stay. */
export async function removeTree(
  repo: string,
  common: string,
  path: string,
  o: { force: boolean; env: NodeJS.ProcessEnv },
): Promise<void> {
  await withRepoLock(common, async () => {
    const r = await git(repo, ['worktree', 'remove', ...(o.force ? ['--force', '--force'] : []), path], { env: o.env });
    if (r.code !== 0) {
      if (!o.force) throw new WorktreeError(`could not remove ${path}: ${firstLines(r.stderr)}`);
      // a folder git no longer knows as a worktree goes all the same
      rmSync(path, { recursive: true, force: true });
      await git(repo, ['worktree', 'prune'], { env: o.env });
    }
    await forgetExclusion(repo, path);
  });
}

/**
 * A new worktree at path, detached at commit, with nothing checked out yet (populate does that, outside
 * the repository's turn, so that checkouts of several worktrees run at once). Nothing is left behind
 * when it fails.
 */
export async function addTree(
  repo: string,
  common: string,
  path: string,
  commit: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  return withRepoLock(common, async () => {
    await run(repo, ['worktree', 'add', '--quiet', '--detach', '--no-checkout', path, commit], env);
    try {
      await excludeCompiledFiles(path);
      return await gitDirOf(path, env);
    } catch (e) {
      await git(repo, ['worktree', 'remove', '--force', '--force', path], { env });
      await forgetExclusion(repo, path).catch(() => undefined);
      throw e;
    }
  });
}

/** Checks out HEAD's files (within the worktree's sparse checkout, if it has one). */
export async function populate(path: string, env: NodeJS.ProcessEnv): Promise<void> {
  await run(path, ['read-tree', '-mu', 'HEAD'], env);
}

/** What a worker may leave in its administrative folder: an operation under way, and a lock from a killed git. */
const UNDER_WAY = ['rebase-merge', 'rebase-apply', 'sequencer'];
/** What a merge, cherry-pick or revert stopped half-way leaves; `git reset --hard` clears it. */
const HALF_DONE = ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD'];

/** Whether the worktree is as the pool keeps an idle one: detached, populated, clean, not sparse. */
export async function isIdleShape(path: string, gitDir: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (isSparse(gitDir) || [...UNDER_WAY, ...HALF_DONE].some((d) => existsSync(join(gitDir, d)))) return false;
  if (existsSync(join(gitDir, 'index.lock'))) return false;
  const status = await run(path, ['status', '--porcelain', '-z', '--untracked-files=normal'], env);
  return status === '';
}

/** A moment as a ref name can carry it: 20250131T235959Z. */
const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/**
 * Brings a worktree back to the pool's idle shape: first every change not committed is committed onto a
 * recovery ref (`refs/agency/recovered/<label with / as ->-<time>`), as are commits of a detached HEAD that
 * no ref holds; then the worktree is detached at its HEAD, reset, cleaned of untracked files and of agency's
 * compiled context (ignored build output stays), and its sparse checkout undone. Returns the recovery ref
 * and the commit the worktree is left at. With `tidy` false, only the work is kept (for a worktree about
 * to be removed).
 */
export async function settle(
  w: { path: string; gitDir: string },
  label: string,
  o: { message?: string; env: NodeJS.ProcessEnv; tidy?: boolean },
): Promise<{ recovered: string | null; head: string }> {
  const { path, gitDir, env } = { ...w, env: o.env };
  // the worker is gone; a lock its git left behind when it was killed would stop every step below
  rmSync(join(gitDir, 'index.lock'), { force: true });
  const status = await run(path, ['status', '--porcelain', '-z', '--untracked-files=normal'], env);
  const dirty = status !== '';
  const head = (await run(path, ['rev-parse', '--verify', 'HEAD^{commit}'], env)).trim();
  const detached = (await git(path, ['symbolic-ref', '--quiet', 'HEAD'], { env })).code !== 0;
  let keep: string | null = null;
  if (dirty)
    keep = await snapshotWork(
      path,
      o.message ?? `agency: work on ${label} not committed when its worktree was released`,
      env,
    );
  else if (detached && (await commitsNoRefHolds(path, head)) > 0) keep = head;
  const recovered = keep
    ? await keepUnder(path, `${label.replace(/\//g, '-')}-${stamp(new Date())}`, keep, `agency: keep ${label}`, env)
    : null;
  if (o.tidy === false) return { recovered, head };
  // each step only where there is something to do: on a large repository each walks every file
  for (const d of UNDER_WAY) rmSync(join(gitDir, d), { recursive: true, force: true });
  if (dirty || HALF_DONE.some((f) => existsSync(join(gitDir, f))))
    await run(path, ['reset', '--quiet', '--hard', 'HEAD'], env);
  // the index and files are HEAD's now, so detaching is only HEAD's own change
  if (!detached) await run(path, ['update-ref', '--no-deref', '-m', 'agency: released', 'HEAD', head], env);
  if (/(^|\0)\?\? /.test(status)) await run(path, ['clean', '-fdq'], env);
  const compiled = COMPILED_PATHS.map((p) => `:(top,literal)${p.replace(/^\/|\/$/g, '')}`);
  await run(path, ['clean', '-fdxq', '--', ...compiled], env);
  await unlimit(path, gitDir, env);
  return { recovered, head };
}
