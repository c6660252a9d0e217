import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorktree, repoRootOf } from '../../src/worktree/index.js';
import { tempDir } from '../helpers/tmp.js';

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((f) => f());
  cleanup = [];
});
const git = (cwd: string, ...a: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e.invalid', ...a], { cwd, encoding: 'utf8' });

function repo(commit = true): string {
  const t = tempDir('agency-wt-');
  cleanup.push(t.remove);
  const r = join(t.path, 'repo');
  mkdirSync(r);
  git(r, 'init', '-q', '-b', 'main');
  if (commit) {
    writeFileSync(join(r, 'a.txt'), 'a\n');
    git(r, 'add', '-A');
    git(r, 'commit', '-q', '-m', 'init');
  }
  return r;
}

describe('createWorktree', () => {
  it('makes a worktree on its own branch, whose compiled context stays out of its commits only', async () => {
    const r = repo();
    const under = tempDir('agency-under-');
    cleanup.push(under.remove);
    const wt = await createWorktree({ repo: join(r), id: 's-abc123', under: under.path });
    expect(wt).toMatchObject({ repoRoot: r, branch: 'agency/s-abc123' });
    expect(await repoRootOf(wt.path)).toBe(r);
    for (const f of ['CLAUDE.md', '.mcp.json', '.claude/settings.json', '.context/progress.md', 'work.ts']) {
      mkdirSync(join(wt.path, f, '..'), { recursive: true });
      writeFileSync(join(wt.path, f), 'x\n');
      writeFileSync(join(r, f.split('/').pop()!), 'x\n');
    }
    expect(git(wt.path, 'status', '--porcelain', '-uall').trim()).toBe('?? work.ts');
    // the main checkout still sees its own untracked CLAUDE.md
    expect(git(r, 'status', '--porcelain')).toMatch(/\?\? CLAUDE\.md/);
    // and the repository gets no extension for it (older git and other tools refuse unknown ones)
    expect(git(r, 'config', '--list', '--local')).not.toMatch(/^extensions\./m);
  });

  it('refuses a folder that is not a repository, and one with no commits, clearly', async () => {
    const t = tempDir();
    cleanup.push(t.remove);
    await expect(createWorktree({ repo: t.path, id: 's-1', under: t.path })).rejects.toThrow(
      /is not inside a git repository; pass --repo/,
    );
    await expect(createWorktree({ repo: repo(false), id: 's-1', under: t.path })).rejects.toThrow(/has no commits yet/);
  });
});
