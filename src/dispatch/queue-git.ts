/**
 * The merge queue's git, on the session's own worktree. Merges are made in the object store only
 * (`git merge-tree --write-tree`, then `commit-tree`); the worktree moves from one commit to another with a
 * two-tree `read-tree -m -u`, which carries the session's uncommitted changes along and refuses, changing
 * nothing, when it would overwrite one; then the branch moves with `update-ref`, checked against where it
 * was. So no `git merge` ever runs in the session's worktree, and it is never left half-merged.
 */
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RemoteError } from '../protocol/connection.js';
import { COMPILED_PATHS } from '../worktree/exclude.js';
import { firstLines, git, gitEnv, gitOut } from '../worktree/git.js';
import { gitIdentityProblem } from '../worktree/identity.js';

/** The session's worktree and the branch checked out in it, with the environment git runs in. */
export interface Checkout {
  worktree: string;
  branch: string;
  env: NodeJS.ProcessEnv;
}

const AGENCY_IDENTITY = {
  GIT_AUTHOR_NAME: 'agency',
  GIT_AUTHOR_EMAIL: 'agency@localhost',
  GIT_COMMITTER_NAME: 'agency',
  GIT_COMMITTER_EMAIL: 'agency@localhost',
};

/** git's environment for the queue: the repository's identity for merge commits, or agency's when it has none. */
export async function queueEnv(worktree: string, env: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
  const base = gitEnv(env, { GIT_LITERAL_PATHSPECS: '1' });
  return (await gitIdentityProblem(worktree, base)) === null ? base : { ...base, ...AGENCY_IDENTITY };
}

/**
 * No hook of the repository runs for the queue's git: what the check wrote in the worktree (a hooks folder
 * that core.hooksPath names there, say) must not run outside the sandbox.
 */
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];
const run = (c: Checkout, args: string[], input?: string) =>
  git(c.worktree, [...NO_HOOKS, ...args], { env: c.env, ...(input === undefined ? {} : { input }) });
const out = (c: Checkout, args: string[]) => gitOut(c.worktree, [...NO_HOOKS, ...args], { env: c.env });

/** Files whose presence in the git folder says an operation is under way there. */
const IN_PROGRESS: [string, string][] = [
  ['MERGE_HEAD', 'a merge'],
  ['CHERRY_PICK_HEAD', 'a cherry-pick'],
  ['REVERT_HEAD', 'a revert'],
  ['rebase-merge', 'a rebase'],
  ['rebase-apply', 'a rebase'],
  ['BISECT_LOG', 'a bisect'],
];

/**
 * The session branch's commit, once the worktree is found to have it checked out with nothing under way
 * (no merge, rebase or conflicted file of the session's own); else a RemoteError saying what to do.
 */
