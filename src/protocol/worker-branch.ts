/**
 * Where a write worker's commits live: a branch of its own per worker, grouped by session. A session's own
 * branch is `agency/<session>`, and git cannot hold a ref inside a ref's name (refs/heads/agency/s-1 and
 * refs/heads/agency/s-1/w-x cannot both exist), so workers' branches sit in a folder of their own:
 * `agency/workers/<session>/w-<name>`. No session id is `workers`, so the two never meet. What clean-up keeps
 * of a worker's unmerged branch goes under the same shape in refs/agency/recovered/.
 */

/** The folder (under refs/heads/) of a session's workers' branches, ending in `/`. */
export const workerBranchFolder = (session: string) => `agency/workers/${session}/`;

/** The branch of a session's write worker, by the name its session gave it. */
export const workerBranch = (session: string, name: string) => `${workerBranchFolder(session)}w-${name}`;

/** The worker's name a branch of the session's workers folder carries, or null for any other branch. */
export function workerNameOf(session: string, branch: string): string | null {
  const prefix = `${workerBranchFolder(session)}w-`;
  return branch.startsWith(prefix) && branch.length > prefix.length ? branch.slice(prefix.length) : null;
}

/** Where clean-up keeps a worker branch that was never merged: refs/agency/recovered/workers/<session>/w-<name>. */
export const recoveredWorkerRef = (session: string, name: string) =>
  `refs/agency/recovered/${workerBranch(session, name).slice('agency/'.length)}`;
