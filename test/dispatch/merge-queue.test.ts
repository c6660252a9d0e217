/**
 * The merge queue with real git: a session's worktree made as the node makes it, workers' branches beside
 * it, and check commands that are small shell scripts (run without the sandbox here; the sandboxed check is
 * in check-run.e2e.test.ts). Oldest first, conflicts that change nothing, a batch that bisects to its
 * culprit, and a session worktree with changes of its own that the queue never overwrites.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMergeQueue, type CheckSpec, type MergeItem } from '../../src/dispatch/merge-queue.js';
import { workerBranch } from '../../src/protocol/worker-branch.js';
import { createWorktree } from '../../src/worktree/index.js';
import { deferAfterEach } from '../helpers/defer.js';
import { commit, git, reachable, refAt, userRepo, write } from '../helpers/git-repo.js';
import { tempDir } from '../helpers/tmp.js';
import { branchWith, snapshotTree, textAt } from '../helpers/worker-branches.js';

const defer = deferAfterEach();
const ID = 's-0c0c0c';
/** fifteen lines: workers that edit lines three apart merge cleanly */
const SHARED = Array.from({ length: 15 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

async function setup() {
  const t = tempDir('agency-mq-');
  defer(t.remove);
  const repo = userRepo(join(t.path, 'repo'));
  commit(repo, 'shared file', { 'shared.txt': SHARED });
  const wt = await createWorktree({ repo, id: ID, under: join(t.path, 'worktrees') });
  const base = wt.base;
  /** a worker's branch from the session's start, with line n of shared.txt (1-based) rewritten, and a file of its own */
  const worker = (name: string, line: number | null, extra: Record<string, string | null> = {}) => {
    const lines = SHARED.split('\n');
    if (line !== null) lines[line - 1] = `line ${line} by ${name}`;
    const branch = workerBranch(ID, name);
    branchWith(repo, branch, base, { 'shared.txt': lines.join('\n'), [`${name}.txt`]: `${name}\n`, ...extra });
    return branch;
  };
  return { t, repo, wt: wt.path, branch: wt.branch, base, worker };
}

const item = (id: string, branch: string, order: number): MergeItem => ({ id, branch, order });
const shell = (command: string): CheckSpec => ({ command, sandbox: false, timeoutMs: 30_000 });
const status = (dir: string) => git(dir, 'status', '--porcelain', '--untracked-files=all');
/** the subjects of the session branch's first-parent history since base, oldest first */
const merges = (dir: string, base: string) =>
  git(dir, 'log', '--first-parent', '--reverse', '--format=%s', `${base}..HEAD`).trim().split('\n');

describe('the merge queue', () => {
  it('merges five workers that edit the same file oldest first, and reports the newest that conflicts', async () => {
    const s = await setup();
    // spawn order 1..5; handed over in another order, as a queue that took the newest first would see them
    const items = [
      item('e', s.worker('e', 13), 5),
      item('b', s.worker('b', 4), 2),
      item('d', s.worker('d', 4), 4), // the same line as b, which is older
      item('a', s.worker('a', 1), 1),
      item('c', s.worker('c', 7), 3),
    ];
    const out = await runMergeQueue({ worktree: s.wt, branch: s.branch, items });
    expect(out.merged).toEqual(['a', 'b', 'c', 'e']);
    expect(out.conflicts).toEqual([
      {
        id: 'd',
        branch: workerBranch(ID, 'd'),
        files: ['shared.txt'],
        reason: `${workerBranch(ID, 'd')} conflicts with ${s.branch} in "shared.txt"`,
      },
    ]);
    expect(out).toMatchObject({ failedChecks: [], already: [], checks: 0 });
    expect(out.head).toBe(refAt(s.repo, s.branch));
    // the first merge is a fast-forward (nothing else had moved the branch); each later one a merge commit naming its worker
    expect(merges(s.wt, s.base)).toEqual([
      'work on agency/workers/s-0c0c0c/w-a',
      `Merge worker b (${workerBranch(ID, 'b')}) into ${s.branch}`,
      `Merge worker c (${workerBranch(ID, 'c')}) into ${s.branch}`,
      `Merge worker e (${workerBranch(ID, 'e')}) into ${s.branch}`,
    ]);
    const shared = readFileSync(join(s.wt, 'shared.txt'), 'utf8');
    for (const [name, line] of [
      ['a', 1],
      ['b', 4],
      ['c', 7],
      ['e', 13],
    ] as const)
      expect(shared).toContain(`line ${line} by ${name}\n`);
    expect(shared).not.toContain('by d');
    expect(status(s.wt)).toBe('');
    for (const id of ['a', 'b', 'c', 'e']) expect(reachable(s.repo, workerBranch(ID, id), s.branch)).toBe(true);
    expect(reachable(s.repo, workerBranch(ID, 'd'), s.branch)).toBe(false);

    // run again: everything merged is already there, the conflict is still one
    const again = await runMergeQueue({ worktree: s.wt, branch: s.branch, items });
    expect(again.already).toEqual(['a', 'b', 'c', 'e']);
    expect(again.conflicts.map((c) => c.id)).toEqual(['d']);
    expect(again.head).toBe(out.head);
  });

  it('changes nothing, byte for byte, for a branch that conflicts', async () => {
    const s = await setup();
    commit(s.wt, "the session's own edit", { 'shared.txt': SHARED.replace('line 4\n', 'line 4 by the session\n') });
    write(s.wt, { 'notes.txt': 'uncommitted\n' });
    const items = [item('x', s.worker('x', 4), 1)];
    const gitDir = join(s.repo, '.git');
    const skip = (p: string) => p.startsWith(join(gitDir, 'objects'));
    const before = snapshotTree([s.wt, gitDir], skip);
    const out = await runMergeQueue({ worktree: s.wt, branch: s.branch, items, check: shell('exit 0') });
    expect(out.conflicts.map((c) => [c.id, c.files])).toEqual([['x', ['shared.txt']]]);
    expect(out).toMatchObject({ merged: [], failedChecks: [], checks: 0 });
    expect(snapshotTree([s.wt, gitDir], skip)).toEqual(before);
  });

  it('checks a batch of 8 once, and bisects a failing one to its culprit in fewer checks than 8', async () => {
    const s = await setup();
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const items = names.map((n, i) => item(n, s.worker(n, null, n === 'e' ? { 'e.txt': 'BUG\n' } : {}), i + 1));
    // the check counts its runs in a file outside the worktree, and fails while any file holds BUG
    const runs = join(s.t.path, 'runs');
    const check = shell(`echo run >> ${runs}; ! grep -rqs BUG --include='*.txt' .`);
    const out = await runMergeQueue({ worktree: s.wt, branch: s.branch, items, check });
    expect(out.failedChecks.map((f) => f.id)).toEqual(['e']);
    expect(out.failedChecks[0]!.branch).toBe(workerBranch(ID, 'e'));
    expect(out.merged).toEqual(['a', 'b', 'c', 'd', 'f', 'g', 'h']);
    // the whole batch, three halvings (log2 8), then the rest after the culprit as a batch of its own
    expect(out.checks).toBe(5);
    expect(out.checks).toBeLessThan(8);
    expect(readFileSync(runs, 'utf8').trim().split('\n')).toHaveLength(out.checks);
    expect(reachable(s.repo, workerBranch(ID, 'e'), s.branch)).toBe(false);
    expect(existsSync(join(s.wt, 'e.txt'))).toBe(false);
    for (const n of names.filter((n) => n !== 'e')) expect(readFileSync(join(s.wt, `${n}.txt`), 'utf8')).toBe(`${n}\n`);
    expect(status(s.wt)).toBe('');
    // the session's own start is still there: only agency's merges were taken back
    expect(reachable(s.repo, s.base, s.branch)).toBe(true);
    expect(git(s.wt, 'rev-parse', 'HEAD').trim()).toBe(out.head);

    // against checking after every merge: one check per branch
    const t = await setup();
    const each = names.map((n, i) => item(n, t.worker(n, null, n === 'e' ? { 'e.txt': 'BUG\n' } : {}), i + 1));
    const one = await runMergeQueue({ worktree: t.wt, branch: t.branch, items: each, check, mode: 'each' });
    expect(one.checks).toBe(8);
    expect(one.merged).toEqual(out.merged);
    expect(one.failedChecks.map((f) => f.id)).toEqual(['e']);
  });

  it('finds two culprits, and keeps the output of the check that failed with each', async () => {
    const s = await setup();
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const bad = new Set(['b', 'g']);
    const items = names.map((n, i) => item(n, s.worker(n, null, bad.has(n) ? { [`${n}.txt`]: 'BUG\n' } : {}), i + 1));
    const check = shell(`if grep -rls BUG --include='*.txt' .; then echo failing; exit 1; fi`);
    const out = await runMergeQueue({ worktree: s.wt, branch: s.branch, items, check });
    expect(out.failedChecks.map((f) => f.id)).toEqual(['b', 'g']);
    expect(out.failedChecks[0]!.output).toBe('./b.txt\nfailing\n');
    expect(out.failedChecks[1]!.output).toBe('./g.txt\nfailing\n');
    expect(out.merged).toEqual(['a', 'c', 'd', 'e', 'f', 'h']);
    expect(readFileSync(join(s.wt, 'shared.txt'), 'utf8')).toBe(SHARED);
    expect(git(s.wt, 'ls-files').trim().split('\n').sort()).toEqual(
      ['README.md', 'a.txt', 'app.txt', 'c.txt', 'd.txt', 'e.txt', 'f.txt', 'h.txt', 'shared.txt'].sort(),
    );
  });

  it('keeps no branch when the check fails without any of them, and says so', async () => {
    const s = await setup();
    const start = git(s.wt, 'rev-parse', 'HEAD').trim();
    const items = ['a', 'b', 'c'].map((n, i) => item(n, s.worker(n, null), i + 1));
    const out = await runMergeQueue({ worktree: s.wt, branch: s.branch, items, check: shell('echo broken; exit 2') });
    expect(out.merged).toEqual([]);
    expect(out.failedChecks.map((f) => f.id)).toEqual(['a', 'b', 'c']);
    expect(out.failedChecks[0]!.output).toBe(
      `the check fails on ${s.branch} itself, before any worker's branch is merged, so no branch could be checked:\nbroken\n`,
    );
    expect(out.head).toBe(start);
    expect(refAt(s.repo, s.branch)).toBe(start);
    expect(status(s.wt)).toBe('');
  });

  it("never overwrites the session's uncommitted changes, and puts back what the check wrote", async () => {
    const s = await setup();
    writeFileSync(join(s.wt, 'app.txt'), 'edited by the session\n');
    write(s.wt, { 'staged.txt': 'staged by the session\n', 'mine.txt': "untracked, the session's\n" });
    git(s.wt, 'add', 'staged.txt');
    const before = status(s.wt);
    const items = [
      item('edits-app', s.worker('edits-app', null, { 'app.txt': "the worker's\n" }), 1),
      item('adds-mine', s.worker('adds-mine', null, { 'mine.txt': "the worker's\n" }), 2),
      item('clean', s.worker('clean', 10), 3),
    ];
    // a check that leaves files behind and changes a committed one
    const check = shell(
      'echo junk > junk.txt; mkdir -p out && echo x > out/y.txt; echo more >> README.md; rm shared.txt',
    );
    const out = await runMergeQueue({ worktree: s.wt, branch: s.branch, items, check });
    expect(out.merged).toEqual(['clean']);
    expect(out.checks).toBe(1);
    expect(out.conflicts).toEqual([
      {
        id: 'edits-app',
        branch: workerBranch(ID, 'edits-app'),
        files: ['app.txt'],
        reason: `merging ${workerBranch(ID, 'edits-app')} would overwrite changes not committed in the session's worktree ("app.txt"); commit them, then merge again`,
      },
      expect.objectContaining({ id: 'adds-mine', files: ['mine.txt'] }),
    ]);
    expect(readFileSync(join(s.wt, 'app.txt'), 'utf8')).toBe('edited by the session\n');
    expect(readFileSync(join(s.wt, 'mine.txt'), 'utf8')).toBe("untracked, the session's\n");
    expect(readFileSync(join(s.wt, 'shared.txt'), 'utf8')).toContain('line 10 by clean\n');
    expect(readFileSync(join(s.wt, 'README.md'), 'utf8')).toBe('fixture\n');
    expect(existsSync(join(s.wt, 'junk.txt'))).toBe(false);
    // the session's changes are as they were, staged one staged; the merged worker's file is committed
    expect(status(s.wt)).toBe(before);
    expect(textAt(s.repo, s.branch, 'clean.txt')).toBe('clean\n');
  });

  it("runs no hook the check wrote, and removes the session's context files it made", async () => {
    const s = await setup();
    // hooks in an ignored folder of the worktree, as husky's are: what the check writes there stays
    commit(s.wt, 'hooks folder', { '.gitignore': '.hooks/\n' });
    git(s.repo, 'config', 'core.hooksPath', '.hooks');
    const marker = join(s.t.path, 'hook-ran');
    const hook = `#!/bin/sh\necho ran >> ${marker}\n`;
    const items = [item('a', s.worker('a', 1), 1)];
    const check = shell(
      [
        'mkdir -p .hooks .claude',
        ...['post-checkout', 'reference-transaction', 'post-merge'].map(
          (h) => `printf '${hook.replace(/\n/g, '\\n')}' > .hooks/${h} && chmod +x .hooks/${h}`,
        ),
        `echo '{"hooks":{}}' > .claude/settings.json`,
        `echo '{"mcpServers":{}}' > .mcp.json`,
        'echo changed >> README.md',
        'exit 1',
      ].join('; '),
    );
    const out = await runMergeQueue({ worktree: s.wt, branch: s.branch, items, check });
    expect(out.failedChecks.map((f) => f.id)).toEqual(['a']);
    expect(out.checks).toBe(2);
    expect(existsSync(join(s.wt, '.hooks', 'post-checkout'))).toBe(true);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(s.wt, '.claude'))).toBe(false);
    expect(existsSync(join(s.wt, '.mcp.json'))).toBe(false);
    expect(status(s.wt)).toBe('');
  });

  it('refuses a worktree in the middle of a merge, a branch not checked out, and a branch that is gone', async () => {
    const s = await setup();
    const items = [item('a', s.worker('a', 1), 1)];
    const head = refAt(s.repo, s.branch);
    await expect(
      runMergeQueue({ worktree: s.wt, branch: s.branch, items: [item('z', 'agency/workers/s-0c0c0c/w-z', 1)] }),
    ).rejects.toMatchObject({
      code: 'not-found',
      message: `no branch "agency/workers/s-0c0c0c/w-z" in ${s.wt}'s repository; nothing was merged`,
    });
    await expect(runMergeQueue({ worktree: s.wt, branch: 'main', items })).rejects.toThrow(
      `${s.wt} does not have main checked out (it has ${s.branch}); switch it back to main, then merge again (nothing was merged)`,
    );
    // the session's own merge, stopped at a conflict
    commit(s.wt, 'session edit', { 'app.txt': 'session\n' });
    branchWith(s.repo, 'other', s.base, { 'app.txt': 'other\n' });
    expect(() => git(s.wt, 'merge', 'other')).toThrow();
    const mid = status(s.wt);
    await expect(runMergeQueue({ worktree: s.wt, branch: s.branch, items })).rejects.toMatchObject({
      code: 'conflict',
      message: `${s.wt} is in the middle of a merge; finish or abort it there, then merge again (nothing was merged)`,
    });
    expect(status(s.wt)).toBe(mid);
    expect(refAt(s.repo, s.branch)).not.toBe(head);
    expect(reachable(s.repo, workerBranch(ID, 'a'), s.branch)).toBe(false);
  });
});
