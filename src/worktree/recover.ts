/**
 * Keeping work that is about to leave a worktree: everything not committed, as one commit on top of the
 * worktree's HEAD, and any commit under `refs/agency/recovered/`, where no clean-up of agency's removes it.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstLines, git, gitEnv, gitOut, GitError, resolveRef } from './git.js';

export const RECOVERED = 'refs/agency/recovered';

/** Who agency's own commits and ref changes are by. */
export const AGENCY_IDENTITY = {
  GIT_AUTHOR_NAME: 'agency',
  GIT_AUTHOR_EMAIL: 'agency@localhost',
  GIT_COMMITTER_NAME: 'agency',
  GIT_COMMITTER_EMAIL: 'agency@localhost',
};

/**
 * A commit of everything in the worktree not committed, on top of its HEAD: staged and unstaged changes to
 * tracked files and untracked files, not ignored or excluded ones (so not the compiled context). Its tree
 * is HEAD's with exactly those changes. The worktree and its index are left as they were; the work is
 * staged in a copy of the index, so that files a sparse checkout leaves out do not count as deleted.
 */
export async function snapshotWork(
  worktree: string,
  message: string,
  base: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const tmp = mkdtempSync(join(tmpdir(), 'agency-recover-'));
  try {
    const env = gitEnv(base, { ...AGENCY_IDENTITY, GIT_INDEX_FILE: join(tmp, 'index') });
    const index = (await gitOut(worktree, ['rev-parse', '--path-format=absolute', '--git-path', 'index'])).trim();
    if (existsSync(index)) copyFileSync(index, join(tmp, 'index'));
    else await gitOut(worktree, ['read-tree', 'HEAD'], { env });
    await gitOut(worktree, ['add', '-A', '--sparse'], { env });
    const tree = (await gitOut(worktree, ['write-tree'], { env })).trim();
    const text = message.endsWith('\n') ? message : `${message}\n`;
    return (await gitOut(worktree, ['commit-tree', tree, '-p', 'HEAD', '-F', '-'], { env, input: text })).trim();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Keeps commit under refs/agency/recovered/<name> (or <name>-2, … when that name holds something else). */
export async function keepUnder(
  repo: string,
  name: string,
  commit: string,
  reason: string,
  base: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const env = gitEnv(base, AGENCY_IDENTITY);
  for (let n = 1; ; n++) {
    const ref = `${RECOVERED}/${name}${n === 1 ? '' : `-${n}`}`;
    const at = await resolveRef(repo, ref);
    if (at === commit) return ref;
    if (at !== null) continue;
    const r = await git(repo, ['update-ref', '-m', reason, ref, commit, ''], { env });
    if (r.code === 0) return ref;
    if (n > 100) throw new GitError(`could not keep ${commit.slice(0, 12)} under ${ref}: ${firstLines(r.stderr)}`);
  }
}

/** How many commits of tip no ref holds (a detached HEAD's own commits, say); refs that `skip` accepts do not count. */
export async function commitsNoRefHolds(
  repo: string,
  tip: string,
  skip: (ref: string) => boolean = () => false,
): Promise<number> {
  const refs = await gitOut(repo, ['for-each-ref', '--format=%(objecttype) %(*objecttype) %(refname)']);
  const keepers = refs
    .split('\n')
    .map((l) => /^(\S+) (\S*) (.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .filter(([, type, peeled, ref]) => (type === 'commit' || peeled === 'commit') && !skip(ref!))
    .map(([, , , ref]) => `^${ref}\n`);
  const out = await gitOut(repo, ['rev-list', '--count', tip, '--stdin'], { input: keepers.join('') });
  return Number(out.trim());
}
