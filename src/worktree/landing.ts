/**
 * Reading a session's work from git: its diff and log against the commit it branched from, and how its
 * branch stands against the branch it started from (`Landing`). Everything is read from the repository
 * the branch is in, so it still answers once the worktree is gone; only `dirty` looks at the worktree.
 */
import { existsSync } from 'node:fs';
import type { CommitInfo, DiffFile, DiffResult, ErrorCode, Landing, SessionBase } from '../protocol/messages.js';
import { git, gitBounded, gitOut, resolveRef } from './git.js';

/** A session's branch, where it lives and what it started from. */
export interface SessionBranch {
  /** the repository the branch is in (the main checkout, or a bare repository) */
  repo: string;
  branch: string;
  worktree: string;
  base: SessionBase | null;
}

/** Something about the session's branch or its repository that stops an operation; nothing was changed. */
export class LandingError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LandingError';
  }
}

/** Largest patch a diff carries, in bytes; past it the patch is cut at a line's end and marked truncated. */
export const MAX_PATCH_BYTES = 2 * 1024 * 1024;
/** Most commits a log lists. */
export const MAX_LOG = 1000;

/** The branch's commit, or a LandingError naming the branch and repository. */
export async function tipOf(s: SessionBranch): Promise<string> {
  if (!existsSync(s.repo)) throw new LandingError('failed', `the repository ${s.repo} is gone`);
  const tip = await resolveRef(s.repo, `refs/heads/${s.branch}`);
  if (!tip) throw new LandingError('not-found', `the branch ${s.branch} is gone from ${s.repo}`);
  return tip;
}

/** The commit the session's work is measured from: where its branch and the commit it branched from meet. */
async function startOf(s: SessionBranch, tip: string): Promise<string> {
  const base = s.base?.commit ?? (await resolveRef(s.repo, 'HEAD'));
  if (!base) throw new LandingError('failed', `${s.repo} has no HEAD to compare ${s.branch} with`);
  const r = await git(s.repo, ['merge-base', base, tip]);
  if (r.code !== 0)
    throw new LandingError(
      'failed',
      `${s.branch} shares no history with ${base.slice(0, 12)}, the commit it started from`,
    );
  return r.stdout.trim();
}

/** Whether the worktree has changes not committed (untracked files included; the compiled context is not). */
export async function isDirty(worktree: string): Promise<boolean> {
  if (!existsSync(worktree)) return false;
  const r = await git(worktree, ['status', '--porcelain', '-z', '--untracked-files=normal']);
  return r.code === 0 && r.stdout !== '';
}

const STATUS: Record<string, DiffFile['status']> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  T: 'type-changed',
};

/**
 * The files of `git diff --raw --numstat -z`: the raw records (status and paths) come first, then the
 * numstat records (lines added and removed) in the same order.
 */
export function parseRawNumstat(out: string): DiffFile[] {
  const t = out.split('\0');
  let i = 0;
  const files: DiffFile[] = [];
  while (i < t.length && t[i]!.startsWith(':')) {
    const letter = t[i]!.split(' ').at(-1)!.charAt(0);
    const status = STATUS[letter] ?? 'modified';
    if (letter === 'R' || letter === 'C') {
      files.push({ path: t[i + 2]!, from: t[i + 1]!, added: null, removed: null, status });
      i += 3;
    } else {
      files.push({ path: t[i + 1]!, added: null, removed: null, status });
      i += 2;
    }
  }
  for (const f of files) {
    const fields = (t[i] ?? '').split('\t');
    i += fields[2] === '' ? 3 : 1;
    const count = (v: string | undefined) => (v === undefined || v === '-' ? null : Number(v));
    f.added = count(fields[0]);
    f.removed = count(fields[1]);
  }
  return files;
}

const DIFF_OPTIONS = ['--no-color', '--no-ext-diff', '--no-textconv', '-M'];

export async function diffOf(
  s: SessionBranch,
  o: { stat?: boolean; maxPatch?: number } = {},
): Promise<Omit<DiffResult, 'session'>> {
  const tip = await tipOf(s);
  const from = await startOf(s, tip);
  const [raw, patch, dirty] = await Promise.all([
    gitOut(s.repo, ['diff', ...DIFF_OPTIONS, '--raw', '--numstat', '-z', from, tip]),
    o.stat ? null : gitBounded(s.repo, ['diff', ...DIFF_OPTIONS, '--patch', from, tip], o.maxPatch ?? MAX_PATCH_BYTES),
    isDirty(s.worktree),
  ]);
  return {
    from,
    to: tip,
    files: parseRawNumstat(raw),
    ...(patch ? { patch: patch.text } : {}),
    truncated: patch?.truncated ?? false,
    dirty,
  };
}

export async function logOf(
  s: SessionBranch,
  max = MAX_LOG,
): Promise<{ commits: CommitInfo[]; truncated: boolean; from: string; to: string }> {
  const tip = await tipOf(s);
  const from = await startOf(s, tip);
  const out = await gitOut(s.repo, [
    'log',
    `--max-count=${max + 1}`,
    '--format=%H%x00%s%x00%an%x00%aI%x00',
    '-z',
    tip,
    `^${from}`,
  ]);
  const f = out.split('\0');
  const commits: CommitInfo[] = [];
  // four fields a commit, each ended by NUL; -z ends each record with one more
  for (let i = 0; i + 3 < f.length; i += 5) {
    const sha = f[i]!.replace(/^\n/, '');
    if (!/^[0-9a-f]{40,64}$/.test(sha)) break;
    commits.push({ sha, subject: f[i + 1]!, author: f[i + 2]!, date: f[i + 3]! });
  }
  return { commits: commits.slice(0, max), truncated: commits.length > max, from, to: tip };
}

/**
 * How the branch stands against the branch the session started from (its commit, when it has no branch or
 * the branch is gone): commits each side lacks, files changed since the start, whether its work is all on
 * the base branch, and whether the worktree holds changes not committed. Null when the branch is gone.
 */
export async function measureLanding(s: SessionBranch): Promise<Omit<Landing, 'measuredAt'> | null> {
  if (!existsSync(s.repo)) return null;
  const tip = await resolveRef(s.repo, `refs/heads/${s.branch}`);
  if (!tip) return null;
  const target =
    (s.base?.branch ? await resolveRef(s.repo, `refs/heads/${s.base.branch}`) : null) ??
    s.base?.commit ??
    (await resolveRef(s.repo, 'HEAD'));
  if (!target) return null;
  const [counts, from, dirty] = await Promise.all([
    gitOut(s.repo, ['rev-list', '--left-right', '--count', `${target}...${tip}`]),
    startOf(s, tip),
    isDirty(s.worktree),
  ]);
  const [behind, ahead] = counts.trim().split(/\s+/).map(Number) as [number, number];
  const names = await gitOut(s.repo, ['diff', '--name-only', '-z', '--no-renames', from, tip]);
  const filesChanged = names.split('\0').filter((n) => n !== '').length;
  // a branch that made no commit has nothing merged: it has nothing at all
  const merged = ahead === 0 && tip !== (s.base?.commit ?? from);
  return { ahead, behind, filesChanged, merged, dirty };
}
