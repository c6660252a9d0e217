/**
 * Taking turns within the process. git changes a repository's list of worktrees (add, remove, prune) by
 * writing folders and files under its common git folder without one lock for the whole operation, so two
 * at once in one repository can race; agency runs them one at a time per repository. Operations inside a
 * single worktree (checkouts, commits) need no turn and run in parallel.
 */
import { existsSync, realpathSync } from 'node:fs';
import { gitOut } from './git.js';

/** The tail of each key's queue: the promise that settles when the last one queued is done. */
export type Turns = Map<string, Promise<void>>;

/** f once every earlier f of the same key is done; an earlier one failing does not stop the next. */
export async function inTurn<T>(turns: Turns, key: string, f: () => Promise<T>): Promise<T> {
  const before = turns.get(key) ?? Promise.resolve();
  let done!: () => void;
  const gate = new Promise<void>((res) => (done = res));
  const mine = before.then(() => gate);
  turns.set(key, mine);
  await before;
  try {
    return await f();
  } finally {
    done();
    if (turns.get(key) === mine) turns.delete(key);
  }
}

const repoTurns: Turns = new Map();

/** Runs f when no other change to the worktree list of the same repository is under way in this process. */
export function withRepoLock<T>(repoCommonDir: string, f: () => Promise<T>): Promise<T> {
  const key = existsSync(repoCommonDir) ? realpathSync(repoCommonDir) : repoCommonDir;
  return inTurn(repoTurns, key, f);
}

/** The common git folder of the repository containing dir (the same for all its worktrees). */
export async function commonDirOf(dir: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const out = await gitOut(dir, ['rev-parse', '--path-format=absolute', '--git-common-dir'], { env });
  return realpathSync(out.trim());
}
