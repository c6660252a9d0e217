/**
 * The node's side of its dispatcher: the sessions it serves (from the session table), how a worker's context
 * is compiled and its claude's environment made (as a session's: the guard, the key helper, the sandbox, no
 * key in the environment), its temporary folders, decisions, and the wiring of session ends and removals
 * and of the operator's answers to the merge queue's questions.
 */
import { realpathSync } from 'node:fs';
import type { HookPrograms } from '../compiler/index.js';
import type { Registry } from '../registry/index.js';
import { Dispatcher, type DispatchHost } from '../dispatch/dispatcher.js';
import { isLive, type NodeInfo, type NodeSettings } from '../protocol/messages.js';
import { workerModel } from '../budget/model-routing.js';
import type { StartQueue } from './start-queue.js';
import { costOfModelKey } from '../session/cost/index.js';
import { continueTree, stopTree } from '../session/process-tree.js';
import type { NodePaths } from '../paths/node-home.js';
import type { NodeManager } from './manager.js';
import { nodeCompileOptions, sessionEnv } from './session-env.js';
import { removeSessionTmpDir, sessionTmpDir } from './session-tmp.js';
import { warnOperator } from './warnings.js';
import type { TurnSink } from './usage-watch.js';
import type { PriceOf, TokenCounts } from '../dispatch/stream-events.js';
import { turnCost } from './turn-price.js';

export interface WorkerNode {
  manager: NodeManager;
  paths: NodePaths;
  info: NodeInfo;
  env: NodeJS.ProcessEnv;
  claudeBin: string;
  registryDir: string;
  /** the organisation's overlay the node was given, used instead of registryDir when there is one */
  orgRegistry?: () => Registry | null;
  /** the programs a compiled context runs: workers get the guard (standalone) and no lifecycle hooks */
  programs: Pick<HookPrograms, 'node' | 'guard'>;
  /** whether a session's queued workers wait (a budget stop holds it) */
  held?: (session: string) => boolean;
  /** where workers' turns are recorded, as their sessions' (the node's ledger) */
  turns?: TurnSink;
  /** the node's settings (model routing) */
  settings?: () => NodeSettings;
  /** the node's rate limits: workers wait on its tokens and on the API's 429 pause, and a 429 pauses the node */
  rates?: Pick<StartQueue, 'workerWait' | 'workerRateLimited'>;
}

/** A worker's tokens as billed: the 1-hour share of its cache writes as its stream told it, else all of them (fail closed). */
export const billable = (t: TokenCounts) => ({
  ...t,
  cacheCreation1hTokens: t.cacheCreation1hTokens ?? t.cacheCreationTokens,
  webSearchRequests: 0,
});

const price: PriceOf = (model, t) => costOfModelKey(model, billable(t));

/** The dispatcher of a node, wired to its session table. */
export function nodeDispatcher(n: WorkerNode): Dispatcher {
  const { manager, paths, info, env } = n;
  const node = { paths, info, env };
  /** workers whose turns had no session to count under: warned of once */
  const unrecorded = new Set<string>();
  const host: DispatchHost = {
    node: info.name,
    home: realpathSync(paths.home),
    claudeBin: n.claudeBin,
    env,
    registryDir: n.registryDir,
    ...(n.orgRegistry ? { orgRegistry: n.orgRegistry } : {}),
    sandbox: info.sandbox?.mode !== 'off',
    emit: (e) => manager.relay(e),
    session: (id) => {
      if (!manager.has(id)) return null;
      const r = manager.record(id);
      return {
        id: r.id,
        state: r.state,
        worktree: r.worktree,
        branch: r.branch,
        repo: r.repo,
        discipline: r.discipline,
        registry: r.registry,
      };
    },
    compileOptions: (_workerId, sandbox) => {
      // a worker reports to no one: its guard runs standalone, with the policy compiled into its folder
      const o = nodeCompileOptions(node, { node: n.programs.node, guard: n.programs.guard }, sandbox.tmpDir);
      return { ...o, sandbox: { ...o.sandbox!, readDirs: sandbox.readDirs, readOnlyDirs: sandbox.readOnlyDirs } };
    },
    workerEnv: (workerId, tmpDir) => ({
      ...sessionEnv(node, { id: workerId }),
      TMPDIR: tmpDir,
      CLAUDE_CODE_TMPDIR: tmpDir,
    }),
    tmpDir: (workerId) => sessionTmpDir(paths, workerId),
    removeTmpDir: (workerId) => removeSessionTmpDir(paths, workerId),
    ask: (fields) => manager.decisions.ask({ ...fields, node: info.name }),
    asked: () => manager.decisions.asked(),
    warn: (text) => warnOperator(info, text),
    price,
    tree: { stop: (pid) => void stopTree(pid), continue: continueTree },
    held: (s) => n.held?.(s) ?? false,
    turn: (w, t) => {
      if (!n.turns) return;
      if (!manager.has(w.session)) {
        // its session was removed while it ran: the spend has no session to count under
        if (!unrecorded.has(w.id))
          warnOperator(
            info,
            `worker ${w.id}: its session ${w.session} is gone from the node, so its turns (from ${t.model}) are not recorded`,
          );
        unrecorded.add(w.id);
        return;
      }
      const r = manager.record(w.session);
      n.turns.record({
        at: new Date().toISOString(),
        session: w.session,
        worker: w.id,
        vp: r.vp ?? null,
        discipline: r.discipline,
        model: t.model,
        spend: {
          inputTokens: t.tokens.inputTokens,
          outputTokens: t.tokens.outputTokens,
          cacheCreationTokens: t.tokens.cacheCreationTokens,
          cacheReadTokens: t.tokens.cacheReadTokens,
          // an unknown model at the dearest known rate: a dollar budget does not count it as free
          costUsd: turnCost(t.model, billable(t.tokens), (text) => warnOperator(info, text)).usd,
        },
      });
    },
    workerModel: (o) => workerModel({ ...o, models: n.settings?.().models }),
    startsHeld: () => n.rates?.workerWait() ?? null,
    rateLimited: (worker, ms) => n.rates?.workerRateLimited(worker, ms),
  };
  const dispatcher = new Dispatcher(host);
  manager.onEvent((e) => {
    if (e.kind === 'session' && !isLive(e.session)) dispatcher.sessionEnded(e.session.id);
    if (e.kind === 'removed') dispatcher.sessionRemoved(e.session);
  });
  manager.workerList = () => dispatcher.snapshot();
  return dispatcher;
}
