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
import { deferAfterEach } from '../helpers/defer.js';
import { commit, git, reachable, refAt, userRepo, write } from '../helpers/git-repo.js';
import { tempDir } from '../helpers/tmp.js';

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
  return { repo, wt: wt.path, session, configBefore };
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
