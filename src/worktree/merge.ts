/**
 * Merging a session's branch into a branch of its repository. The merge is computed first with
 * `git merge-tree --write-tree`, which touches no checkout: a conflict is reported with its files and
 * nothing changes. A branch that is not checked out anywhere is then moved with update-ref (a fast-forward,
 * or a merge commit made with commit-tree), checked against the commit it was at, so that a branch that
 * moved meanwhile is not overwritten. A branch that is checked out is merged by `git merge` in that checkout,
 * so that the user's files follow; a checkout with changes not committed is refused first.
 */
import type { MergeResult } from '../protocol/messages.js';
import { checkouts, firstLines, git, gitOut, hasTrackedChanges, resolveRef } from './git.js';
import { LandingError, tipOf, type SessionBranch } from './landing.js';

export interface MergeRequest {
  session: SessionBranch;
  /** the branch to merge into */
  into: string;
  /** the first line of the merge commit's message */
  message: string;
}

export type Merged = Omit<MergeResult, 'session'>;

/** The files a merge would leave in conflict, or the tree it makes (nothing is touched but the object store). */
export async function mergeTree(
  repo: string,
  ours: string,
  theirs: string,
): Promise<{ tree: string; conflicts: string[] }> {
  const r = await git(repo, ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', ours, theirs]);
  if (r.code !== 0 && r.code !== 1) throw new LandingError('failed', `git merge-tree failed: ${firstLines(r.stderr)}`);
  const [tree, ...rest] = r.stdout.split('\0');
  return { tree: tree!.trim(), conflicts: r.code === 1 ? [...new Set(rest.filter((f) => f !== ''))] : [] };
}

async function filesBetween(repo: string, a: string, b: string): Promise<number> {
  const out = await gitOut(repo, ['diff', '--name-only', '-z', '--no-renames', a, b]);
  return out.split('\0').filter((n) => n !== '').length;
}

async function isAncestor(repo: string, a: string, b: string): Promise<boolean> {
  return (await git(repo, ['merge-base', '--is-ancestor', a, b])).code === 0;
}

function quote(paths: string[], max = 10): string {
  const shown = paths.slice(0, max).map((p) => JSON.stringify(p));
  return shown.join(', ') + (paths.length > max ? ` and ${paths.length - max} more` : '');
}

export async function mergeBranch(m: MergeRequest): Promise<Merged> {
  const { session: s, into } = m;
  const repo = s.repo;
  if (into === s.branch) throw new LandingError('bad-request', `cannot merge ${s.branch} into itself`);
  const tip = await tipOf(s);
  const target = await resolveRef(repo, `refs/heads/${into}`);
  if (!target) throw new LandingError('not-found', `there is no branch ${JSON.stringify(into)} in ${repo}`);
  const base = { repo, into, fastForward: false, files: 0 };
  if (await isAncestor(repo, tip, target)) return { ...base, commit: target, alreadyMerged: true };

  const checkout = (await checkouts(repo)).get(`refs/heads/${into}`) ?? null;
  if (checkout !== null && (await hasTrackedChanges(checkout)))
    throw new LandingError(
      'conflict',
      `${into} is checked out in ${checkout} with changes not committed; commit or stash them there, then merge again (nothing was merged)`,
    );
  const fastForward = await isAncestor(repo, target, tip);
  let commit: string;
  if (fastForward) commit = tip;
  else {
    const { tree, conflicts } = await mergeTree(repo, target, tip);
    if (conflicts.length)
      throw new LandingError(
        'conflict',
        `${s.branch} conflicts with ${into} in ${quote(conflicts)}; nothing was merged. Resolve it in the session's worktree (merge ${into} into ${s.branch} there), then merge again`,
      );
    commit = checkout === null ? await commitTree(repo, tree, target, tip, m.message) : '';
  }

  if (checkout === null) {
    const r = await git(repo, ['update-ref', '-m', `agency: merge ${s.branch}`, `refs/heads/${into}`, commit, target]);
    if (r.code !== 0)
      throw new LandingError('conflict', `${into} moved while merging (${firstLines(r.stderr)}); merge again`);
  } else commit = await mergeInCheckout(checkout, into, tip, fastForward, m.message);
  return { ...base, commit, fastForward, files: await filesBetween(repo, target, commit), alreadyMerged: false };
}

async function commitTree(repo: string, tree: string, ours: string, theirs: string, message: string): Promise<string> {
  const r = await git(repo, ['commit-tree', tree, '-p', ours, '-p', theirs, '-F', '-'], { input: `${message}\n` });
  if (r.code !== 0)
    throw new LandingError(
      'failed',
      `git could not make the merge commit (${firstLines(r.stderr)}); nothing was merged. If git asks who you are, set user.name and user.email for the repository or globally on the node`,
    );
  return r.stdout.trim();
}

/** A merge in the checkout where the branch is: its working tree follows. Nothing is left half-done. */
async function mergeInCheckout(
  checkout: string,
  into: string,
  tip: string,
  fastForward: boolean,
  message: string,
): Promise<string> {
  const args = fastForward ? ['merge', '--ff-only', tip] : ['merge', '--no-ff', '--no-edit', '-m', message, tip];
  const r = await git(checkout, args);
  if (r.code !== 0) {
    if ((await git(checkout, ['rev-parse', '--verify', '--quiet', 'MERGE_HEAD'])).code === 0)
      await git(checkout, ['merge', '--abort']);
    throw new LandingError(
      'conflict',
      `git merge in ${checkout} stopped (${firstLines(r.stderr || r.stdout)}); ${into} was left as it was`,
    );
  }
  return (await gitOut(checkout, ['rev-parse', 'HEAD'])).trim();
}
