/**
 * `run-split`: the node splits a task that spans disciplines into sessions, one per discipline (compiler/
 * split.ts says which), over the disciplines of the VPs it carries, or over all its registry's when it
 * carries none or the request names a registry of its own. Each session is told the whole task and which
 * part is its own, and records its VP.
 */
import { buildClassifier } from '../compiler/classify.js';
import { partTask, splitParts } from '../compiler/split.js';
import { RemoteError } from '../protocol/connection.js';
import { SPLIT_BUDGET } from '../protocol/economics.js';
import type { NodeOrg, OpArgs, SessionSummary } from '../protocol/messages.js';
import { taskProblem } from '../protocol/ops.js';
import { RegistryError, type Registry } from '../registry/index.js';

export interface SplitNode {
  /** starts one session (the manager's run) */
  run(args: OpArgs['run']): Promise<SessionSummary>;
  /** the organisation the node carries, or null */
  org(): NodeOrg | null;
  /** the registry a run compiles from (run-request.ts runRegistry): the one named, else the node's */
  registry(named: string | undefined): Registry;
}

export async function runSplit(node: SplitNode, args: OpArgs['run-split']): Promise<{ sessions: SessionSummary[] }> {
  if (args.budget) throw new RemoteError('bad-request', `--budget with --split: ${SPLIT_BUDGET}`);
  const registry = load(node, args.registry);
  // a registry the request names is the operator's choice over the organisation's: all its disciplines, no VPs
  const vps = args.registry ? [] : (node.org()?.vps ?? []);
  const owner = new Map<string, string>();
  for (const vp of vps) for (const d of vp.disciplines) owner.set(d, vp.id);
  const disciplines =
    vps.length > 0 ? new Map([...registry.disciplines].filter(([id]) => owner.has(id))) : registry.disciplines;
  const parts = splitParts(buildClassifier({ ...registry, disciplines }).rank(args.task));
  if (parts.length === 0)
    throw new RemoteError(
      'bad-request',
      `no discipline ${vps.length > 0 ? `of the VPs this node carries (${vps.map((v) => v.id).join(', ')}) ` : ''}matches this task; run it without --split, with --discipline`,
    );
  const tasks = parts.map((p) => partTask(args.task, p, parts));
  for (const t of tasks) {
    const problem = taskProblem(t);
    if (problem) throw new RemoteError('bad-request', `split into ${parts.length} parts, ${problem}`);
  }
  const sessions: SessionSummary[] = [];
  for (const [i, p] of parts.entries()) {
    const vp = owner.get(p.discipline);
    try {
      sessions.push(await node.run({ ...args, task: tasks[i]!, discipline: p.discipline, ...(vp ? { vp } : {}) }));
    } catch (e) {
      if (sessions.length === 0) throw e;
      // the sessions started stay; the operator is told which, and which part did not start
      const started = sessions.map((s) => `${s.id} (${s.discipline})`).join(', ');
      throw new RemoteError(
        e instanceof RemoteError ? e.code : 'failed',
        `started ${started}; the ${p.discipline} part did not start: ${(e as Error).message}`,
      );
    }
  }
  return { sessions };
}

function load(node: SplitNode, named: string | undefined): Registry {
  try {
    return node.registry(named);
  } catch (e) {
    if (e instanceof RegistryError)
      throw new RemoteError('failed', `the node's registry${named ? ` at ${named}` : ''} cannot be used: ${e.message}`);
    throw e;
  }
}
