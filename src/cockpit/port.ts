/**
 * What a view needs of the fleet besides its state: requests to a node, starting a task, and a session's
 * terminal bytes. A small interface so that the TUI runs against a test double as well as a real Cockpit.
 */
import type { Op, OpArgs, OpResults, SessionSummary } from '../protocol/messages.js';
import type { Cockpit, CockpitEvent, FleetSnapshot } from './client.js';
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
 * store keeps whichever report of a session is newer, so the order they arrive in does not matter). `tap`
 * hears every event the store is fed, so that others need no watch of their own (each is a stream from
 * every node). Resolves with the first status.
 */
export async function feedStore(
  c: Cockpit,
  store: FleetStore,
  tap?: (e: CockpitEvent) => void,
): Promise<FleetSnapshot> {
  store.setLinks(c.links.map((l) => l.status()));
  c.watch((e) => {
    store.ingest(e);
    tap?.(e);
  });
  const snap = await c.status();
  store.load(snap);
  return snap;
}

/** How many events a tap keeps for a listener that has not come yet. */
const TAP_KEPT = 10_000;

/**
 * The events of one watch, for one listener that comes later: what was heard before it came is handed to it
 * first (the oldest dropped past a bound), then each event as it comes.
 */
export class EventTap {
  private early: CockpitEvent[] = [];
  private listener: ((e: CockpitEvent) => void) | null = null;

  readonly hear = (e: CockpitEvent): void => {
    if (this.listener) return this.listener(e);
    this.early.push(e);
    if (this.early.length > TAP_KEPT) this.early.shift();
  };

  listen(f: (e: CockpitEvent) => void): void {
    this.listener = f;
    for (const e of this.early.splice(0)) f(e);
  }
}
