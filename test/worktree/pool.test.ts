/**
 * The warm pool of worktrees with real git: claims switch branches in worktrees made ahead, releases keep
 * every uncommitted change on a recovery ref before cleaning, sparse checkouts stay out of the user's
 * repository, bad input changes nothing, and many claims at once get distinct worktrees.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorktreeError, WorktreePool } from '../../src/worktree/index.js';
import { deferAfterEach } from '../helpers/defer.js';
import { commit, git, refAt, userRepo, write } from '../helpers/git-repo.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();

/** A user's repository with folders a/, b/, c/d/ and files at the top; and a folder for a pool. */
function setup() {
  const t = tempDir('agency-pool-');
  defer(t.remove);
  const repo = userRepo(join(t.path, 'repo'));
  const base = commit(repo, 'tree', {
    '.gitignore': 'node_modules/\n',
    'a/one.txt': 'a1\n',
    'a/two.txt': 'a2\n',
    'b/one.txt': 'b1\n',
    'c/d/deep.txt': 'deep\n',
  });
  return { root: t.path, repo, base, dir: join(t.path, 'pool') };
}

/** Every file under dir (paths relative to it), outside .git. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (name === '.git') continue;
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const worktrees = (repo: string) =>
  git(repo, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));

const status = (dir: string) => git(dir, 'status', '--porcelain', '--untracked-files=all').trim();
const branchAt = (dir: string) => git(dir, 'symbolic-ref', '--quiet', '--short', 'HEAD').trim();

describe('filling the pool', () => {
  it('makes idle worktrees: detached, clean, in a private folder, and makes none when enough are idle', async () => {
    const { repo, base, dir } = setup();
    const pool = new WorktreePool({ repo, dir });
    await pool.fill(3);
    expect([pool.idle(), pool.busy()]).toEqual([3, 0]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const made = worktrees(repo).filter((p) => p.startsWith(dir));
    expect(made).toHaveLength(3);
    for (const w of made) {
      expect(git(w, 'rev-parse', 'HEAD').trim()).toBe(base);
      expect(() => branchAt(w)).toThrow();
      expect(status(w)).toBe('');
      expect(files(w)).toEqual(files(repo));
    }
    await pool.fill(2);
    await pool.fill(3);
    expect(worktrees(repo).filter((p) => p.startsWith(dir))).toEqual(made);
  });
});

describe('claiming', () => {
  it('switches an idle worktree to a new branch at base, without adding a worktree', async () => {
    const { repo, base, dir } = setup();
    const older = git(repo, 'rev-parse', 'HEAD~1').trim();
    const pool = new WorktreePool({ repo, dir });
    await pool.fill(1);
    const before = worktrees(repo);
    const c = await pool.claim({ branch: 'agency/s-1/w-a', base: older });
    expect(c).toMatchObject({ branch: 'agency/s-1/w-a', head: older, resumed: false });
    expect(worktrees(repo)).toEqual(before);
    expect(branchAt(c.path)).toBe('agency/s-1/w-a');
    expect(refAt(repo, 'refs/heads/agency/s-1/w-a')).toBe(older);
    // the worktree holds the base's files, not the newer ones
    expect(existsSync(join(c.path, 'a'))).toBe(false);
    expect([pool.idle(), pool.busy()]).toEqual([0, 1]);
    // its compiled context stays out of its commits; a worker's file does not
    write(c.path, { 'CLAUDE.md': 'x\n', '.mcp.json': '{}\n', '.claude/settings.json': '{}\n', 'work.txt': 'w\n' });
    expect(status(c.path)).toBe('?? work.txt');
    // and the user's repository stays on its branch, at its commit
    expect(branchAt(repo)).toBe('main');
    expect(git(repo, 'rev-parse', 'HEAD').trim()).toBe(base);
  });

  it('makes a worktree when none is idle', async () => {
    const { repo, base, dir } = setup();
    const pool = new WorktreePool({ repo, dir });
    const c = await pool.claim({ branch: 'w/one', base: 'main' });
    expect(c).toMatchObject({ head: base, resumed: false });
    expect(c.path.startsWith(dir)).toBe(true);
    expect(files(c.path)).toEqual(files(repo));
  });

  it('takes a branch that exists as it is, and returns the worktree a branch is already checked out in', async () => {
    const { repo, base, dir } = setup();
    const pool = new WorktreePool({ repo, dir });
    const first = await pool.claim({ branch: 'w/resume', base });
    const tip = commit(first.path, 'work of a worker', { 'b/one.txt': 'changed\n' });
    // the same branch again while it is claimed: the same worktree, as it is
    expect(await pool.claim({ branch: 'w/resume', base })).toEqual({
      path: first.path,
      branch: 'w/resume',
      head: tip,
      resumed: true,
    });
    await pool.release(first.path);
    expect(refAt(repo, 'refs/heads/w/resume')).toBe(tip);
    // claimed after its release, at another base: the branch's own commit, not the base
    const again = await pool.claim({ branch: 'w/resume', base: 'main' });
    expect(again).toMatchObject({ head: tip, resumed: true });
    expect(readFileSync(join(again.path, 'b/one.txt'), 'utf8')).toBe('changed\n');
  });

  it('sets no upstream from a remote base, and runs none of the repository hooks', async () => {
    const { root, repo, base, dir } = setup();
    const clone = join(root, 'clone');
    git(root, 'clone', '-q', repo, clone);
    write(clone, { '.git/hooks/post-checkout': `#!/bin/sh\necho ran >> ${join(root, 'hook-ran')}\n` });
    execFileSync('chmod', ['+x', join(clone, '.git/hooks/post-checkout')]);
    git(clone, 'checkout', '-q', '--detach');
    expect(existsSync(join(root, 'hook-ran'))).toBe(true); // the hook works for the user's own checkouts
    rmSync(join(root, 'hook-ran'));
    const config = readFileSync(join(clone, '.git', 'config'), 'utf8');
    const pool = new WorktreePool({ repo: clone, dir });
    await pool.fill(1);
    const c = await pool.claim({ branch: 'w/from-origin', base: 'origin/main' });
    expect(c.head).toBe(base);
    await pool.release(c.path);
    await pool.release((await pool.claim({ branch: 'w/fresh', base: 'origin/main', paths: ['a'] })).path);
    expect(git(clone, 'config', '--get-regexp', '^branch\\.').trim()).toBe(
      'branch.main.remote origin\nbranch.main.merge refs/heads/main',
    );
    expect(existsSync(join(root, 'hook-ran'))).toBe(false);
    await pool.drain();
    expect(readFileSync(join(clone, '.git', 'config'), 'utf8')).toBe(config);
  });

  it('gives twelve claims at once on an empty pool twelve worktrees, each on its branch', async () => {
    const { repo, base, dir } = setup();
    const pool = new WorktreePool({ repo, dir });
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => pool.claim({ branch: `agency/s-1/w-${i}`, base })),
    );
    expect(new Set(claims.map((c) => c.path)).size).toBe(12);
    for (const [i, c] of claims.entries()) {
      expect(branchAt(c.path)).toBe(`agency/s-1/w-${i}`);
      expect(status(c.path)).toBe('');
      expect(files(c.path)).toEqual(files(repo));
    }
    expect(worktrees(repo)).toHaveLength(13);
    expect(pool.busy()).toBe(12);
    // one branch claimed twice at once: one worktree, the second claim resumes it
    const [x, y] = await Promise.all([
      pool.claim({ branch: 'w/twice', base }),
      pool.claim({ branch: 'w/twice', base }),
    ]);
    expect(y!.path).toBe(x!.path);
    expect([x!.resumed, y!.resumed]).toEqual([false, true]);
  });
});

describe('releasing', () => {
  it('commits exactly the uncommitted work onto a recovery ref, then cleans the worktree and keeps the branch', async () => {
    const { repo, dir } = setup();
    const pool = new WorktreePool({ repo, dir });
    const c = await pool.claim({ branch: 'agency/s-1/w-a', base: 'main' });
    const tip = commit(c.path, 'committed by the worker', { 'a/one.txt': 'committed\n' });
    write(c.path, {
      'a/two.txt': 'changed, not staged\n',
      'new/untracked.txt': 'new\n',
      'node_modules/pkg/index.js': 'ignored build output\n',
      'CLAUDE.md': 'compiled\n',
      '.claude/settings.json': '{}\n',
      '.context/progress.md': 'compiled\n',
    });
    write(c.path, { 'b/one.txt': 'staged\n' });
    git(c.path, 'add', 'b/one.txt');
    git(c.path, 'rm', '-q', 'c/d/deep.txt');
    const { recovered } = await pool.release(c.path);
    expect(recovered).toMatch(/^refs\/agency\/recovered\/agency-s-1-w-a-\d{8}T\d{6}Z$/);
    // the recovery commit: on top of the branch, with exactly the dirty files
    expect(git(repo, 'rev-parse', `${recovered}^`).trim()).toBe(tip);
    expect(git(repo, 'show', '--stat', '--format=', recovered!)).toMatch(
      /^ a\/two\.txt +\| 2 \+-\n b\/one\.txt +\| 2 \+-\n c\/d\/deep\.txt +\| 1 -\n new\/untracked\.txt +\| 1 \+\n 4 files changed/,
    );
    expect(git(repo, 'show', `${recovered}:a/two.txt`)).toBe('changed, not staged\n');
    // the branch is as the worker left it
    expect(refAt(repo, 'refs/heads/agency/s-1/w-a')).toBe(tip);
    // the worktree: detached, clean, without the compiled context; ignored build output stays for the next job
    expect(() => branchAt(c.path)).toThrow();
    expect(status(c.path)).toBe('');
    for (const gone of ['CLAUDE.md', '.claude', '.context', 'new']) expect(existsSync(join(c.path, gone))).toBe(false);
    expect(existsSync(join(c.path, 'node_modules/pkg/index.js'))).toBe(true);
    expect([pool.idle(), pool.busy()]).toEqual([1, 0]);
    // and the next claim reuses it
    expect((await pool.claim({ branch: 'w/next', base: 'main' })).path).toBe(c.path);
  });

  it('keeps nothing when there is nothing uncommitted, and a message of the caller when there is', async () => {
    const { repo, dir } = setup();
    const pool = new WorktreePool({ repo, dir });
    const c = await pool.claim({ branch: 'w/clean', base: 'main' });
    write(c.path, { 'CLAUDE.md': 'compiled\n' });
    expect(await pool.release(c.path)).toEqual({ recovered: null });
    expect(existsSync(join(c.path, 'CLAUDE.md'))).toBe(false);
    expect(git(repo, 'for-each-ref', 'refs/agency/')).toBe('');
    const d = await pool.claim({ branch: 'w/dirty', base: 'main' });
    write(d.path, { 'x.txt': 'x\n' });
    const { recovered } = await pool.release(d.path, { message: 'worker w-dirty stopped by the operator' });
    expect(git(repo, 'log', '-1', '--format=%s', recovered!).trim()).toBe('worker w-dirty stopped by the operator');
  });

  it('keeps commits a detached HEAD alone holds, and work left mid-merge with conflicts by a killed git', async () => {
    const { repo, base, dir } = setup();
    const pool = new WorktreePool({ repo, dir });
    const c = await pool.claim({ branch: 'w/detached', base });
    git(c.path, 'checkout', '-q', '--detach');
    const lone = commit(c.path, 'only on a detached HEAD', { 'lone.txt': 'lone\n' });
    const r = await pool.release(c.path);
    expect(r.recovered).not.toBeNull();
    expect(refAt(repo, r.recovered!)).toBe(lone);

    const d = await pool.claim({ branch: 'w/merge', base });
    commit(d.path, 'ours', { 'a/one.txt': 'ours\n' });
    git(repo, 'branch', 'theirs', base);
    const other = await pool.claim({ branch: 'theirs', base });
    commit(other.path, 'theirs', { 'a/one.txt': 'theirs\n' });
    expect(() => git(d.path, 'merge', '-q', 'theirs')).toThrow();
    // and a lock a killed git left behind
    const gitDir = git(d.path, 'rev-parse', '--absolute-git-dir').trim();
    writeFileSync(join(gitDir, 'index.lock'), '');
    const m = await pool.release(d.path);
    expect(git(repo, 'show', `${m.recovered}:a/one.txt`)).toMatch(/<<<<<<<[\s\S]*ours[\s\S]*theirs[\s\S]*>>>>>>>/);
    expect(status(d.path)).toBe('');
    expect(existsSync(join(gitDir, 'MERGE_HEAD'))).toBe(false);
  });
});

describe('sparse checkouts', () => {
  it('checks out only the paths named (and the top files), leaving the repository config and checkout alone', async () => {
    const { repo, dir } = setup();
    const configFile = join(repo, '.git', 'config');
    const config = readFileSync(configFile, 'utf8');
    const userFiles = files(repo);
    const userIndex = git(repo, 'ls-files', '-t', '-s');
    /** the user's repository: its config as it was but for the includes of the pool's worktrees, no
     * extension and no sparse setting; its own checkout whole and clean, its index's entries unchanged */
    const untouched = () => {
      const withoutIncludes = readFileSync(configFile, 'utf8').replace(
        /\[includeIf "gitdir:[^"]*"\]\n\tpath = .*\n/g,
        '',
      );
      expect(withoutIncludes).toBe(config);
      expect(git(repo, 'config', '--list')).not.toMatch(/^extensions\.|sparsecheckout/im);
      expect(existsSync(join(repo, '.git', 'info', 'sparse-checkout'))).toBe(false);
      expect(files(repo)).toEqual(userFiles);
      expect(status(repo)).toBe('');
      expect(git(repo, 'ls-files', '-t', '-s')).toBe(userIndex);
    };
    const pool = new WorktreePool({ repo, dir });
    await pool.fill(1);
    const c = await pool.claim({ branch: 'w/sparse', base: 'main', paths: ['a', 'c/d/deep.txt'] });
    expect(files(c.path)).toEqual(['.gitignore', 'README.md', 'a/one.txt', 'a/two.txt', 'app.txt', 'c/d/deep.txt']);
    expect(status(c.path)).toBe('');
    expect(git(c.path, 'config', 'core.sparseCheckout').trim()).toBe('true');
    untouched();
    // a sparse claim leaves the whole idle worktree for a whole claim
    expect(pool.idle()).toBe(1);
    // work in and outside the paths, committed and kept like any other
    write(c.path, { 'a/one.txt': 'edited\n', 'b/new.txt': 'outside\n' });
    const { recovered } = await pool.release(c.path);
    expect(git(repo, 'show', '--stat', '--format=', recovered!)).toMatch(
      /^ a\/one\.txt +\| 2 \+-\n b\/new\.txt +\| 1 \+\n 2 files changed/,
    );
    // the sparse worktree itself goes (checking out every file again would cost a whole new one); its branch stays
    expect(existsSync(c.path)).toBe(false);
    expect(worktrees(repo)).not.toContain(c.path);
    expect(refAt(repo, 'refs/heads/w/sparse')).not.toBeNull();
    expect([pool.idle(), pool.busy()]).toEqual([1, 0]);
    // and a claim without paths gets a whole tree
    const x = await pool.claim({ branch: 'w/x', base: 'main' });
    expect(files(x.path)).toEqual(userFiles);
    expect(() => git(x.path, 'config', '--get', 'core.sparseCheckout')).toThrow();
    untouched();
    await pool.release(x.path);
    await pool.drain();
    expect(readFileSync(configFile, 'utf8')).toBe(config);
  });
});

