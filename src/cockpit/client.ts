/**
 * The cockpit's view of the fleet, for commands: every command a user gives goes through here to the node
 * it concerns, as a protocol request. With no nodes configured, the fleet is the one local node.
 */
import { fleetLinks, UnknownNodeError } from '../fleet/fleet.js';
import { SpendRelay } from '../fleet/spend-relay.js';
import type { LinkStatus, NodeLink } from '../fleet/link.js';
import type { SshOptions } from '../fleet/ssh-connect.js';
import type { Connection } from '../protocol/connection.js';
import { leastLoaded } from './placement.js';
import {
  type Decision,
  type NodeEvent,
  type NodeSpend,
  type Op,
  type OpArgs,
  type OpResults,
  type SessionSummary,
  type WorkerOutput,
  type WorkersResult,
  type WorkerStopResult,
  type WorkerSummary,
} from '../protocol/messages.js';

export interface NodeView extends LinkStatus {
  sessions: number;
}

/** The error of a task with nowhere to go: every node, and why it cannot be reached. */
export function noNodeReachable(snap: Pick<FleetSnapshot, 'nodes'>): CockpitError {
  return new CockpitError(
    `no node is reachable: ${snap.nodes.map((n) => `${n.name} ${n.state}${n.error ? ` (${n.error})` : ''}`).join('; ')}`,
  );
}

export interface FleetSnapshot {
  nodes: NodeView[];
  sessions: SessionSummary[];
  decisions: Decision[];
  /** every node's workers: the live ones, and the most recent that ended (each node keeps a bounded number) */
  workers: WorkerSummary[];
  /** what each node that said spent today and in the last hours */
  spend?: { node: string; spend: NodeSpend }[];
}

/** A session's workers, as its node lists them, with the node the session is on. */
export interface SessionWorkersResult extends WorkersResult {
  node: string;
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
  if (Array.isArray(v.sessions) || Array.isArray(v.decisions) || Array.isArray(v.workers)) {
    return {
      ...v,
      ...(Array.isArray(v.sessions) ? { sessions: v.sessions.map((x: unknown) => asNode(x, node)) } : {}),
      ...(Array.isArray(v.decisions) ? { decisions: v.decisions.map((x: unknown) => asNode(x, node)) } : {}),
      ...(Array.isArray(v.workers) ? { workers: v.workers.map((x: unknown) => asNode(x, node)) } : {}),
    } as T;
  }
  return value;
}

function eventAsNode(e: NodeEvent, node: string): NodeEvent {
  if (e.kind === 'session') return { ...e, session: asNode(e.session, node) };
  if (e.kind === 'decision') return { ...e, decision: asNode(e.decision, node) };
  if (e.kind === 'worker') return { ...e, worker: asNode(e.worker, node) };
  if (e.kind === 'removed' || e.kind === 'spend' || e.kind === 'budget') return { ...e, node };
  return e;
}

/**
 * What a watcher has been told of each session, decision, worker and node, so that an event that says nothing new
 * (the same summary again, an older report, a node's link in the state it was in) is left out. A session removed
 * from its node is forgotten, with its decisions and workers.
 */
export class Told {
  private readonly seen = new Map<string, { fingerprint: string; updatedAt?: string; session?: string }>();

  constructor(after?: FleetSnapshot) {
    if (!after) return;
    for (const session of after.sessions) this.news({ kind: 'session', session });
    for (const decision of after.decisions) this.news({ kind: 'decision', decision });
    for (const worker of after.workers) this.news({ kind: 'worker', worker });
    for (const n of after.nodes) this.news({ kind: 'node', node: n });
    for (const p of after.spend ?? []) this.news({ kind: 'spend', node: p.node, spend: p.spend });
  }

  /** How many things it remembers. */
  get size(): number {
    return this.seen.size;
  }

