export { createWorktree, repoRootOf, WorktreeError, type Worktree } from './create.js';
export {
  ensureBareRepo,
  MirrorError,
  mirrorPathFor,
  syncMirror,
  type MirrorBase,
  type MirrorProblem,
  type SyncedMirror,
} from './mirror.js';
