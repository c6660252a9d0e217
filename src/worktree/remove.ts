/**
 * Removing an ended session's worktree and branch without ever losing a commit. Work that no other ref
 * holds (a branch of the user's, a tag, a remote's branch, an earlier recovered ref), and changes never
 * committed, make the removal refuse; with `force`, that work is first kept as a commit under
 * `refs/agency/recovered/<session>` (changes not committed as a commit on top of the branch), then removed.
 */
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { checkouts, firstLines, git, resolveRef } from './git.js';
import { forgetExclusion } from './exclude.js';
import { isDirty, LandingError, type SessionBranch } from './landing.js';
import { commitsNoRefHolds, keepUnder, RECOVERED, snapshotWork } from './recover.js';
import { commonDirOf, withRepoLock } from './repo-lock.js';

export interface RemoveRequest {
  id: string;
  session: SessionBranch;
  force: boolean;
}

export interface Removed {
  /** the worktree removed, or null if it was already gone */
  worktree: string | null;
  /** the branch removed, or null if it was already gone */
  branch: string | null;
  /** the ref that keeps what only the removed branch or worktree held */
  recovered: string | null;
}

/** Branches of sessions: they do not count as a place the work is kept (gc removes them too). */
const SESSION_BRANCHES = 'refs/heads/agency/';
const canonical = (p: string) => (existsSync(p) ? realpathSync(p) : p);

/** Commits of tip that no ref but sessions' branches holds. */
export function commitsOnlyOn(repo: string, tip: string): Promise<number> {
  return commitsNoRefHolds(repo, tip, (ref) => ref.startsWith(SESSION_BRANCHES));
}

/** A commit of everything in the worktree not committed (untracked files too), on top of its HEAD. */
function snapshot(worktree: string, id: string): Promise<string> {
  return snapshotWork(worktree, `agency: changes of session ${id} not committed when it was removed`);
}

/** Keeps commit under refs/agency/recovered/<id> (or <id>-2, … when that name already holds something else). */
function keep(repo: string, id: string, commit: string): Promise<string> {
  return keepUnder(repo, id, commit, `agency: keep session ${id}`);
}

export async function removeSession(r: RemoveRequest): Promise<Removed> {
  const { session: s, id, force } = r;
  const hadWorktree = existsSync(s.worktree);
  if (!existsSync(s.repo)) {
    if (!force)
      throw new LandingError(
        'conflict',
        `the repository ${s.repo} is gone, and with it the branch ${s.branch}; agency rm --force removes the session's worktree folder and its record`,
      );
    rmSync(s.worktree, { recursive: true, force: true });
    return { worktree: hadWorktree ? s.worktree : null, branch: null, recovered: null };
  }
  const tip = await resolveRef(s.repo, `refs/heads/${s.branch}`);
  const checkedOut = (await checkouts(s.repo)).get(`refs/heads/${s.branch}`);
  if (checkedOut !== undefined && canonical(checkedOut) !== canonical(s.worktree))
    throw new LandingError(
      'conflict',
      `${s.branch} is checked out in ${checkedOut}; switch that checkout to another branch first (nothing was removed)`,
    );
  const dirty = hadWorktree && (await isDirty(s.worktree));
  const only = tip ? await commitsOnlyOn(s.repo, tip) : 0;
  let recovered: string | null = null;
  if (only > 0 || dirty) {
    const why = [
      only > 0 ? `${only} commit${only === 1 ? '' : 's'} on ${s.branch} that no other branch has` : null,
      dirty ? `changes in its worktree ${s.worktree} that were never committed` : null,
    ]
      .filter(Boolean)
      .join(', and ');
    if (!force)
      throw new LandingError(
        'conflict',
        `session ${id} has ${why}; nothing was removed. Land them (agency merge ${id}, or agency pr ${id}), or remove it anyway keeping them under ${RECOVERED}/${id} (agency rm ${id} --force)`,
      );
    recovered = await keep(s.repo, id, dirty ? await snapshot(s.worktree, id) : tip!);
  }
  await withRepoLock(await commonDirOf(s.repo), async () => {
    if (hadWorktree) {
      const w = await git(s.repo, ['worktree', 'remove', '--force', '--force', s.worktree]);
      // a folder git does not know as a worktree (its administrative files were lost) goes all the same
      if (w.code !== 0) rmSync(s.worktree, { recursive: true, force: true });
    }
    await git(s.repo, ['worktree', 'prune']);
    await forgetExclusion(s.repo, s.worktree);
  });
  if (tip) {
    const b = await git(s.repo, ['branch', '-D', s.branch]);
    if (b.code !== 0) throw new LandingError('failed', `could not remove ${s.branch}: ${firstLines(b.stderr)}`);
  }
  return { worktree: hadWorktree ? s.worktree : null, branch: tip ? s.branch : null, recovered };
}