describe('bad input', () => {
  it('refuses branch names git refuses, bases that do not exist and paths outside the repository, changing nothing', async () => {
    const { repo, dir } = setup();
    const pool = new WorktreePool({ repo, dir });
    await pool.fill(1);
    const config = readFileSync(join(repo, '.git', 'config'), 'utf8');
    const refs = git(repo, 'for-each-ref');
    const lists = worktrees(repo);
    for (const branch of ['bad..name', '-x', 'has space', 'HEAD', '', 'end.lock', 'w/@{1}'])
      await expect(pool.claim({ branch, base: 'main' })).rejects.toThrow(
        new WorktreeError(
          `${JSON.stringify(branch)} is not a branch name git accepts (see git check-ref-format); name it like agency/<session>/w-<name>`,
        ),
      );
    for (const base of ['no-such-branch', '-x', '0123456789abcdef0123456789abcdef01234567'])
      await expect(pool.claim({ branch: 'w/ok', base })).rejects.toThrow(
        new WorktreeError(`the base ${JSON.stringify(base)} of w/ok is not a commit in ${repo}`),
      );
    for (const p of ['../up', '/etc', 'a/../../up', '.git/config'])
      await expect(pool.claim({ branch: 'w/ok', base: 'main', paths: [p] })).rejects.toThrow(
        /is not a path inside the repository; name files or folders relative to its top/,
      );
    await expect(pool.release(join(dir, 'elsewhere'))).rejects.toThrow(
      `${join(dir, 'elsewhere')} is not a worktree of the pool in ${dir}; give back the path that claim returned`,
    );
    await expect(pool.release(repo)).rejects.toThrow(/is not a worktree of the pool/);
    expect([pool.idle(), pool.busy()]).toEqual([1, 0]);
    expect(git(repo, 'for-each-ref')).toBe(refs);
    expect(worktrees(repo)).toEqual(lists);
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).toBe(config);
  });

  it('refuses a branch checked out outside the pool, and undoes a claim git fails half-way', async () => {
    const { repo, base, dir } = setup();
    const pool = new WorktreePool({ repo, dir });
    await expect(pool.claim({ branch: 'main', base })).rejects.toThrow(
      `main is checked out in ${repo}, which is not a worktree of the pool in ${dir}; switch that checkout to another branch first`,
    );
    // a name check-ref-format accepts, which git cannot create next to an existing branch "taken"
    git(repo, 'branch', 'taken', base);
    const config = readFileSync(join(repo, '.git', 'config'), 'utf8');
    // with no idle worktree: the one made for the claim goes again
    await expect(pool.claim({ branch: 'taken/sub', base })).rejects.toThrow(WorktreeError);
    expect(worktrees(repo)).toEqual([repo]);
    expect(readdirSync(dir)).toEqual([]);
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).toBe(config);
    // a sparse claim (which gets a worktree of its own) likewise
    await expect(pool.claim({ branch: 'taken/sub', base, paths: ['a'] })).rejects.toThrow(WorktreeError);
    expect(worktrees(repo)).toEqual([repo]);
    // with one idle: it stays idle, clean and whole
    await pool.fill(1);
    const [idle] = worktrees(repo).filter((p) => p.startsWith(dir));
    await expect(pool.claim({ branch: 'taken/sub', base })).rejects.toThrow(WorktreeError);
    expect([pool.idle(), pool.busy()]).toEqual([1, 0]);
    expect(worktrees(repo)).toEqual([repo, idle]);
    expect(files(idle!)).toEqual(files(repo));
    expect(status(idle!)).toBe('');
    expect(() => branchAt(idle!)).toThrow();
    expect(refAt(repo, 'refs/heads/taken/sub')).toBeNull();
  });
});