  /** Whether the event tells something new; if it does, it is what was told from now on. */
  news(e: CockpitEvent): boolean {
    let key: string;
    let fingerprint: string;
    let updatedAt: string | undefined;
    let session: string | undefined;
    if (e.kind === 'session') {
      key = `s ${e.session.node}/${e.session.id}`;
      fingerprint = JSON.stringify(e.session);
      updatedAt = e.session.updatedAt;
      session = `${e.session.node}/${e.session.id}`;
    } else if (e.kind === 'decision') {
      key = `d ${e.decision.node}/${e.decision.id}`;
      fingerprint = JSON.stringify(e.decision);
      session = `${e.decision.node}/${e.decision.session}`;
    } else if (e.kind === 'worker') {
      key = `w ${e.worker.node}/${e.worker.id}`;
      fingerprint = JSON.stringify(e.worker);
      updatedAt = e.worker.updatedAt;
      session = `${e.worker.node}/${e.worker.session}`;
    } else if (e.kind === 'node') {
      key = `n ${e.node.name}`;
      fingerprint = JSON.stringify([e.node.state, e.node.error, e.node.info?.org ?? null]);
    } else if (e.kind === 'spend') {
      key = `p ${e.node}`;
      fingerprint = JSON.stringify(e.spend);
    } else {
      if (e.kind === 'removed') {
        const gone = `${e.node}/${e.session}`;
        for (const [k, v] of this.seen) if (v.session === gone) this.seen.delete(k);
      }
      return true;
    }
    const had = this.seen.get(key);
    if (had && (had.fingerprint === fingerprint || (updatedAt && had.updatedAt && had.updatedAt > updatedAt)))
      return false;
    this.seen.set(key, { fingerprint, ...(updatedAt ? { updatedAt } : {}), ...(session ? { session } : {}) });
    return true;
  }
}

export class Cockpit {
  private constructor(
    readonly links: NodeLink[],
    private readonly relay: SpendRelay | null = null,
  ) {}

