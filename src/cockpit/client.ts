/**
 * The cockpit's view of the fleet, for commands: every command a user gives goes through here to the node
 * it concerns, as a protocol request. With no nodes configured, the fleet is the one local node.
 */
import { fleetLinks } from '../fleet/fleet.js';
import type { LinkStatus, NodeLink } from '../fleet/link.js';
import type { Connection } from '../protocol/connection.js';
import {
  isLive,
  type Decision,
  type NodeEvent,
  type Op,
  type OpArgs,
  type OpResults,
  type SessionSummary,
} from '../protocol/messages.js';

export interface NodeView extends LinkStatus {
  sessions: number;
}

export interface FleetSnapshot {
  nodes: NodeView[];
  sessions: SessionSummary[];
  decisions: Decision[];
}

export type CockpitEvent = NodeEvent | { kind: 'node'; node: LinkStatus };

export class CockpitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CockpitError';
  }
}

/**
 * What a node reports names it as its daemon calls itself; the operator's config names it too, and that
 * name is the one the operator types (`node/s-abc`, `--node`). Everything from a link carries its name.
 */
function asNode<T>(value: T, node: string): T {
  if (!value || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.node === 'string' && v.node !== node && typeof v.id === 'string') return { ...v, node } as T;
  if (Array.isArray(v.sessions) || Array.isArray(v.decisions)) {
    return {
      ...v,
      ...(Array.isArray(v.sessions) ? { sessions: v.sessions.map((x: unknown) => asNode(x, node)) } : {}),
      ...(Array.isArray(v.decisions) ? { decisions: v.decisions.map((x: unknown) => asNode(x, node)) } : {}),
    } as T;
  }
  return value;
}

function eventAsNode(e: NodeEvent, node: string): NodeEvent {
  if (e.kind === 'session') return { ...e, session: asNode(e.session, node) };
  if (e.kind === 'decision') return { ...e, decision: asNode(e.decision, node) };
  return e;
}

export class Cockpit {
  private constructor(readonly links: NodeLink[]) {}

  /**
   * Connects to the nodes (all configured, or those named). `start` starts the local node if it is not
   * running; `live` keeps reconnecting after drops (for watch and the TUI).
   */
  static async open(opts: { start?: boolean; nodes?: string[]; live?: boolean } = {}): Promise<Cockpit> {
    let links: NodeLink[];
    try {
      links = fleetLinks({ ...(opts.nodes ? { only: opts.nodes } : {}), startLocal: opts.start ?? false });
    } catch (e) {
      throw new CockpitError((e as Error).message);
    }
    // a one-shot command tries a few times: sshd throttles many handshakes at once (MaxStartups)
    for (const l of links) l.start({ reconnect: opts.live ?? false, attempts: 3 });
    await Promise.all(links.map((l) => l.settled()));
    return new Cockpit(links);
  }

  link(name: string): NodeLink {
    const l = this.links.find((x) => x.name === name);
    if (!l)
      throw new CockpitError(
        `unknown node ${JSON.stringify(name)}; nodes: ${this.links.map((x) => x.name).join(', ')}`,
      );
    return l;
  }

  private up(name: string): Connection {
    const l = this.link(name);
    const c = l.connection();
    if (!c)
      throw new CockpitError(`node ${name} is ${l.status().state}${l.status().error ? `: ${l.status().error}` : ''}`);
    return c;
  }

  requestOn<O extends Op>(node: string, op: O, args: OpArgs[O]): Promise<OpResults[O]> {
    return this.up(node)
      .request(op, args)
      .then((r) => asNode(r, node));
  }

  /** Every node's state; nodes that are down are listed with why, and their sessions are not. */
  async status(): Promise<FleetSnapshot> {
    const parts = await Promise.all(
      this.links.map(async (l) => {
        const c = l.connection();
        if (!c)
          return {
            view: { ...l.status(), sessions: 0 },
            sessions: [] as SessionSummary[],
            decisions: [] as Decision[],
          };
        try {
          const s = asNode(await c.request('status', {}), l.name);
          return {
            view: { ...l.status(), info: s.node, sessions: s.sessions.length },
            sessions: s.sessions,
            decisions: s.decisions,
          };
        } catch (e) {
          return {
            view: { ...l.status(), state: 'down' as const, error: (e as Error).message, sessions: 0 },
            sessions: [],
            decisions: [],
          };
        }
      }),
    );
    return {
      nodes: parts.map((p) => p.view),
      sessions: parts.flatMap((p) => p.sessions),
      decisions: parts.flatMap((p) => p.decisions),
    };
  }

  /** `s-abc123`, or `node/s-abc123` where ids repeat across nodes. */
  async findSession(ref: string): Promise<SessionSummary> {
    const [node, id] = ref.includes('/') ? (ref.split('/', 2) as [string, string]) : [null, ref];
    const found = (await this.status()).sessions.filter((s) => s.id === id && (!node || s.node === node));
    if (found.length === 0)
      throw new CockpitError(`no session ${JSON.stringify(ref)} on ${node ? `node ${node}` : 'any reachable node'}`);
    if (found.length > 1)
      throw new CockpitError(
        `session id ${id} is on several nodes (${found.map((s) => s.node).join(', ')}): say which, as node/${id}`,
      );
    return found[0]!;
  }

  async findDecision(ref: string): Promise<Decision> {
    const [node, id] = ref.includes('/') ? (ref.split('/', 2) as [string, string]) : [null, ref];
    const found = (await this.status()).decisions.filter((d) => d.id === id && (!node || d.node === node));
    if (found.length === 0)
      throw new CockpitError(`no decision ${JSON.stringify(ref)} on ${node ? `node ${node}` : 'any reachable node'}`);
    if (found.length > 1) throw new CockpitError(`decision id ${id} is on several nodes: say which, as node/${id}`);
    return found[0]!;
  }

  /** Runs on the node named, or on the reachable node with the fewest live sessions. */
  async run(args: OpArgs['run'], node?: string): Promise<SessionSummary> {
    return this.requestOn(node ?? (await this.pickNode()), 'run', args);
  }

  /** The reachable node with the fewest live sessions: where a run goes when no node is named. */
  async pickNode(): Promise<string> {
    const snap = await this.status();
    const up = snap.nodes.filter((n) => n.state === 'up');
    if (up.length === 0)
      throw new CockpitError(
        `no node is reachable: ${snap.nodes.map((n) => `${n.name} ${n.state}${n.error ? ` (${n.error})` : ''}`).join('; ')}`,
      );
    const live = (name: string) => snap.sessions.filter((s) => s.node === name && isLive(s)).length;
    return up.sort((a, b) => live(a.name) - live(b.name) || a.name.localeCompare(b.name))[0]!.name;
  }

  /** Node events and link changes from every node, across reconnects, until close(). */
  watch(f: (e: CockpitEvent) => void): void {
    for (const l of this.links) {
      l.onStatus((s) => f({ kind: 'node', node: s }));
      const subscribe = (c: Connection) => {
        c.onEvent((e) => f(eventAsNode(e, l.name)));
        c.request('watch', {}).then(
          (snap) => {
            for (const s of snap.sessions) f({ kind: 'session', session: asNode(s, l.name) });
            for (const d of snap.decisions) f({ kind: 'decision', decision: asNode(d, l.name) });
          },
          () => undefined,
        );
      };
      l.onConnection(subscribe);
      const c = l.connection();
      if (c) subscribe(c);
    }
  }

  close(): void {
    for (const l of this.links) l.close();
  }
}