describe('after a restart, and draining', () => {
  it('adopts idle and busy worktrees, keeps work left mid-release, and drains only the idle ones', async () => {
    const { repo, base, dir } = setup();
    const configBefore = readFileSync(join(repo, '.git', 'config'), 'utf8');
    const first = new WorktreePool({ repo, dir });
    await first.fill(2);
    const busy = await first.claim({ branch: 'w/busy', base });
    const left = await first.claim({ branch: 'w/left', base });
    write(busy.path, { 'a/one.txt': 'in progress\n' });
    // a release cut short by a restart: detached, with work still there
    git(left.path, 'checkout', '-q', '--detach');
    write(left.path, { 'left.txt': 'not yet kept\n', 'node_modules/pkg/index.js': 'build output\n' });
    await first.fill(3);

    const pool = await WorktreePool.open({ repo, dir });
    expect([pool.idle(), pool.busy()]).toEqual([4, 1]);
    const kept = git(repo, 'for-each-ref', '--format=%(refname)', 'refs/agency/recovered/').trim();
    expect(kept).toMatch(/^refs\/agency\/recovered\/pool-w-[0-9a-f]{8}-\d{8}T\d{6}Z$/);
    expect(git(repo, 'show', `${kept}:left.txt`)).toBe('not yet kept\n');
    expect(status(left.path)).toBe('');
    // the busy one resumes as it is, its work still uncommitted there
    expect(await pool.claim({ branch: 'w/busy', base })).toEqual({
      path: busy.path,
      branch: 'w/busy',
      head: base,
      resumed: true,
    });
    expect(status(busy.path)).toBe('M a/one.txt');

    await pool.drain();
    expect([pool.idle(), pool.busy()]).toEqual([0, 1]);
    expect(worktrees(repo)).toEqual([repo, busy.path]);
    expect(refAt(repo, 'refs/heads/w/left')).toBe(base);
    await pool.release(busy.path);
    await pool.drain();
    expect(worktrees(repo)).toEqual([repo]);
    expect(readdirSync(dir)).toEqual([]);
    // every include the pool's worktrees added to the config went with them
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).toBe(configBefore);
  });
});

