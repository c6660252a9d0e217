/**
 * What a session may not ask of its node's workers: a node trusts no session, so a fan-out is held to limits
 * of its own (workers not ended, bytes of their prompts), to the session's own discipline, to models the node
 * runs, to ids not used before and branches not there yet.
 */
import { isWorkerLive, type OpArgs } from '../protocol/messages.js';
import { workerBranch } from '../protocol/worker-branch.js';
import type { Registry } from '../registry/index.js';
import { git, gitEnv } from '../worktree/git.js';
import type { SessionView } from './host.js';
import type { WorkerLimits } from './limits.js';
import type { WorkerRecord } from './worker-table.js';
import type { WorkerRoute } from './node-rules.js';

/** Workers a session may have not ended at once, and the bytes of their prompts. */
export const MAX_LIVE_PER_SESSION = 200;
export const MAX_PROMPT_BYTES_PER_SESSION = 8 * 1024 * 1024;

/** Everything wrong with a spawn, each naming the worker or the limit (empty when nothing is). */
export async function spawnProblems(
  args: OpArgs['spawn-workers'],
  s: SessionView,
  mine: WorkerRecord[],
  registry: Registry,
  limits: WorkerLimits,
  env: NodeJS.ProcessEnv,
  /** each worker's model, as the node routes it, in the order of args.workers */
  routes: readonly WorkerRoute[],
): Promise<string[]> {
  const seen = new Set(mine.map((w) => w.name));
  const problems: string[] = [];
  const live = mine.filter((w) => isWorkerLive(w));
  if (live.length + args.workers.length > MAX_LIVE_PER_SESSION)
    problems.push(
      `session ${s.id} has ${live.length} workers not ended; with ${args.workers.length} more it would pass the ${MAX_LIVE_PER_SESSION} a session may have at once (wait for some to end)`,
    );
  const bytes = [...live, ...args.workers].reduce((n, w) => n + Buffer.byteLength(w.prompt), 0);
  if (bytes > MAX_PROMPT_BYTES_PER_SESSION)
    problems.push(
      `the prompts of session ${s.id}'s workers not ended would come to ${Math.ceil(bytes / 1024 / 1024)} MB, over ${MAX_PROMPT_BYTES_PER_SESSION / 1024 / 1024} MB`,
    );
  const names = new Set<string>();
  for (const [i, spec] of args.workers.entries()) {
    if (seen.has(spec.id) || names.has(spec.id))
      problems.push(`worker id ${JSON.stringify(spec.id)} is already used in this session`);
    names.add(spec.id);
    const d = spec.discipline ?? s.discipline;
    // a worker is held to its session's policy: a session cannot hand its workers a wider one
    if (d !== s.discipline)
      problems.push(
        `worker ${spec.id}: workers work in their session's discipline (${s.discipline}), not ${JSON.stringify(d)}`,
      );
    else if (!registry.disciplines.has(d)) problems.push(`worker ${spec.id}: unknown discipline ${JSON.stringify(d)}`);
    const route = routes[i]!;
    if ('problem' in route) problems.push(`worker ${spec.id}: ${route.problem}`);
    else if (limits.models[route.tier] === 0)
      problems.push(`worker ${spec.id}: this node runs no ${route.tier} workers (AGENCY_WORKER_LIMITS)`);
    if (spec.write && (await branchExists(s.repo, workerBranch(s.id, spec.id), env)))
      problems.push(
        `worker ${spec.id}: its branch ${workerBranch(s.id, spec.id)} is there already; give it another id`,
      );
    if (spec.paths && !spec.write)
      problems.push(`worker ${spec.id}: paths limit a write worker's checkout; it is not one`);
  }
  return problems;
}

async function branchExists(repo: string, branch: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await git(repo, ['rev-parse', '-q', '--verify', `refs/heads/${branch}`], { env: gitEnv(env) })).code === 0;
}
