export { createWorktree, repoRootOf, WorktreeError, type Worktree } from './create.js';