describe('after a restart, the odd ones', () => {
  it('checks out a worktree found made but never checked out, and removes a sparse one when it is given back', async () => {
    const { repo, base, dir } = setup();
    const first = new WorktreePool({ repo, dir });
    const sparse = await first.claim({ branch: 'w/sparse', base, paths: ['a'] });
    write(sparse.path, { 'a/one.txt': 'in progress\n' });
    git(repo, 'worktree', 'add', '-q', '--detach', '--no-checkout', join(dir, 'w-half'), base);

    const pool = await WorktreePool.open({ repo, dir });
    expect([pool.idle(), pool.busy()]).toEqual([1, 1]);
    const whole = await pool.claim({ branch: 'w/whole', base });
    expect(whole.path).toBe(join(dir, 'w-half'));
    expect(files(whole.path)).toEqual(files(repo));
    expect(status(whole.path)).toBe('');
    const { recovered } = await pool.release(sparse.path);
    expect(git(repo, 'show', `${recovered}:a/one.txt`)).toBe('in progress\n');
    expect(existsSync(sparse.path)).toBe(false);
    expect(worktrees(repo)).toEqual([repo, whole.path]);
    expect([pool.idle(), pool.busy()]).toEqual([0, 1]);
  });
});

describe('a bare mirror', () => {
  it('fills, claims and releases worktrees of a bare repository', async () => {
    const { root, repo, base } = setup();
    const mirror = join(root, 'mirror.git');
    git(root, 'clone', '-q', '--bare', repo, mirror);
    const pool = new WorktreePool({ repo: mirror, dir: join(root, 'mirror-pool') });
    await pool.fill(1);
    const c = await pool.claim({ branch: 'agency/s-2/w-a', base: 'main', paths: ['b'] });
    expect(c.head).toBe(base);
    expect(files(c.path)).toEqual(['.gitignore', 'README.md', 'app.txt', 'b/one.txt']);
    mkdirSync(join(c.path, 'b', 'more'));
    writeFileSync(join(c.path, 'b', 'more', 'x.txt'), 'x\n');
    const { recovered } = await pool.release(c.path);
    expect(git(mirror, 'show', `${recovered}:b/more/x.txt`)).toBe('x\n');
    const d = await pool.claim({ branch: 'agency/s-2/w-b', base: 'main' });
    expect(files(d.path)).toEqual(files(repo));
    expect(git(mirror, 'config', '--list', '--local')).not.toMatch(/^extensions\.|sparsecheckout/im);
  });
});

