/**
 * What a view needs of the fleet besides its state: requests to a node, starting a task, and a session's
 * terminal bytes. A small interface so that the TUI runs against a test double as well as a real Cockpit.
 */
import type { Op, OpArgs, OpResults, SessionSummary } from '../protocol/messages.js';
import type { Cockpit } from './client.js';
import { subscribePty, type PtyStream } from './pty-subscription.js';
import type { FleetStore } from './store.js';

export interface CockpitPort {
  request<O extends Op>(node: string, op: O, args: OpArgs[O]): Promise<OpResults[O]>;
  /** on the node named, or on the reachable node with the fewest live sessions */
  run(args: OpArgs['run'], node?: string): Promise<SessionSummary>;
  /** a session's terminal bytes from `fromSeq` on, across reconnects, until the returned function is called */
  subscribePty(node: string, session: string, fromSeq: number, out: PtyStream): () => void;
}

export function cockpitPort(c: Cockpit): CockpitPort {
  return {
    request: (node, op, args) => c.requestOn(node, op, args),
    run: (args, node) => c.run(args, node),
    subscribePty: (node, session, fromSeq, out) => subscribePty(c.link(node), session, fromSeq, out),
  };
}

/**
 * Feeds a store from a cockpit: the links as they are, every event from now on, and a first status() (the
 * store keeps whichever report of a session is newer, so the order they arrive in does not matter).
 */
export async function feedStore(c: Cockpit, store: FleetStore): Promise<void> {
  store.setLinks(c.links.map((l) => l.status()));
  c.watch((e) => store.ingest(e));
  store.load(await c.status());
}
