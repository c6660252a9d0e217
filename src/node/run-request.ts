/**
 * What `run` settles before anything is made: that the node may start a session at all (its sandbox, its
 * claude, a key or login to reach the API with), the registry, the discipline (given, or the best match for
 * the task), and that the repository is one a session can work and commit in; and the record a new session
 * starts from.
 */
import { randomUUID } from 'node:crypto';
import { buildClassifier, type VpContext } from '../compiler/index.js';
import { RemoteError } from '../protocol/connection.js';
import type { NodeInfo, OpArgs } from '../protocol/messages.js';
import { loadRegistry, loadRegistryAt, type Registry } from '../registry/index.js';
import { hasClaudeLogin, type LoginProbe } from '../session/claude-login.js';
import { gitIdentityProblem } from '../worktree/identity.js';
import { dirname } from 'node:path';
import { isRepoUrl } from '../protocol/repo-url.js';
import { repoRootOf, WorktreeError } from '../worktree/index.js';
import { findProgram } from './find-program.js';
import { hasKey } from './session-env.js';
import type { SessionRecord } from './state-file.js';
import { noUsage } from '../protocol/messages.js';

export interface RunNode {
  info: NodeInfo;
  claudeBin: string;
  registryDir: string;
  env: NodeJS.ProcessEnv;
  /** the node's node.env, where its key goes */
  nodeEnvFile: string;
  /** how a login is looked for (the system's, unless a test says otherwise) */
  loginProbe?: LoginProbe;
  /** the organisation's overlay the node was given (org-store.ts), over registryDir; null: none */
  orgRegistry?: (() => Registry | null) | undefined;
}

/** The VP a session works for: its id as recorded, and who it is when the node's organisation has it. */
export interface SessionVp {
  id: string | null;
  context: VpContext | null;
}

/** How the node's sessions reach the API now: a key it serves them, or a Claude Code login of its user. */
export function nodeAuth(env: NodeJS.ProcessEnv, probe?: LoginProbe): { key: boolean; login: boolean } {
  return { key: hasKey(env), login: hasClaudeLogin(env, probe) };
}

/**
 * The registry a run compiles from: the one it names (a registry, or an overlay over the node's), else the
 * organisation the node was given, else the node's own.
 */
export function runRegistry(node: Pick<RunNode, 'registryDir' | 'orgRegistry'>, named: string | undefined): Registry {
  return named ? loadRegistryAt(named, node.registryDir) : (node.orgRegistry?.() ?? loadRegistry(node.registryDir));
}

/**
 * Refuses (RemoteError) what the node cannot run, before anything is made; otherwise the registry and
 * discipline to run it with. Updates the node's auth in its info as it finds it.
 */
export async function admitRun(
  node: RunNode,
  args: OpArgs['run'],
): Promise<{ registry: Registry; discipline: string; vp: SessionVp }> {
  const sandbox = node.info.sandbox;
  if (sandbox?.mode === 'unavailable')
    throw new RemoteError('failed', `node ${node.info.name} cannot start sessions: ${sandbox.reason}`);
  if (!findProgram(node.claudeBin, node.env.PATH))
    throw new RemoteError(
      'failed',
      `the node cannot start ${JSON.stringify(node.claudeBin)}: it is not an executable file${node.claudeBin.includes('/') ? '' : ' on its PATH'}. Install Claude Code there (npm install -g @anthropic-ai/claude-code), or set AGENCY_CLAUDE_BIN in ~/.agency/node.env and restart the node (agency node stop)`,
    );
  const auth = (node.info.auth = nodeAuth(node.env, node.loginProbe));
  if (!auth.key && !auth.login)
    throw new RemoteError(
      'failed',
      `node ${node.info.name} has no API key and no Claude Code login, so a session there could not reach the API: put ANTHROPIC_API_KEY=<your key> in ${node.nodeEnvFile} and run \`agency node stop\` there (the next agency command starts the node with the key), or log in to Claude Code as the node's user (run claude, then /login)`,
    );
  const registry = runRegistry(node, args.registry);
  let discipline = args.discipline;
  if (!discipline) {
    const best = buildClassifier(registry).rank(args.task)[0];
    if (!best || best.score <= 0)
      throw new RemoteError('bad-request', 'no discipline matches this task; pass --discipline');
    discipline = best.discipline;
  }
  // a name the registry lacks is the request's fault, as a malformed one is: the caller's usage error
  if (!registry.disciplines.has(discipline))
    throw new RemoteError(
      'bad-request',
      `unknown discipline ${JSON.stringify(discipline)}; known disciplines: ${[...registry.disciplines.keys()].sort().join(', ')}`,
    );
  // a URL is checked as its mirror is made (repo-source.ts); git's identity is then its user's own, from outside any repository
  let root = dirname(node.nodeEnvFile);
  if (!isRepoUrl(args.repo))
    try {
      root = await repoRootOf(args.repo);
    } catch (e) {
      if (e instanceof WorktreeError) throw new RemoteError('bad-request', e.message);
      throw e;
    }
  const identity = await gitIdentityProblem(root, node.env);
  if (identity) throw new RemoteError('failed', `node ${node.info.name}: ${identity}`);
  return { registry, discipline, vp: sessionVp(registry, discipline, args.vp) };
}

/** The VP named by the request, else the VP of the organisation that owns the discipline, else none. */
export function sessionVp(registry: Registry, discipline: string, asked: string | undefined): SessionVp {
  const org = registry.org?.value;
  const id = asked ?? org?.vps.find((v) => v.disciplines.includes(discipline))?.id ?? null;
  const vp = org?.vps.find((v) => v.id === id);
  return {
    id,
    context: org && vp ? { org: org.name, name: vp.name, mandate: vp.mandate, persona: vp.persona } : null,
  };
}

/** The record of a session about to start in worktree `wt`. */
export function newRecord(
  id: string,
  args: OpArgs['run'],
  discipline: string,
  model: string | null,
  wt: { repoRoot: string; path: string; branch: string; base: string; baseBranch: string | null },
  origin: string | null = null,
  vp: string | null = null,
): SessionRecord {
  const now = new Date().toISOString();
  return {
    id,
    state: 'starting',
    task: args.task,
    discipline,
    repo: wt.repoRoot,
    origin,
    base: { branch: wt.baseBranch, commit: wt.base },
    landing: null,
    worktree: wt.path,
    branch: wt.branch,
    model,
    claudeSession: randomUUID(),
    createdAt: now,
    updatedAt: now,
    endedAt: null,
    exitCode: null,
    reason: null,
    activity: 'starting',
    usage: noUsage(),
    outputSeq: 0,
    registry: args.registry ?? null,
    vp,
    resumes: 0,
  };
}
