/**
 * What a node does for each op, and who may ask for it. A request is checked in order: the op exists,
 * the connection's role may ask for it, its args match the op's schema (protocol/ops.ts); only then
 * does its handler run, with the parsed args.
 */
import { RemoteError } from '../protocol/connection.js';
import type { Hello, OpResults, Snapshot } from '../protocol/messages.js';
import { clip, isOp, parseOpArgs, type Op, type OpArgs } from '../protocol/ops.js';
import type { NodeManager } from './manager.js';

/** Who a connection says it is, in its hello. A per-session token will replace the hook's word for it. */
export type Role = Exclude<Hello['role'], 'node'>;

/** What a handler may use besides the manager: the state of the connection that asked. */
export interface OpContext {
  manager: NodeManager;
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
  handle(args: OpArgs[O], ctx: OpContext): OpResults[O] | Promise<OpResults[O]>;
}
type OpTable = { [O in Op]: OpEntry<O> };

/** The operator's: everything that reads or changes the node's sessions. */
const COCKPIT: readonly Role[] = ['cockpit'];
/** A session's own hook program, reporting its events. */
const HOOK: readonly Role[] = ['hook'];

const ROLE_NAMES: Record<Role, string> = { cockpit: "the operator's cockpit", hook: "a session's hook program" };

export const NODE_OPS: OpTable = {
  status: { roles: COCKPIT, handle: (_, c) => c.manager.freshSnapshot() },
  watch: { roles: COCKPIT, handle: (_, c) => c.watch() },
  run: { roles: COCKPIT, handle: (a, c) => c.manager.run(a) },
  send: { roles: COCKPIT, handle: (a, c) => c.manager.send(a) },
  pause: { roles: COCKPIT, handle: (a, c) => c.manager.pause(a) },
  resume: { roles: COCKPIT, handle: (a, c) => c.manager.resume(a) },
  interrupt: { roles: COCKPIT, handle: (a, c) => c.manager.interrupt(a) },
  resize: { roles: COCKPIT, handle: (a, c) => c.manager.resize(a) },
  stop: { roles: COCKPIT, handle: (a, c) => c.manager.stop(a) },
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
  hook: { roles: HOOK, handle: (a, c) => c.manager.hook(a, c.closed) },
  shutdown: {
    roles: COCKPIT,
    handle: (_, c) => {
      c.shutdown();
      return {};
    },
  },
};

/** Carries out one request from a connection that said it is `role`; refusals are RemoteErrors. */
export async function dispatch(op: unknown, raw: unknown, role: unknown, ctx: OpContext): Promise<unknown> {
  if (!isOp(op))
    throw new RemoteError(
      'bad-request',
      typeof op === 'string' ? `unknown operation ${clip(op)}` : 'the request names no operation',
    );
  return call(op, raw, role, ctx);
}

async function call<O extends Op>(op: O, raw: unknown, role: unknown, ctx: OpContext): Promise<OpResults[O]> {
  const entry = NODE_OPS[op];
  if (!entry.roles.some((r) => r === role)) {
    const asker = typeof role === 'string' ? `a ${clip(role)} connection` : 'a connection that gave no role';
    const allowed = entry.roles.map((r) => ROLE_NAMES[r]).join(' or ');
    throw new RemoteError('forbidden', `${asker} may not ask this node for ${op}; only ${allowed} may`);
  }
  const parsed = parseOpArgs(op, raw ?? {});
  if (!parsed.ok) throw new RemoteError('bad-request', parsed.problem);
  return entry.handle(parsed.args, ctx);
}
