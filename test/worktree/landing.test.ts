/**
 * Reading and landing a session's work with real git: the diff and log of its branch, how the branch stands,
 * merging it into the user's branch (checked out or not), and what a merge refuses without changing anything.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWorktree } from '../../src/worktree/index.js';
import { diffOf, logOf, measureLanding, type SessionBranch } from '../../src/worktree/landing.js';
import { mergeBranch } from '../../src/worktree/merge.js';
import { deferAfterEach } from '../helpers/defer.js';
import { commit, git, refAt, userRepo, write } from '../helpers/git-repo.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();

/** A user's repository on main, and a session's worktree of it made as a node makes one. */
async function setup(id = 's-0a0a0a') {
  const t = tempDir('agency-landing-');
  defer(t.remove);
  const repo = userRepo(join(t.path, 'repo'));
  const wt = await createWorktree({ repo, id, under: join(t.path, 'worktrees') });
  const session: SessionBranch = {
    repo,
    branch: wt.branch,
    worktree: wt.path,
    base: { branch: wt.baseBranch, commit: wt.base },
  };
  return { t, repo, wt: wt.path, session, base: wt.base };
}

describe("a session's diff", () => {
  it('lists each file with lines added and removed, finds renames, and carries the patch', async () => {
    const { wt, session, base } = await setup();
    write(wt, { 'CLAUDE.md': 'compiled\n', '.claude/settings.json': '{}\n' });
    git(wt, 'mv', 'README.md', 'READ-ME.md');
    commit(wt, 'work', { 'app.txt': 'one\nTWO\nthree\nfour\n', 'src/new.ts': 'export const x = 1;\n' });
    commit(wt, 'more', { 'logo.bin': Buffer.from([0, 1, 2, 255, 0]).toString('latin1') });
    const d = await diffOf(session);
    expect(d.from).toBe(base);
    expect(d.to).toBe(refAt(session.repo, session.branch));
    expect(d.files).toEqual([
      { path: 'READ-ME.md', from: 'README.md', status: 'renamed', added: 0, removed: 0 },
      { path: 'app.txt', status: 'modified', added: 2, removed: 1 },
      { path: 'logo.bin', status: 'added', added: null, removed: null },
      { path: 'src/new.ts', status: 'added', added: 1, removed: 0 },
    ]);
    // the compiled context stayed out of the session's commits
    expect(d.patch).toContain('+TWO\n');
    expect(d.patch).toContain('rename from README.md');
    expect(d.patch).not.toContain('CLAUDE.md');
    expect(d.truncated).toBe(false);
    expect(d.dirty).toBe(false);
    const stat = await diffOf(session, { stat: true });
    expect(stat.patch).toBeUndefined();
    expect(stat.files).toEqual(d.files);
  });

  it('cuts a large patch at a line end and says so; uncommitted changes make it dirty', async () => {
    const { wt, session } = await setup();
    const big = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join('');
    commit(wt, 'big', { 'big.txt': big });
    const d = await diffOf(session, { maxPatch: 10_000 });
    expect(d.truncated).toBe(true);
    expect(d.patch!.length).toBeLessThanOrEqual(10_000);
    expect(d.patch!.endsWith('\n')).toBe(true);
    expect(d.files).toEqual([{ path: 'big.txt', status: 'added', added: 5000, removed: 0 }]);
    expect(d.dirty).toBe(false);
    write(wt, { 'scratch.txt': 'not committed\n' });
    expect((await diffOf(session, { stat: true })).dirty).toBe(true);
  });

  it('refuses a branch that is gone, naming it', async () => {
    const { repo, wt, session } = await setup();
    git(repo, 'worktree', 'remove', '--force', wt);
    git(repo, 'branch', '-D', session.branch);
    await expect(diffOf(session)).rejects.toThrow(`the branch ${session.branch} is gone from ${repo}`);
  });
});

