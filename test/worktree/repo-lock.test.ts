/** Changes to a repository's worktree list take turns per repository (by the real path of its git folder). */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withRepoLock } from '../../src/worktree/repo-lock.js';
import { deferAfterEach } from '../helpers/defer.js';
import { userRepo } from '../helpers/git-repo.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((res) => (open = res));
  return { open, opened };
}

describe('withRepoLock', () => {
  it('runs one at a time per repository, also when named by another path, and repositories apart at once', async () => {
    const t = tempDir('agency-lock-');
    defer(t.remove);
    const one = join(userRepo(join(t.path, 'one')), '.git');
    const two = join(userRepo(join(t.path, 'two')), '.git');
    symlinkSync(one, join(t.path, 'link'));
    const log: string[] = [];
    const first = gate();
    const a = withRepoLock(one, async () => {
      log.push('a start');
      await first.opened;
      log.push('a end');
    });
    const b = withRepoLock(join(t.path, 'link'), async () => {
      log.push('b start');
      return 'b';
    });
    // another repository does not wait for the first
    const c = await withRepoLock(two, async () => {
      log.push('c');
      return 'c';
    });
    expect(c).toBe('c');
    expect(log).toEqual(['a start', 'c']);
    first.open();
    expect(await b).toBe('b');
    await a;
    expect(log).toEqual(['a start', 'c', 'a end', 'b start']);
  });

  it('passes a failure to its caller and goes on with the next', async () => {
    const t = tempDir('agency-lock-');
    defer(t.remove);
    const repo = join(userRepo(join(t.path, 'r')), '.git');
    const failing = withRepoLock(repo, async () => {
      throw new Error('git failed');
    });
    const next = withRepoLock(repo, async () => 'next');
    await expect(failing).rejects.toThrow('git failed');
    expect(await next).toBe('next');
  });
});
