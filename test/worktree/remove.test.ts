/**
 * Removing a session's worktree and branch with real git: never a commit lost (work no other ref holds is
 * refused, or kept under refs/agency/recovered/ with force), and the repository's config left as it was.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWorktree } from '../../src/worktree/index.js';
import type { SessionBranch } from '../../src/worktree/landing.js';
import { removeSession } from '../../src/worktree/remove.js';
import { recoveredWorkerRef, workerBranch } from '../../src/protocol/worker-branch.js';
import { deferAfterEach } from '../helpers/defer.js';
import { commit, git, reachable, refAt, userRepo, write } from '../helpers/git-repo.js';
import { tempDir } from '../helpers/tmp.js';
import { branchWith } from '../helpers/worker-branches.js';

const defer = deferAfterEach();
const ID = 's-0b0b0b';

async function setup() {
  const t = tempDir('agency-remove-');
  defer(t.remove);
  const repo = userRepo(join(t.path, 'repo'));
  const configBefore = readFileSync(join(repo, '.git', 'config'), 'utf8');
  const wt = await createWorktree({ repo, id: ID, under: join(t.path, 'worktrees') });
  const session: SessionBranch = {
    repo,
    branch: wt.branch,
    worktree: wt.path,
    base: { branch: wt.baseBranch, commit: wt.base },
  };
  return { t, repo, wt: wt.path, session, configBefore };
}

describe('removing a session', () => {
  it('removes a merged worktree and branch, and leaves the repository config as it found it', async () => {
    const { repo, wt, session, configBefore } = await setup();
    // while the session lives: one include for its worktree, and no repository extension
    expect(git(repo, 'config', '--list', '--local')).not.toMatch(/extensions\.worktreeconfig/i);
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).toContain(`[includeIf "gitdir:${repo}/.git/worktrees/`);
    const tip = commit(wt, 'work', { 'a.txt': 'a\n' });
    git(repo, 'merge', '-q', '--ff-only', session.branch);
    const r = await removeSession({ id: ID, session, force: false });
    expect(r).toEqual({ worktree: wt, branch: session.branch, recovered: null });
    expect(existsSync(wt)).toBe(false);
    expect(refAt(repo, `refs/heads/${session.branch}`)).toBeNull();
    expect(git(repo, 'worktree', 'list', '--porcelain')).not.toContain(wt);
    expect(reachable(repo, tip, 'main')).toBe(true);
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).toBe(configBefore);
  });

  it('refuses a branch with commits no other branch has, and removes nothing', async () => {
    const { repo, wt, session } = await setup();
    const tip = commit(wt, 'unmerged work', { 'a.txt': 'a\n' });
    await expect(removeSession({ id: ID, session, force: false })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(
        `session ${ID} has 1 commit on ${session.branch} that no other branch has; nothing was removed`,
      ),
    });
    expect(existsSync(join(wt, 'a.txt'))).toBe(true);
    expect(refAt(repo, session.branch)).toBe(tip);
  });

  it('counts a tag or a remote branch as a place the work is kept', async () => {
    const { repo, wt, session } = await setup();
    const tip = commit(wt, 'tagged work', { 'a.txt': 'a\n' });
    git(repo, 'tag', 'keep-this', tip);
    const r = await removeSession({ id: ID, session, force: false });
    expect(r.recovered).toBeNull();
    expect(reachable(repo, tip, 'keep-this')).toBe(true);
  });

  it('with force, keeps the unmerged commits and the uncommitted changes under refs/agency/recovered/', async () => {
    const { repo, wt, session } = await setup();
    const tip = commit(wt, 'unmerged work', { 'a.txt': 'a\n' });
    write(wt, { 'app.txt': 'edited, never committed\n', 'new.txt': 'untracked\n', 'CLAUDE.md': 'compiled\n' });
    await expect(removeSession({ id: ID, session, force: false })).rejects.toThrow(
      `changes in its worktree ${wt} that were never committed`,
    );
    const r = await removeSession({ id: ID, session, force: true });
    expect(r.recovered).toBe(`refs/agency/recovered/${ID}`);
    expect(existsSync(wt)).toBe(false);
    expect(refAt(repo, session.branch)).toBeNull();
    const kept = refAt(repo, r.recovered!)!;
    expect(git(repo, 'rev-parse', `${kept}^`).trim()).toBe(tip);
    expect(git(repo, 'show', `${kept}:app.txt`)).toBe('edited, never committed\n');
    expect(git(repo, 'show', `${kept}:new.txt`)).toBe('untracked\n');
    expect(git(repo, 'ls-tree', '--name-only', kept)).not.toContain('CLAUDE.md');
  });

  it('keeps a second recovery beside the first instead of over it', async () => {
    const { repo, wt, session } = await setup();
    git(repo, 'update-ref', `refs/agency/recovered/${ID}`, 'main');
    const tip = commit(wt, 'unmerged work', { 'a.txt': 'a\n' });
    const r = await removeSession({ id: ID, session, force: true });
    expect(r.recovered).toBe(`refs/agency/recovered/${ID}-2`);
    expect(refAt(repo, r.recovered!)).toBe(tip);
    expect(refAt(repo, `refs/agency/recovered/${ID}`)).toBe(refAt(repo, 'main'));
  });

  it('refuses while the branch is checked out elsewhere, and copes with a worktree already gone', async () => {
    const { repo, wt, session } = await setup();
    git(repo, 'worktree', 'remove', '--force', wt);
    git(repo, 'checkout', '-q', session.branch);
    await expect(removeSession({ id: ID, session, force: true })).rejects.toThrow(
      `${session.branch} is checked out in ${repo}; switch that checkout to another branch first`,
    );
    git(repo, 'checkout', '-q', 'main');
    const r = await removeSession({ id: ID, session, force: false });
    expect(r).toEqual({ worktree: null, branch: session.branch, recovered: null });
    expect(git(repo, 'config', '--get-regexp', '.').toLowerCase()).not.toContain('includeif');
  });
});

describe("removing a session with its workers' branches", () => {
  const wb = (name: string) => workerBranch(ID, name);

  it("deletes the branches merged into the session, with it, and leaves other sessions' alone", async () => {
    const { repo, wt, session } = await setup();
    const a = branchWith(repo, wb('a'), session.base!.commit, { 'a.txt': 'a\n' });
    git(wt, 'merge', '-q', '--no-ff', '-m', 'merge a', wb('a'));
    git(repo, 'branch', wb('idle'), session.base!.commit); // a worker that committed nothing
    const other = branchWith(repo, workerBranch(`${ID}1`, 'x'), session.base!.commit, { 'x.txt': 'x\n' });
    git(repo, 'merge', '-q', '--ff-only', session.branch);
    const r = await removeSession({ id: ID, session, force: false });
    expect(r).toEqual({ worktree: wt, branch: session.branch, recovered: null });
    expect(refAt(repo, wb('a'))).toBeNull();
    expect(refAt(repo, wb('idle'))).toBeNull();
    expect(reachable(repo, a, 'main')).toBe(true);
    expect(refAt(repo, workerBranch(`${ID}1`, 'x'))).toBe(other);
  });

  it('refuses a worker branch never merged, naming it, and removes nothing', async () => {
    const { repo, wt, session } = await setup();
    git(repo, 'merge', '-q', '--ff-only', session.branch);
    const lost = branchWith(repo, wb('lost'), session.base!.commit, { 'lost.txt': 'lost\n' });
    const merged = branchWith(repo, wb('merged'), session.base!.commit, { 'm.txt': 'm\n' });
    git(repo, 'merge', '-q', '--no-ff', '-m', 'merge m', wb('merged'));
    await expect(removeSession({ id: ID, session, force: false })).rejects.toMatchObject({
      code: 'conflict',
      message: `session ${ID} has 1 worker branch never merged into ${session.branch} (${wb('lost')}); nothing was removed. Land them (agency merge ${ID}, or agency pr ${ID}), or remove it anyway keeping them under refs/agency/recovered/workers/${ID}/ (agency rm ${ID} --force)`,
    });
    expect(existsSync(wt)).toBe(true);
    expect(refAt(repo, session.branch)).not.toBeNull();
    expect(refAt(repo, wb('lost'))).toBe(lost);
    expect(refAt(repo, wb('merged'))).toBe(merged);
  });

  it('with force, keeps every unmerged worker commit under refs/agency/recovered/workers/', async () => {
    const { repo, wt, session } = await setup();
    const own = commit(wt, "the session's unmerged work", { 's.txt': 's\n' });
    const inSession = branchWith(repo, wb('in-session'), session.base!.commit, { 'i.txt': 'i\n' });
    git(wt, 'merge', '-q', '--no-ff', '-m', 'merge i', wb('in-session'));
    const lost = branchWith(repo, wb('lost'), session.base!.commit, { 'lost.txt': 'lost\n' });
    await expect(removeSession({ id: ID, session, force: false })).rejects.toThrow(
      `session ${ID} has 3 commits on ${session.branch} that no other branch has, and 1 worker branch never merged into ${session.branch} (${wb('lost')}); nothing was removed. Land them (agency merge ${ID}, or agency pr ${ID}), or remove it anyway keeping them under refs/agency/recovered/${ID} and refs/agency/recovered/workers/${ID}/ (agency rm ${ID} --force)`,
    );
    const r = await removeSession({ id: ID, session, force: true });
    expect(r.recovered).toBe(`refs/agency/recovered/${ID}`);
    expect(refAt(repo, recoveredWorkerRef(ID, 'lost'))).toBe(lost);
    expect(recoveredWorkerRef(ID, 'lost')).toBe(`refs/agency/recovered/workers/${ID}/w-lost`);
    // the worker merged into the session is kept with the session's work, not apart
    expect(refAt(repo, recoveredWorkerRef(ID, 'in-session'))).toBeNull();
    for (const c of [own, inSession]) expect(reachable(repo, c, r.recovered!)).toBe(true);
    expect(git(repo, 'for-each-ref', `refs/heads/agency/`)).toBe('');
    expect(existsSync(wt)).toBe(false);
  });

  it("refuses while a worker's branch is checked out, even with force", async () => {
    const { t, repo, session } = await setup();
    branchWith(repo, wb('busy'), session.base!.commit, { 'b.txt': 'b\n' });
    const pool = join(t.path, 'pool-1');
    git(repo, 'worktree', 'add', '-q', pool, wb('busy'));
    await expect(removeSession({ id: ID, session, force: true })).rejects.toThrow(
      `${wb('busy')}, a branch of session ${ID}'s worker busy, is checked out in ${pool}; stop the session's workers or switch that checkout to another branch first (nothing was removed)`,
    );
    expect(existsSync(session.worktree)).toBe(true);
    expect(refAt(repo, wb('busy'))).not.toBeNull();
  });
});
