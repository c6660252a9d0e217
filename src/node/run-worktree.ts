/**
 * A session's worktree, made and compiled into as one step: when compiling fails (a charter that does not
 * render, a disk that is full), the worktree and its branch are taken back, so that a run that did not start
 * leaves nothing in the operator's repository.
 */
import { RemoteError } from '../protocol/connection.js';
import { createWorktree, discardWorktree, type Worktree } from '../worktree/index.js';

export async function compiledWorktree(
  where: Parameters<typeof createWorktree>[0],
  compile: (path: string) => void,
): Promise<Worktree> {
  let wt: Worktree;
  try {
    wt = await createWorktree(where);
  } catch (e) {
    throw new RemoteError('bad-request', (e as Error).message);
  }
  try {
    compile(wt.path);
  } catch (e) {
    await discardWorktree(wt).catch(() => undefined);
    throw new RemoteError('failed', `the session could not be compiled (nothing was kept): ${(e as Error).message}`);
  }
  return wt;
}
