/**
 * Claiming a worktree from the warm pool against a cold `git worktree add`, on a generated repository of
 * 20,000 files (in a temporary folder, removed after). Each round of the cold side adds a worktree (timed)
 * and removes it (not timed); each round of the pool claims a worktree for a new branch (timed) and gives
 * it back (timed apart), then the same with a sparse checkout of one folder. Rounds alternate, and the
 * medians are printed with their ratio.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorktreePool } from '../src/worktree/index.js';
import { commit, git } from '../test/helpers/git-repo.js';
import { tempDir } from '../test/helpers/tmp.js';
import { percentile, report } from './stats.js';

const FILES = 20_000;
const PER_FOLDER = 100;
const ROUNDS = 5;

/** A repository of FILES small files in folders of PER_FOLDER; its HEAD. */
function bigRepo(path: string): string {
  mkdirSync(path, { recursive: true });
  git(path, 'init', '-q', '-b', 'main');
  for (let i = 0; i < FILES; i++) {
    const folder = join(path, 'src', `m${Math.floor(i / PER_FOLDER)}`);
    if (i % PER_FOLDER === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${i}.ts`), `export const v${i} = ${i};\n`);
  }
  return commit(path, `${FILES} files`);
}

function timedGit(cwd: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync('git', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return ms;
}

export async function benchWorktreePool(): Promise<void> {
  const dir = tempDir('agency-bench-pool-');
  try {
    const repo = join(dir.path, 'repo');
    const head = bigRepo(repo);
    const pool = new WorktreePool({ repo, dir: join(dir.path, 'pool') });
    const cold: number[] = [];
    const claims: number[] = [];
    const sparse: number[] = [];
    const releases: number[] = [];
    const sparseReleases: number[] = [];
    const claimOnce = async (n: number, paths?: string[]) => {
      await pool.fill(1);
      const t = performance.now();
      const c = await pool.claim({ branch: `bench/w-${n}`, base: head, paths });
      const ms = performance.now() - t;
      if (c.head !== head) throw new Error(`claimed ${c.head}, not ${head}`);
      const r = performance.now();
      await pool.release(c.path);
      (paths ? sparseReleases : releases).push(performance.now() - r);
      return ms;
    };
    // one of each first, so that the file system's caches are as warm for both
    for (let i = 0; i <= ROUNDS; i++) {
      const path = join(dir.path, `cold-${i}`);
      const ms = timedGit(repo, ['worktree', 'add', '--quiet', '--detach', path, head]);
      git(repo, 'worktree', 'remove', '--force', path);
      const claim = await claimOnce(i);
      const part = await claimOnce(ROUNDS + 1 + i, ['src/m7']);
      if (i === 0) continue;
      cold.push(ms);
      claims.push(claim);
      sparse.push(part);
    }
    await pool.drain();
    const coldMs = percentile(cold, 50);
    const line = (name: string, samples: number[]) => {
      const ms = percentile(samples, 50);
      report(name, ms, 'ms', coldMs, 'git worktree add', coldMs / ms);
    };
    line(`worktree claim from the pool, ${FILES.toLocaleString('en')} files`, claims);
    line('  release (clean, back to idle)', releases);
    line('  a sparse claim (one folder of 200)', sparse);
    line('  its release (work kept, worktree removed)', sparseReleases);
    console.log(`  (ratio: times faster than git worktree add, median of ${ROUNDS} rounds each)`);
  } finally {
    dir.remove();
  }
}
