/**
 * The merge queue at the size the field's queues fell over at: 30 workers' branches into one session's
 * branch, 3 of them conflicting with older ones, and a check command that takes about 100 ms (a small
 * script). The check run once per batch (bisecting on failure) against once per branch, in the same run:
 * how many checks each ran, and the seconds from the first branch to a merged session branch. A second pair
 * has one branch among the 30 that fails the check, so that the batch must bisect to find it.
 */
import { join } from 'node:path';
import { runMergeQueue, type CheckSpec, type MergeItem } from '../src/dispatch/merge-queue.js';
import { workerBranch } from '../src/protocol/worker-branch.js';
import { createWorktree } from '../src/worktree/index.js';
import { commit, userRepo } from '../test/helpers/git-repo.js';
import { tempDir } from '../test/helpers/tmp.js';
import { branchWith } from '../test/helpers/worker-branches.js';
import { report } from './stats.js';

const WORKERS = 30;
const CONFLICTING = 3;
const SESSION = 's-be0c40';
/** lines of the file every worker edits, one line each (three lines apart, so that edits merge cleanly) */
const LINES = WORKERS * 3;

/** A session's worktree and 30 workers' branches; CONFLICTING of them edit a line an older one edits. */
async function fixture(
  dir: string,
  bad: number | null,
): Promise<{ worktree: string; branch: string; items: MergeItem[] }> {
  const repo = userRepo(join(dir, 'repo'));
  const shared = Array.from({ length: LINES }, (_, i) => `line ${i}`);
  commit(repo, 'shared', { 'shared.txt': shared.join('\n') + '\n' });
  const wt = await createWorktree({ repo, id: SESSION, under: join(dir, 'worktrees') });
  const items: MergeItem[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const name = `w${String(i).padStart(2, '0')}`;
    // the last CONFLICTING workers edit the line of the first ones
    const line = (i >= WORKERS - CONFLICTING ? i - (WORKERS - CONFLICTING) : i) * 3;
    const lines = [...shared];
    lines[line] = `line ${line} by ${name}`;
    const files: Record<string, string> = { 'shared.txt': lines.join('\n') + '\n', [`src/${name}.txt`]: `${name}\n` };
    if (i === bad) files[`src/${name}.txt`] = 'BUG\n';
    branchWith(repo, workerBranch(SESSION, name), wt.base, files);
    items.push({ id: name, branch: workerBranch(SESSION, name), order: i });
  }
  return { worktree: wt.path, branch: wt.branch, items };
}

/** about 100 ms, and fails while a file of src/ says BUG */
const CHECK: CheckSpec = { command: `sleep 0.1; ! grep -rqs BUG src`, sandbox: false, timeoutMs: 60_000 };

async function once(mode: 'batch' | 'each', bad: number | null): Promise<{ seconds: number; checks: number }> {
  const t = tempDir('agency-bench-mq-');
  try {
    const f = await fixture(t.path, bad);
    const t0 = performance.now();
    const out = await runMergeQueue({ ...f, check: CHECK, mode });
    const seconds = (performance.now() - t0) / 1000;
    const merged = WORKERS - CONFLICTING - (bad === null ? 0 : 1);
    if (out.merged.length !== merged || out.conflicts.length !== CONFLICTING)
      throw new Error(
        `the ${mode} queue merged ${out.merged.length} (not ${merged}), ${out.conflicts.length} conflicts`,
      );
    return { seconds, checks: out.checks };
  } finally {
    t.remove();
  }
}

export async function benchMergeQueue(): Promise<void> {
  for (const bad of [null, 11]) {
    const label = bad === null ? 'all pass' : 'one fails';
    const batch = await once('batch', bad);
    const each = await once('each', bad);
    report(`merge queue, 30 (3 conflict, ${label}): batch`, batch.seconds, 's', each.seconds, 'per branch');
    report(`  checks run, batch (${label})`, batch.checks, 'checks', each.checks, 'per branch');
  }
}