describe('a worktree a worker had', () => {
  it('is given back through its own .git, whatever the worker wrote there, and nothing the worker set up runs', async () => {
    const { root, repo, base, dir } = setup();
    const pool = await WorktreePool.open({ repo, dir });
    const c = await pool.claim({ branch: 'agency/workers/s-1/w-x', base });
    // the worker points its .git at a repository of its own whose config would run a program of its choosing
    const evil = join(root, 'evil');
    mkdirSync(evil);
    git(evil, 'init', '-q');
    const ran = join(root, 'ran');
    git(evil, 'config', 'core.fsmonitor', `touch ${ran}; false`);
    writeFileSync(join(c.path, '.git'), `gitdir: ${join(evil, '.git')}\n`);
    write(c.path, { 'a/one.txt': 'changed by the worker\n' });
    const { recovered } = await pool.release(c.path);
    // the work went where the pool's worktree keeps it, in the user's repository
    expect(recovered).not.toBeNull();
    expect(git(repo, 'show', `${recovered}:a/one.txt`).trim()).toBe('changed by the worker');
    expect(readFileSync(join(c.path, '.git'), 'utf8')).toMatch(/^gitdir: .*\/repo\/\.git\/worktrees\//);
    expect(existsSync(ran)).toBe(false);
  });
});
