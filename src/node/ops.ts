/**
 * What a node does for each op, and who may ask for it. A request is checked in order: the op exists,
 * the connection's role may ask for it, its args match the op's schema (protocol/ops.ts); only then
 * does its handler run, with the parsed args. A connection's role is what its hello says, and for a hook
 * connection only if its token holds for the session it names (session-tokens.ts): no session is trusted
 * on its word.
 */
import { RemoteError } from '../protocol/connection.js';
import type { Hello, OpResults, SessionSummary, Snapshot } from '../protocol/messages.js';
import { clip, isOp, parseOpArgs, type Op, type OpArgs } from '../protocol/ops.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { NodeLanding } from './landing.js';
import type { NodeOrgStore } from './org-store.js';
import type { NodeEconomics } from './economics.js';
import type { NodeManager } from './manager.js';
import type { SessionTokens } from './session-tokens.js';
import { runSplit } from './run-split.js';
import { runRegistry } from './run-request.js';
import { recordControl, recordOrg, recordSettings } from './audit-events.js';

/** The roles a connection can be granted. */
export type Role = Exclude<Hello['role'], 'node'>;

/** Who a connection is, once its hello has been checked: the operator's, one session's hook, or nobody. */
export type Peer = { role: 'cockpit' } | { role: 'hook'; session: string } | { role: null; who: string };

/** The peer a hello makes of a connection. A hook's token must hold for the session it names. */
export function identify(hello: Hello | null, tokens: Pick<SessionTokens, 'holds'>): Peer {
  if (!hello) return { role: null, who: 'a connection that gave no hello' };
  const role: unknown = hello.role;
  if (role === 'cockpit') return { role: 'cockpit' };
  if (role === 'hook') {
    if (tokens.holds(hello.session, hello.token)) return { role: 'hook', session: hello.session! };
    const named = typeof hello.session === 'string' ? ` for session ${clip(hello.session)}` : '';
    return { role: null, who: `a hook connection${named} whose token does not hold` };
  }
  return {
    role: null,
    who: typeof role === 'string' ? `a ${clip(role)} connection` : 'a connection that gave no role',
  };
}

/** What a handler may use besides the manager: the state of the connection that asked. */
export interface OpContext {
  manager: NodeManager;
  landing: NodeLanding;
  workers: Dispatcher;
  /** the organisation the node was given, and its VPs */
  org: NodeOrgStore;
  /** settings, spend, budgets and the audit trail */
  economics: NodeEconomics;
  /** the node's registry folder, which `run-split` classifies over */
  registryDir: string;
  /** settles when the asking connection closes */
  closed: Promise<void>;
  /** starts this connection's stream of events and returns the state they follow on from */
  watch(): Snapshot;
  subscribePty(session: string, fromSeq: number): OpResults['pty-subscribe'];
  unsubscribePty(session: string): void;
  shutdown(): void;
}

interface OpEntry<O extends Op> {
  roles: readonly Role[];
  handle(args: OpArgs[O], ctx: OpContext, peer: Peer): OpResults[O] | Promise<OpResults[O]>;
}
type OpTable = { [O in Op]: OpEntry<O> };

/** The operator's: everything that reads or changes the node's sessions. */
const COCKPIT: readonly Role[] = ['cockpit'];
/**
 * A session's own program: its hooks reporting its events, and its `agency` MCP server fanning out and
 * merging its own workers. Never deciding, running or stopping anything else.
 */
const SESSION_OWN: readonly Role[] = ['hook'];

/** A session's own connection acts for the session its token is for, and for no other. */
function ownSession(session: string, peer: Peer): void {
  if (peer.role === 'hook' && peer.session === session) return;
  const who = peer.role === 'hook' ? `session ${peer.session}` : 'this connection';
  throw new RemoteError('forbidden', `the hook connection of ${who} may not act for session ${clip(session)}`);
}

/** An op of a session's own connection, for the session its token is for and no other. */
function ownOp<O extends Op>(
  handle: (args: OpArgs[O], ctx: OpContext) => OpResults[O] | Promise<OpResults[O]>,
): OpEntry<O> {
  return {
    roles: SESSION_OWN,
    handle: (a, c, peer) => {
      ownSession((a as { session: string }).session, peer);
      return handle(a, c);
    },
  };
}

/** The operator's pause, resume or stop, recorded in the audit trail once it is done. */
async function byOperator(
  c: OpContext,
  kind: 'pause' | 'resume' | 'stop',
  done: SessionSummary | Promise<SessionSummary>,
): Promise<SessionSummary> {
  const s = await done;
  recordControl(c.economics.audit, kind, s, 'operator');
  return s;
}

const ROLE_NAMES: Record<Role, string> = { cockpit: "the operator's cockpit", hook: "a session's hook program" };