export async function sessionHead(c: Checkout): Promise<string> {
  if (!existsSync(c.worktree))
    throw new RemoteError('not-found', `the session's worktree ${c.worktree} is gone; nothing was merged`);
  const head = await run(c, ['symbolic-ref', '--quiet', 'HEAD']);
  if (head.code !== 0 || head.stdout.trim() !== `refs/heads/${c.branch}`)
    throw new RemoteError(
      'conflict',
      `${c.worktree} does not have ${c.branch} checked out (${head.code === 0 ? `it has ${head.stdout.trim().replace(/^refs\/heads\//, '')}` : 'its HEAD is detached'}); switch it back to ${c.branch}, then merge again (nothing was merged)`,
    );
  const gitDir = (await out(c, ['rev-parse', '--absolute-git-dir'])).trim();
  for (const [file, what] of IN_PROGRESS)
    if (existsSync(join(gitDir, file)))
      throw new RemoteError(
        'conflict',
        `${c.worktree} is in the middle of ${what}; finish or abort it there, then merge again (nothing was merged)`,
      );
  if ((await out(c, ['ls-files', '--unmerged', '-z'])) !== '')
    throw new RemoteError(
      'conflict',
      `${c.worktree} has files with conflicts not resolved; resolve them there, then merge again (nothing was merged)`,
    );
  return (await out(c, ['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
}

/** git's folders for the worktree: its own and the repository's common one. */
export async function gitDirsOf(c: Checkout): Promise<string[]> {
  const o = await out(c, ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir']);
  return [...new Set(o.split('\n').filter((l) => l !== ''))];
}

/** `git status`: each path not as committed (untracked files one by one, ignored ones not) → its two letters. */
export async function worktreeStatus(c: Checkout): Promise<Map<string, string>> {
  const o = await out(c, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']);
  const status = new Map<string, string>();
  for (const entry of o.split('\0')) if (entry.length > 3) status.set(entry.slice(3), entry.slice(0, 2));
  return status;
}

/** The commits the branches name, by branch (one git for all); a branch that is not there is missing. */
export async function tipsOf(c: Checkout, branches: string[]): Promise<Map<string, string>> {
  const tips = new Map<string, string>();
  if (!branches.length) return tips;
  const o = await out(c, [
    'for-each-ref',
    '--format=%(objecttype) %(objectname) %(refname)',
    ...branches.map((b) => `refs/heads/${b}`),
  ]);
  const wanted = new Set(branches.map((b) => `refs/heads/${b}`));
  for (const line of o.split('\n')) {
    const m = /^commit ([0-9a-f]+) (.+)$/.exec(line);
    if (m && wanted.has(m[2]!)) tips.set(m[2]!.slice('refs/heads/'.length), m[1]!);
  }
  return tips;
}

/** Where a and b meet (null when they share no history). */
export async function mergeBase(c: Checkout, a: string, b: string): Promise<string | null> {
  const r = await run(c, ['merge-base', a, b]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** The paths that differ between two commits or trees, with whether each is new in `to`. */
export async function changes(c: Checkout, from: string, to: string): Promise<{ path: string; added: boolean }[]> {
  const o = await out(c, ['diff', '--name-status', '-z', '--no-renames', '--no-ext-diff', from, to]);
  const t = o.split('\0');
  const files: { path: string; added: boolean }[] = [];
  for (let i = 0; i + 1 < t.length; i += 2) files.push({ path: t[i + 1]!, added: t[i] === 'A' });
  return files;
}

/**
 * The paths a move of the worktree would overwrite: those the session changed and did not commit (or a
 * folder holding one, or a file where the move needs a folder), and ignored files where the move adds one.
 */
export function overwritten(
  worktree: string,
  changed: { path: string; added: boolean }[],
  dirty: Map<string, string>,
): string[] {
  const hit = new Set<string>();
  const dirtyPaths = [...dirty.keys()];
  for (const { path, added } of changed) {
    for (const d of dirtyPaths)
      if (d === path || path.startsWith(`${d}/`) || d.startsWith(`${path}/`)) hit.add(d === path ? path : d);
    if (added && !dirty.has(path) && exists(join(worktree, path))) hit.add(path);
  }
  return [...hit].sort();
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** A merge commit of theirs into ours with tree; its message names the worker. */
export async function commitMerge(c: Checkout, tree: string, ours: string, theirs: string, message: string) {
  const r = await run(c, ['commit-tree', tree, '-p', ours, '-p', theirs, '-F', '-'], message);
  if (r.code !== 0)
    throw new RemoteError('failed', `git could not make a merge commit: ${firstLines(r.stderr)}; nothing was merged`);
  return r.stdout.trim();
}

/**
 * Moves the session's branch and worktree from one commit to another, keeping the session's uncommitted
 * changes; refuses (a RemoteError, nothing changed) when the branch is not where the queue left it, or
 * when the move would overwrite a change of the session's.
 */
export async function moveTo(c: Checkout, from: string, to: string, why: string): Promise<void> {
  if (from === to) return;
  const head = await run(c, ['rev-parse', '--verify', '--quiet', `refs/heads/${c.branch}`]);
  if (head.stdout.trim() !== from)
    throw new RemoteError(
      'conflict',
      `${c.branch} moved while the merge queue ran (it is at ${head.stdout.trim().slice(0, 12) || 'nothing'}, not ${from.slice(0, 12)}); merge again`,
    );
  await run(c, ['update-index', '-q', '--refresh']);
  const rt = await run(c, ['read-tree', '-m', '-u', from, to]);
  if (rt.code !== 0)
    throw new RemoteError(
      'conflict',
      `the merge queue could not update ${c.worktree} (${firstLines(rt.stderr)}); it was left as it was`,
    );
  const ur = await run(c, ['update-ref', '-m', `agency merge queue: ${why}`, 'HEAD', to, from]);
  if (ur.code !== 0) {
    await run(c, ['read-tree', '-m', '-u', to, from]);
    throw new RemoteError(
      'conflict',
      `${c.branch} moved while the merge queue ran (${firstLines(ur.stderr)}); merge again`,
    );
  }
}

/** The paths of the session's compiled context, relative to its worktree. */
export const compiledPaths = () => COMPILED_PATHS.map((p) => p.replace(/^\/|\/$/g, ''));

/** Those that are there now. */
export const compiledIn = (worktree: string) => compiledPaths().filter((p) => exists(join(worktree, p)));

/**
 * Puts back what a check changed in the worktree: files it changed or removed that were committed are
 * checked out again, files it made are removed, files the session had deleted are deleted again, and a
 * file of the session's compiled context it made is removed. The session's own changes (in `before`) are
 * left as they are; other ignored files (build output) too.
 */
export async function undoCheckWrites(
  c: Checkout,
  before: Map<string, string>,
  compiledBefore: string[],
): Promise<string[]> {
  const after = await worktreeStatus(c);
  const restore: string[] = [];
  const remove: string[] = [];
  for (const [path, xy] of after) {
    if (before.has(path)) continue;
    if (xy === '??' || xy[0] === 'A') remove.push(path);
    else restore.push(path);
  }
  for (const [path, xy] of before)
    if (xy.includes('D') && xy !== '??' && exists(join(c.worktree, path))) remove.push(path);
  // the session's context, ignored by git: one the check made where there was none goes
  for (const p of compiledPaths()) if (!compiledBefore.includes(p) && exists(join(c.worktree, p))) remove.push(p);
  if (remove.length)
    await run(
      c,
      ['rm', '--cached', '-q', '--ignore-unmatch', '--pathspec-from-file=-', '--pathspec-file-nul'],
      remove.join('\0'),
    );
  for (const p of remove) rmSync(join(c.worktree, p), { recursive: true, force: true });
  if (restore.length) {
    const r = await run(c, ['checkout', 'HEAD', '--pathspec-from-file=-', '--pathspec-file-nul'], restore.join('\0'));
    if (r.code !== 0)
      throw new RemoteError(
        'failed',
        `the check changed files in ${c.worktree} that could not be put back: ${firstLines(r.stderr)}`,
      );
  }
  return [...restore, ...remove].sort();
}
