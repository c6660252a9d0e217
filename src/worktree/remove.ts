/**
 * Removing an ended session's worktree and branch without ever losing a commit. Work that no other ref
 * holds (a branch of the user's, a tag, a remote's branch, an earlier recovered ref), and changes never
 * committed, make the removal refuse; with `force`, that work is first kept as a commit under
 * `refs/agency/recovered/<session>` (changes not committed as a commit on top of the branch), then removed.
 * The session's workers' branches (agency/workers/<session>/w-*) go with it: those merged into the session's
 * branch (or held by another ref) are deleted; one that is not makes the removal refuse, and with `force`
 * it is kept under refs/agency/recovered/workers/<session>/w-<name> first.
 */
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { recoveredWorkerRef, workerBranchFolder, workerNameOf } from '../protocol/worker-branch.js';
import { checkouts, firstLines, git, gitOut, resolveRef } from './git.js';
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

/** Keeps commit under ref, a ref under refs/agency/recovered/ (or ref-2, … when that holds something else); the ref it is under. */
function keep(repo: string, ref: string, commit: string, what: string): Promise<string> {
  return keepUnder(repo, ref.slice(RECOVERED.length + 1), commit, `agency: keep ${what}`);
}

interface WorkerBranch {
  branch: string;
  name: string;
  tip: string;
}

/** The session's workers' branches. */
async function workerBranches(repo: string, id: string): Promise<WorkerBranch[]> {
  const out = await gitOut(repo, [
    'for-each-ref',
    '--format=%(objectname) %(refname:lstrip=2)',
    `refs/heads/${workerBranchFolder(id)}`,
  ]);
  return out
    .split('\n')
    .map((l) => /^([0-9a-f]+) (.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, tip, branch]) => ({ branch: branch!, tip: tip!, name: workerNameOf(id, branch!) }))
    .filter((w): w is WorkerBranch => w.name !== null);
}

/** Whether a worker's branch is merged into the session's branch, or held by a ref that stays. */
async function workerKept(repo: string, w: WorkerBranch, sessionTip: string | null): Promise<boolean> {
  if (sessionTip && (await git(repo, ['merge-base', '--is-ancestor', w.tip, sessionTip])).code === 0) return true;
  return (await commitsOnlyOn(repo, w.tip)) === 0;
}

const listed = (names: string[], max = 5) =>
  names.slice(0, max).join(', ') + (names.length > max ? ` and ${names.length - max} more` : '');

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
  const workers = await workerBranches(s.repo, id);
  const where = await checkouts(s.repo);
  for (const w of workers) {
    const at = where.get(`refs/heads/${w.branch}`);
    if (at !== undefined)
      throw new LandingError(
        'conflict',
        `${w.branch}, a branch of session ${id}'s worker ${w.name}, is checked out in ${at}; stop the session's workers or switch that checkout to another branch first (nothing was removed)`,
      );
  }
  const unmerged: WorkerBranch[] = [];
  for (const w of workers) if (!(await workerKept(s.repo, w, tip))) unmerged.push(w);
  const dirty = hadWorktree && (await isDirty(s.worktree));
  const only = tip ? await commitsOnlyOn(s.repo, tip) : 0;
  let recovered: string | null = null;
  if (only > 0 || dirty || unmerged.length) {
    const why = [
      only > 0 ? `${only} commit${only === 1 ? '' : 's'} on ${s.branch} that no other branch has` : null,
      dirty ? `changes in its worktree ${s.worktree} that were never committed` : null,
      unmerged.length
        ? `${unmerged.length} worker branch${unmerged.length === 1 ? '' : 'es'} never merged into ${s.branch} (${listed(unmerged.map((w) => w.branch))})`
        : null,
    ]
      .filter(Boolean)
      .join(', and ');
    const under = [
      only > 0 || dirty ? `${RECOVERED}/${id}` : null,
      unmerged.length ? `${RECOVERED}/workers/${id}/` : null,
    ].filter(Boolean);
    if (!force)
      throw new LandingError(
        'conflict',
        `session ${id} has ${why}; nothing was removed. Land them (agency merge ${id}, or agency pr ${id}), or remove it anyway keeping them under ${under.join(' and ')} (agency rm ${id} --force)`,
      );
    for (const w of unmerged)
      await keep(s.repo, recoveredWorkerRef(id, w.name), w.tip, `worker ${w.name} of session ${id}`);
    if (only > 0 || dirty)
      recovered = await keep(
        s.repo,
        `${RECOVERED}/${id}`,
        dirty ? await snapshot(s.worktree, id) : tip!,
        `session ${id}`,
      );
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
  for (const w of workers) {
    // only at the commit it was found at: a branch that moved since is left, with its work
    const d = await git(s.repo, ['update-ref', '-d', `refs/heads/${w.branch}`, w.tip]);
    if (d.code !== 0) throw new LandingError('failed', `could not remove ${w.branch}: ${firstLines(d.stderr)}`);
  }
  return { worktree: hadWorktree ? s.worktree : null, branch: tip ? s.branch : null, recovered };
}