export const NODE_OPS: OpTable = {
  status: { roles: COCKPIT, handle: (_, c) => c.manager.freshSnapshot() },
  watch: { roles: COCKPIT, handle: (_, c) => c.watch() },
  run: { roles: COCKPIT, handle: (a, c) => c.manager.run(a) },
  'run-split': {
    roles: COCKPIT,
    handle: (a, c) =>
      runSplit(
        {
          run: (args) => c.manager.run(args),
          org: () => c.org.current(),
          registry: (named) => runRegistry({ registryDir: c.registryDir, orgRegistry: () => c.org.registry() }, named),
        },
        a,
      ),
  },
  send: { roles: COCKPIT, handle: (a, c) => c.manager.send(a) },
  pause: { roles: COCKPIT, handle: (a, c) => byOperator(c, 'pause', c.manager.pause(a)) },
  resume: { roles: COCKPIT, handle: (a, c) => byOperator(c, 'resume', c.manager.resume(a)) },
  interrupt: { roles: COCKPIT, handle: (a, c) => c.manager.interrupt(a) },
  resize: { roles: COCKPIT, handle: (a, c) => c.manager.resize(a) },
  stop: { roles: COCKPIT, handle: (a, c) => byOperator(c, 'stop', c.manager.stop(a)) },
  decide: { roles: COCKPIT, handle: (a, c) => c.manager.decide(a) },
  screen: { roles: COCKPIT, handle: (a, c) => c.manager.screen(a) },
  'pty-subscribe': { roles: COCKPIT, handle: (a, c) => c.subscribePty(a.session, a.fromSeq) },
  'pty-unsubscribe': {
    roles: COCKPIT,
    handle: (a, c) => {
      c.unsubscribePty(a.session);
      return {};
    },
  },
  hook: ownOp((a, c) => c.manager.hook(a, c.closed)),
  diff: { roles: COCKPIT, handle: (a, c) => c.landing.diff(a) },
  log: { roles: COCKPIT, handle: (a, c) => c.landing.log(a) },
  merge: { roles: COCKPIT, handle: (a, c) => c.landing.merge(a) },
  pr: { roles: COCKPIT, handle: (a, c) => c.landing.pr(a) },
  rm: { roles: COCKPIT, handle: (a, c) => c.landing.rm(a) },
  gc: { roles: COCKPIT, handle: (a, c) => c.landing.gc(a) },
  mirror: { roles: COCKPIT, handle: (a, c) => c.manager.mirror(a) },
  workers: { roles: COCKPIT, handle: (a, c) => c.workers.list(a) },
  'worker-output': { roles: COCKPIT, handle: (a, c) => c.workers.output(a) },
  'worker-stop': { roles: COCKPIT, handle: (a, c) => c.workers.stop(a) },
  'spawn-workers': ownOp((a, c) => c.workers.spawn(a)),
  'wait-workers': ownOp((a, c) => c.workers.wait(a, c.closed)),
  'worker-status': ownOp((a, c) => c.workers.status(a)),
  'merge-workers': ownOp((a, c) => c.workers.merge(a)),
  'org-apply': {
    roles: COCKPIT,
    handle: async (a, c) => {
      const org = await c.org.apply(a);
      recordOrg(c.economics.audit, a, org);
      return org;
    },
  },
  'settings-apply': {
    roles: COCKPIT,
    handle: (a, c) => {
      const r = c.economics.settings.apply(a);
      recordSettings(c.economics.audit, a, r.settings);
      return r;
    },
  },
  'budget-sync': {
    roles: COCKPIT,
    handle: (a, c) => {
      c.economics.sync(a);
      return {};
    },
  },
  cost: { roles: COCKPIT, handle: (a, c) => c.economics.cost(a) },
  audit: { roles: COCKPIT, handle: (a, c) => c.economics.readAudit(a) },
  'audit-verify': { roles: COCKPIT, handle: (_, c) => c.economics.verifyAudit() },
  shutdown: {
    roles: COCKPIT,
    handle: (_, c) => {
      c.shutdown();
      return {};
    },
  },
};

/** Carries out one request from peer; refusals are RemoteErrors. */
export async function dispatch(op: unknown, raw: unknown, peer: Peer, ctx: OpContext): Promise<unknown> {
  if (!isOp(op))
    throw new RemoteError(
      'bad-request',
      typeof op === 'string' ? `unknown operation ${clip(op)}` : 'the request names no operation',
    );
  return call(op, raw, peer, ctx);
}

function describe(peer: Peer): string {
  if (peer.role === 'cockpit') return "the operator's cockpit";
  if (peer.role === 'hook') return `the hook connection of session ${peer.session}`;
  return peer.who;
}

async function call<O extends Op>(op: O, raw: unknown, peer: Peer, ctx: OpContext): Promise<OpResults[O]> {
  const entry = NODE_OPS[op];
  if (!entry.roles.some((r) => r === peer.role)) {
    const allowed = entry.roles.map((r) => ROLE_NAMES[r]).join(' or ');
    throw new RemoteError('forbidden', `${describe(peer)} may not ask this node for ${op}; only ${allowed} may`);
  }
  const parsed = parseOpArgs(op, raw ?? {});
  if (!parsed.ok) throw new RemoteError('bad-request', parsed.problem);
  return entry.handle(parsed.args, ctx, peer);
}
