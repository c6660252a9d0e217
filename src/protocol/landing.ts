/**
 * What the protocol says of landing a session's work: how its branch stands against its base, and what
 * diff, log, merge, pr, rm and gc answer.
 */

/** What a session branched from: the branch checked out in the repository then (null if detached), and its commit. */
export interface SessionBase {
  branch: string | null;
  commit: string;
}

/**
 * How a session's branch stands against the branch it started from, as last measured by its node (when the
 * session ends, and after its work changes). A session is ready to land when it has ended, is ahead and is not merged.
 */
export interface Landing {
  /** commits on the session's branch that its base branch lacks */
  ahead: number;
  /** commits on the base branch since the session branched */
  behind: number;
  /** files that differ between the merge base and the session's branch */
  filesChanged: number;
  /** every commit of the session's branch is on its base branch */
  merged: boolean;
  /** the worktree has changes not committed */
  dirty: boolean;
  measuredAt: string;
}

/** One file of a diff: its path, lines added and removed (null for a binary file), and how it changed. */
export interface DiffFile {
  path: string;
  added: number | null;
  removed: number | null;
  status: 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type-changed';
  /** the path before a rename or copy */
  from?: string;
}

/** The letter git gives each kind of change, as `agency diff --stat` and the cockpit's diff view show it. */
export const DIFF_STATUS_LETTER: Record<DiffFile['status'], string> = {
  added: 'A',
  modified: 'M',
  deleted: 'D',
  renamed: 'R',
  copied: 'C',
  'type-changed': 'T',
};

export interface DiffResult {
  session: string;
  /** the merge base the diff starts from, and the session branch's commit it ends at */
  from: string;
  to: string;
  files: DiffFile[];
  /** the unified diff (absent with `stat`); cut at a bound, and then `truncated` */
  patch?: string;
  truncated: boolean;
  /** uncommitted changes in the worktree are not part of the diff; this says whether there are any */
  dirty: boolean;
}

export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
  date: string;
}

export interface LogResult {
  session: string;
  branch: string;
  base: SessionBase | null;
  commits: CommitInfo[];
  /** more commits than the log lists */
  truncated: boolean;
}

export interface MergeResult {
  session: string;
  /** the repository and branch the session's work landed on */
  repo: string;
  into: string;
  /** the branch's new head */
  commit: string;
  fastForward: boolean;
  files: number;
  /** the branch already had every commit of the session's: nothing changed */
  alreadyMerged: boolean;
}

export interface PrResult {
  session: string;
  /** the remote's name, and its URL without credentials */
  remote: string;
  remoteUrl: string;
  branch: string;
  /** the pull request's address when `gh` made one */
  url: string | null;
  /** where to open one by hand otherwise */
  compareUrl: string | null;
  /** why `gh` made no pull request, when it was there and failed */
  note: string | null;
}

export interface RemoveResult {
  session: string;
  worktree: string | null;
  branch: string | null;
  /** the ref that keeps unmerged work that --force removed the branch of */
  recovered: string | null;
  /** where what the node once set aside from the session's worktree is kept (see `agency rm`), or null */
  setAside: string | null;
}

export interface GcResult {
  removed: RemoveResult[];
  kept: { session: string; reason: string }[];
}

/** A bare repository on the node that the operator's repository is pushed into, for sessions to branch from. */
export interface MirrorResult {
  path: string;
}