describe("a session's log and landing", () => {
  it('lists its commits newest first and measures ahead, behind, files and merged', async () => {
    const { repo, wt, session } = await setup();
    expect(await measureLanding(session)).toEqual({
      ahead: 0,
      behind: 0,
      filesChanged: 0,
      merged: false,
      dirty: false,
    });
    const a = commit(wt, 'first: add a', { 'a.txt': 'a\n' });
    const b = commit(wt, 'second: change app', { 'app.txt': 'changed\n' });
    commit(repo, 'meanwhile on main', { 'main.txt': 'm\n' });
    const l = await logOf(session);
    expect(l.commits.map((c) => [c.sha, c.subject, c.author])).toEqual([
      [b, 'second: change app', 'tester'],
      [a, 'first: add a', 'tester'],
    ]);
    expect(l.commits[0]!.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(l.truncated).toBe(false);
    expect(await measureLanding(session)).toEqual({
      ahead: 2,
      behind: 1,
      filesChanged: 2,
      merged: false,
      dirty: false,
    });
    write(wt, { 'untracked.txt': 'x\n' });
    expect((await measureLanding(session))!.dirty).toBe(true);
    git(repo, 'merge', '-q', '--no-edit', session.branch);
    expect(await measureLanding(session)).toMatchObject({ ahead: 0, behind: 2, merged: true });
  });
});

describe('merging a session into a branch', () => {
  it('fast-forwards a branch that is not checked out, without touching any checkout', async () => {
    const { repo, wt, session } = await setup();
    git(repo, 'branch', 'release');
    const tip = commit(wt, 'work', { 'a.txt': 'a\n' });
    const m = await mergeBranch({ session, into: 'release', message: 'Merge' });
    expect(m).toEqual({ repo, into: 'release', commit: tip, fastForward: true, files: 1, alreadyMerged: false });
    expect(refAt(repo, 'release')).toBe(tip);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(refAt(repo, 'main')).not.toBe(tip);
  });

  it("merges into the checked-out branch with git merge, so the user's files follow", async () => {
    const { repo, wt, session } = await setup();
    commit(wt, 'work', { 'a.txt': 'from the session\n' });
    const mainWork = commit(repo, 'user work', { 'b.txt': 'from the user\n' });
    const m = await mergeBranch({ session, into: 'main', message: 'Merge agency/s-0a0a0a into main' });
    expect(m.fastForward).toBe(false);
    expect(m.files).toBe(1);
    expect(refAt(repo, 'main')).toBe(m.commit);
    expect(git(repo, 'log', '-1', '--format=%P %s', 'main').trim()).toBe(
      `${mainWork} ${refAt(repo, session.branch)} Merge agency/s-0a0a0a into main`,
    );
    expect(readFileSync(join(repo, 'a.txt'), 'utf8')).toBe('from the session\n');
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('makes a merge commit for a branch not checked out, with both parents', async () => {
    const { repo, wt, session } = await setup();
    git(repo, 'branch', 'release');
    const mainWork = commit(repo, 'on main', { 'b.txt': 'b\n' });
    git(repo, 'branch', '-f', 'release', mainWork);
    const tip = commit(wt, 'work', { 'a.txt': 'a\n' });
    const m = await mergeBranch({ session, into: 'release', message: 'Merge it' });
    expect(m.fastForward).toBe(false);
    expect(git(repo, 'log', '-1', '--format=%P|%s', 'release').trim()).toBe(`${mainWork} ${tip}|Merge it`);
    expect(git(repo, 'ls-tree', '--name-only', 'release').split('\n')).toEqual(
      expect.arrayContaining(['a.txt', 'b.txt', 'app.txt']),
    );
    expect(refAt(repo, 'main')).toBe(mainWork);
  });

  it('refuses a checkout with changes not committed, and changes nothing', async () => {
    const { repo, wt, session } = await setup();
    commit(wt, 'work', { 'a.txt': 'a\n' });
    const before = refAt(repo, 'main');
    write(repo, { 'app.txt': 'the user is editing this\n' });
    await expect(mergeBranch({ session, into: 'main', message: 'm' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(`main is checked out in ${repo} with changes not committed`),
    });
    expect(refAt(repo, 'main')).toBe(before);
    expect(readFileSync(join(repo, 'app.txt'), 'utf8')).toBe('the user is editing this\n');
    expect(git(repo, 'status', '--porcelain').trim()).toBe('M app.txt');
  });

  it('reports a conflict with its files, and changes nothing, checked out or not', async () => {
    const { repo, wt, session } = await setup();
    commit(wt, 'session edits', { 'app.txt': 'session\n', 'only-session.txt': 's\n' });
    const mainTip = commit(repo, 'user edits', { 'app.txt': 'user\n' });
    git(repo, 'branch', 'copy');
    for (const into of ['main', 'copy']) {
      await expect(mergeBranch({ session, into, message: 'm' })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/conflicts with .* in "app\.txt"; nothing was merged/),
      });
      expect(refAt(repo, into)).toBe(mainTip);
    }
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(readFileSync(join(repo, 'app.txt'), 'utf8')).toBe('user\n');
  });

  it('says when there is nothing to merge, and refuses a branch that does not exist', async () => {
    const { repo, wt, session } = await setup();
    commit(wt, 'work', { 'a.txt': 'a\n' });
    await mergeBranch({ session, into: 'main', message: 'm' });
    const again = await mergeBranch({ session, into: 'main', message: 'm' });
    expect(again).toMatchObject({ alreadyMerged: true, files: 0, commit: refAt(repo, 'main') });
    await expect(mergeBranch({ session, into: 'nope', message: 'm' })).rejects.toThrow(
      `there is no branch "nope" in ${repo}`,
    );
    await expect(mergeBranch({ session, into: session.branch, message: 'm' })).rejects.toThrow('into itself');
  });
});
