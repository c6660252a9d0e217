export { createWorktree, discardWorktree, repoRootOf, WorktreeError, type Worktree } from './create.js';
export { COMPILED_PATHS, SANDBOX_PLACEHOLDERS } from './exclude.js';
export { GitError, isBare } from './git.js';
export { diffOf, LandingError, logOf, measureLanding, type SessionBranch } from './landing.js';
export { mergeBranch } from './merge.js';
export { pushForReview } from './push.js';
export { removeSession } from './remove.js';
export {
  ensureBareRepo,
  MirrorError,
  mirrorPathFor,
  syncMirror,
  type MirrorBase,
  type MirrorProblem,
  type SyncedMirror,
} from './mirror.js';
export { WorktreePool, type Claimed, type PoolOptions } from './pool.js';
export { withRepoLock } from './repo-lock.js';