  /**
   * Connects to the nodes (all configured, or those named). `start` starts the local node if it is not
   * running; `live` keeps reconnecting after drops (for watch and the TUI). A one-shot command tries each
   * node `attempts` times (3 unless told), with `ssh` over the configured SSH settings (a shorter timeout),
   * and waits at most `settleMs` for the nodes to answer, when given.
   */
  static async open(
    opts: {
      start?: boolean;
      nodes?: string[];
      live?: boolean;
      attempts?: number;
      ssh?: Partial<SshOptions>;
      settleMs?: number;
    } = {},
  ): Promise<Cockpit> {
    let links: NodeLink[];
    try {
      links = fleetLinks({
        ...(opts.nodes ? { only: opts.nodes } : {}),
        startLocal: opts.start ?? false,
        ...(opts.ssh ? { ssh: opts.ssh } : {}),
      });
    } catch (e) {
      if (e instanceof UnknownNodeError) throw e;
      throw new CockpitError((e as Error).message);
    }
    // a one-shot command tries a few times: sshd throttles many handshakes at once (MaxStartups)
    for (const l of links) l.start({ reconnect: opts.live ?? false, attempts: opts.attempts ?? 3 });
    const settled = Promise.all(links.map((l) => l.settled()));
    if (opts.settleMs === undefined) await settled;
    else {
      // a node still connecting then is reported as it is (connecting), not waited for
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([settled, new Promise((r) => (timer = setTimeout(r, opts.settleMs)))]);
      clearTimeout(timer);
    }
    // a cockpit that stays tells each node what the rest of the fleet spent today, for the daily budgets
    return new Cockpit(links, opts.live ? new SpendRelay(links) : null);
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
            workers: [] as WorkerSummary[],
            spend: undefined as NodeSpend | undefined,
          };
        try {
          const s = asNode(await c.request('status', {}), l.name);
          return {
            view: { ...l.status(), info: s.node, sessions: s.sessions.length },
            sessions: s.sessions,
            decisions: s.decisions,
            // a node from before workers sends none
            workers: Array.isArray(s.workers) ? s.workers : [],
            spend: s.spend,
          };
        } catch (e) {
          return {
            view: { ...l.status(), state: 'down' as const, error: (e as Error).message, sessions: 0 },
            sessions: [],
            decisions: [],
            workers: [],
            spend: undefined,
          };
        }
      }),
    );
    return {
      nodes: parts.map((p) => p.view),
      sessions: parts.flatMap((p) => p.sessions),
      decisions: parts.flatMap((p) => p.decisions),
      workers: parts.flatMap((p) => p.workers),
      spend: parts.flatMap((p, i) => (p.spend ? [{ node: this.links[i]!.name, spend: p.spend }] : [])),
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

  /** A session's workers (found with findSession), from its node: running, queued, and those that ended. */
  async workers(s: Pick<SessionSummary, 'id' | 'node'>): Promise<SessionWorkersResult> {
    const r = await this.requestOn(s.node, 'workers', { session: s.id });
    return { session: r.session ?? s.id, node: s.node, workers: r.workers };
  }

  /** A worker's output as its node kept it (its last lines), and its result once it wrote one. */
  async workerOutput(node: string, worker: string): Promise<WorkerOutput> {
    return this.requestOn(node, 'worker-output', { worker });
  }

  /** Stops a worker that has not ended; `stopped` is empty when it had ended already. */
  async stopWorker(node: string, worker: string): Promise<WorkerStopResult> {
    return this.requestOn(node, 'worker-stop', { worker });
  }

  /** Stops every worker of a run (one fan-out of a session) that has not ended. */
  async stopRun(node: string, run: string): Promise<WorkerStopResult> {
    return this.requestOn(node, 'worker-stop', { run });
  }

  /** Runs on the node named, or on the reachable node with the fewest live sessions. */
  async run(args: OpArgs['run'], node?: string): Promise<SessionSummary> {
    return this.requestOn(node ?? (await this.pickNode()), 'run', args);
  }

  /** The reachable node with the fewest live sessions: where a run goes when no node is named. */
  async pickNode(): Promise<string> {
    const snap = await this.status();
    const up = snap.nodes.filter((n) => n.state === 'up');
    if (up.length === 0) throw noNodeReachable(snap);
    return leastLoaded(up, snap.sessions)!;
  }

  /**
   * Node events and link changes from every node, across reconnects, until close(). Only what is news is
   * passed on: not a summary the watcher was already given (in `after`, the snapshot it started from, or
   * in an earlier event), nor an older report than one it has. Each (re)connection replays the node's
   * state, so that nothing that changed while no events flowed is missed; what did not change stays out.
   */
  watch(f: (e: CockpitEvent) => void, opts: { after?: FleetSnapshot } = {}): void {
    const told = new Told(opts.after);
    const tell = (e: CockpitEvent) => {
      if (told.news(e)) f(e);
    };
    for (const l of this.links) {
      l.onStatus((s) => tell({ kind: 'node', node: s }));
      const subscribe = (c: Connection) => {
        // a node whose info changed (it was given an organisation) is told by its link, which takes the new info
        c.onEvent((e) => {
          if (e.kind !== 'node-info') tell(eventAsNode(e, l.name));
        });
        c.request('watch', {}).then(
          (snap) => {
            if (snap.node) tell({ kind: 'node', node: { ...l.status(), info: snap.node } });
            for (const s of snap.sessions) tell({ kind: 'session', session: asNode(s, l.name) });
            for (const d of snap.decisions) tell({ kind: 'decision', decision: asNode(d, l.name) });
            for (const w of Array.isArray(snap.workers) ? snap.workers : [])
              tell({ kind: 'worker', worker: asNode(w, l.name) });
            if (snap.spend) tell({ kind: 'spend', node: l.name, spend: snap.spend });
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
    this.relay?.close();
    for (const l of this.links) l.close();
  }
}
