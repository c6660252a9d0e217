/**
 * The fleet state store: one place that holds what the cockpit knows of every node, session, worker and
 * open decision, fed by `Cockpit.watch` events and a first `status()`. It lives outside any UI: events
 * are gathered for a few tens of milliseconds, repeats coalesced, and applied in one batch; listeners hear
 * of a batch once, and read an immutable snapshot whose parts keep their identity while they do not
 * change (a tile that reads its node's summary re-renders only when that summary changes). Memory is
 * bounded: sessions and workers that ended are dropped, oldest first, past a cap per node.
 */
import type { LinkStatus } from '../fleet/link.js';
import { Emitter } from '../protocol/events.js';
import { isLive, type Decision, type NodeSpend, type SessionSummary } from '../protocol/messages.js';
import { SpendBook } from './spend.js';
import type { CockpitEvent, FleetSnapshot } from './client.js';
import { sameHealth, sameSession } from './same.js';
import {
  RateMeter,
  fleetHealth,
  sameSummary,
  summariseNode,
  usageTokens,
  type FleetHealth,
  type NodeSummary,
  type WorkerSummary,
} from './summary.js';
import { WorkerTable } from './worker-table.js';
import { countWorkers, type SessionWorkers } from './workers.js';

/** What the store takes in: the cockpit's events (a node's, with its workers', and its links'). */
export type StoreEvent = CockpitEvent;

export interface FleetState {
  /** grows by one with every batch that changed something */
  readonly version: number;
  /** node names in the order the cockpit lists its links (then in order of first sight) */
  readonly order: readonly string[];
  readonly nodes: ReadonlyMap<string, NodeSummary>;
  readonly links: ReadonlyMap<string, LinkStatus>;
  /** by node: sessions in order of creation */
  readonly sessions: ReadonlyMap<string, readonly SessionSummary[]>;
  /** by node: workers in order of first sight */
  readonly workers: ReadonlyMap<string, readonly WorkerSummary[]>;
  /** by node, then session: a session's workers in list order, counted (with what they spent) */
  readonly sessionWorkers: ReadonlyMap<string, ReadonlyMap<string, SessionWorkers>>;
  /** open decisions of every node, oldest first */
  readonly decisions: readonly Decision[];
  readonly health: FleetHealth;
  /** by node: what it spent today and in the last hours, as it last said */
  readonly spend: ReadonlyMap<string, NodeSpend>;
}

export interface StoreOptions {
  /**
   * how long events are gathered before they are applied (default 1 s: a tile's summary changes on screen
   * once a second, as top's do); decisions and link changes are applied within 50 ms whatever it is
   */
  batchMs?: number;
  /** sessions that ended kept per node (default 50); older ones are dropped, their usage still counted */
  maxEndedSessions?: number;
  /** workers that ended kept per node (default 200); older ones are dropped, their usage still counted */
  maxEndedWorkers?: number;
  /** how often the rates are recomputed when nothing happens (default 5 s; 0: never) */
  tickMs?: number;
  now?: () => number;
}

const CLOSED_KEPT = 2000;
/** how soon a decision or a node's link change is applied, whatever the batch interval */
const URGENT_MS = 50;

const key = (node: string, id: string) => `${node}/${id}`;

const EMPTY_HEALTH = fleetHealth([], { tokensPerHour: 0, costPerHour: 0 });

export class FleetStore {
  private readonly batches = new Emitter<void>();
  private readonly queue = new Map<string, StoreEvent>();
  private timer: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private readonly links = new Map<string, LinkStatus>();
  private readonly sessionTable = new Map<string, Map<string, SessionSummary>>();
  private readonly workerTable: WorkerTable;
  private readonly openDecisions = new Map<string, Map<string, Decision>>();
  private readonly closed = new Set<string>();
  private readonly retired = new Map<string, { tokens: number; costUsd: number }>();
  private readonly dirty = new Set<string>();
  private readonly spendBook = new SpendBook();
  private decisionsDirty = false;
  private orderDirty = false;
  private readonly meter = new RateMeter();
  private readonly batchMs: number;
  private readonly maxEndedSessions: number;
  private readonly now: () => number;
  private state: FleetState = {
    version: 0,
    order: [],
    nodes: new Map(),
    links: new Map(),
    sessions: new Map(),
    workers: new Map(),
    sessionWorkers: new Map(),
    decisions: [],
    health: EMPTY_HEALTH,
    spend: new Map(),
  };

  constructor(opts: StoreOptions = {}) {
    this.batchMs = opts.batchMs ?? 1000;
    this.maxEndedSessions = opts.maxEndedSessions ?? 50;
    this.workerTable = new WorkerTable(opts.maxEndedWorkers ?? 200);
    this.now = opts.now ?? Date.now;
    const tickMs = opts.tickMs ?? 5000;
    if (tickMs > 0) {
      this.ticker = setInterval(() => this.tick(), tickMs);
      this.ticker.unref?.();
    }
  }

  /** For useSyncExternalStore: called once per applied batch. */
  readonly subscribe = (listener: () => void): (() => void) => {
    const sub = this.batches.on(listener);
    return () => sub.dispose();
  };

  readonly getSnapshot = (): FleetState => this.state;

  /** Links in the order the cockpit lists them: tiles keep that order. */
  setLinks(statuses: readonly LinkStatus[]): void {
    for (const s of statuses) this.ingest({ kind: 'node', node: s });
  }

  /** A first snapshot (from `Cockpit.status()`); anything newer that arrived already is kept. */
  load(snap: FleetSnapshot): void {
    for (const n of snap.nodes) {
      const { sessions: _count, ...link } = n;
      this.ingest({ kind: 'node', node: link });
    }
    for (const s of snap.sessions) this.ingest({ kind: 'session', session: s });
    for (const d of snap.decisions) this.ingest({ kind: 'decision', decision: d });
    // a snapshot recorded before nodes reported workers has none
    for (const w of snap.workers ?? []) this.ingest({ kind: 'worker', worker: w });
    for (const p of snap.spend ?? []) this.ingest({ kind: 'spend', node: p.node, spend: p.spend });
  }

  ingest(e: StoreEvent): void {
    switch (e.kind) {
      case 'node':
        this.queue.set(`n:${e.node.name}`, e);
        break;
      case 'session': {
        const k = `s:${key(e.session.node, e.session.id)}`;
        const had = this.queue.get(k);
        if (!had || had.kind !== 'session' || had.session.updatedAt <= e.session.updatedAt) this.queue.set(k, e);
        break;
      }
      case 'decision':
        this.queue.set(`d:${key(e.decision.node, e.decision.id)}`, e);
        break;
      case 'worker': {
        const k = `w:${key(e.worker.node, e.worker.id)}`;
        const had = this.queue.get(k);
        if (!had || had.kind !== 'worker' || had.worker.updatedAt <= e.worker.updatedAt) this.queue.set(k, e);
        break;
      }
      case 'removed':
        // a session its node removed (rm, gc), in its own slot: whichever of a report and the removal came last wins
        this.queue.set(`s:${key(e.node, e.session)}`, e);
        break;
      case 'spend':
        this.queue.set(`p:${e.node}`, e);
        break;
      default:
        return; // pty-reset and anything newer concern a pane, not the fleet's state
    }
    // what the operator must see soon (a decision, a node going down) is applied within URGENT_MS;
    // summaries that only change numbers on a tile wait for the batch
    this.schedule(e.kind === 'decision' || e.kind === 'node' ? Math.min(URGENT_MS, this.batchMs) : this.batchMs);
  }

  private due = Infinity;
  private schedule(delay: number): void {
    const at = Date.now() + delay;
    if (this.timer !== null && at >= this.due) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.due = at;
    this.timer = setTimeout(() => this.flush(), delay);
    this.timer.unref?.();
  }

  /** Applies what is queued now (the batch timer calls this); listeners hear once if anything changed. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.due = Infinity;
    const batch = [...this.queue.values()];
    this.queue.clear();
    for (const e of batch) this.apply(e);
    this.rebuild(false);
  }

  /** Recomputes the rates with nothing new, so that they fall to zero when the fleet goes quiet. */
  tick(): void {
    this.rebuild(true);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.ticker) clearInterval(this.ticker);
    this.timer = this.ticker = null;
    this.batches.clear();
  }

  private touch(node: string): void {
    if (!this.links.has(node)) {
      // events of a node the cockpit did not list (yet): it is up, since it talks
      this.links.set(node, {
        name: node,
        transport: 'local',
        state: 'up',
        error: null,
        info: null,
        since: new Date(this.now()).toISOString(),
      });
      this.orderDirty = true;
    }
    this.dirty.add(node);
  }

  private apply(e: StoreEvent): void {
    switch (e.kind) {
      case 'node': {
        const had = this.links.get(e.node.name);
        if (
          had &&
          had.state === e.node.state &&
          had.error === e.node.error &&
          had.info?.pid === e.node.info?.pid &&
          had.info?.host === e.node.info?.host &&
          JSON.stringify(had.info?.org) === JSON.stringify(e.node.info?.org)
        )
          return;
        if (!had) this.orderDirty = true;
        this.links.set(e.node.name, e.node);
        this.dirty.add(e.node.name);
        return;
      }
      case 'session': {
        const s = e.session;
        const table = this.table(this.sessionTable, s.node);
        const had = table.get(s.id);
        if (had && had.updatedAt > s.updatedAt) return; // an older report than the one we hold
        if (!had && !isLive(s) && this.droppedEnded(s)) return;
        table.set(s.id, s);
        if (had && sameSession(had, s)) return;
        if (had) this.meter.add(usageTokens(s.usage) - usageTokens(had.usage), s.usage.costUsd - had.usage.costUsd);
        this.touch(s.node);
        if (!isLive(s)) this.capEnded(s.node);
        return;
      }
      case 'decision': {
        const d = e.decision;
        const k = key(d.node, d.id);
        const open = this.table(this.openDecisions, d.node);
        if (d.state === 'open') {
          if (this.closed.has(k)) return; // answered already: this report is older
          open.set(d.id, d);
        } else {
          this.closed.add(k);
          if (this.closed.size > CLOSED_KEPT) this.closed.delete(this.closed.values().next().value!);
          if (!open.delete(d.id)) return;
        }
        this.decisionsDirty = true;
        this.touch(d.node);
        return;
      }
      case 'removed': {
        // its workers go with it; what they spent stays counted in their node's
        const workersWent = this.workerTable.removeSession(e.node, e.session);
        const table = this.sessionTable.get(e.node);
        const had = table?.get(e.session);
        if (table && had) {
          table.delete(e.session);
          // what it spent stays spent: counted as a retired session's
          const retired = this.retired.get(e.node) ?? { tokens: 0, costUsd: 0 };
          retired.tokens += usageTokens(had.usage);
          retired.costUsd += had.usage.costUsd;
          this.retired.set(e.node, retired);
        }
        if (had || workersWent) this.dirty.add(e.node);
        return;
      }
      case 'worker': {
        const change = this.workerTable.put(e.worker);
        if (!change) return;
        this.meter.add(change.tokens, change.costUsd);
        this.touch(e.worker.node);
        return;
      }
      case 'spend':
        return this.spendBook.put(e.node, e.spend, this.now());
      default:
        return;
    }
  }

  private table<V>(t: Map<string, Map<string, V>>, node: string): Map<string, V> {
    let m = t.get(node);
    if (!m) t.set(node, (m = new Map()));
    return m;
  }

  /** an ended session older than every ended one kept, when the node already keeps its cap of them */
  private droppedEnded(s: SessionSummary): boolean {
    const ended = [...(this.sessionTable.get(s.node)?.values() ?? [])].filter((x) => !isLive(x));
    if (ended.length < this.maxEndedSessions) return false;
    return ended.every((x) => (x.endedAt ?? x.updatedAt) > (s.endedAt ?? s.updatedAt));
  }

  private capEnded(node: string): void {
    const table = this.sessionTable.get(node)!;
    const ended = [...table.values()].filter((s) => !isLive(s));
    if (ended.length <= this.maxEndedSessions) return;
    ended.sort((a, b) => (a.endedAt ?? a.updatedAt).localeCompare(b.endedAt ?? b.updatedAt));
    const retired = this.retired.get(node) ?? { tokens: 0, costUsd: 0 };
    for (const s of ended.slice(0, ended.length - this.maxEndedSessions)) {
      table.delete(s.id);
      retired.tokens += usageTokens(s.usage);
      retired.costUsd += s.usage.costUsd;
    }
    this.retired.set(node, retired);
  }

  private rebuild(rateOnly: boolean): void {
    const prev = this.state;
    let changed = false;
    let order = prev.order;
    if (this.orderDirty) {
      order = [...this.links.keys()];
      this.orderDirty = false;
      changed = true;
    }
    let nodes = prev.nodes;
    let sessions = prev.sessions;
    let workers = prev.workers;
    let sessionWorkers = prev.sessionWorkers;
    let links = prev.links;
    if (!rateOnly && this.dirty.size > 0) {
      const n = new Map(prev.nodes);
      const s = new Map(prev.sessions);
      const w = new Map(prev.workers);
      const sw = new Map(prev.sessionWorkers);
      for (const name of this.dirty) {
        const link = this.links.get(name)!;
        const list = [...(this.sessionTable.get(name)?.values() ?? [])].sort(
          (a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
        );
        const ws = this.workerTable.list(name);
        const open = [...(this.openDecisions.get(name)?.values() ?? [])].sort((a, b) =>
          a.createdAt.localeCompare(b.createdAt),
        );
        const counted = countWorkers(ws, this.workerTable.retired(name));
        const summary = summariseNode(link, list, counted, open, this.retired.get(name) ?? { tokens: 0, costUsd: 0 });
        const had = prev.nodes.get(name);
        n.set(name, had && sameSummary(had, summary) ? had : summary);
        s.set(name, list);
        if (ws.length > 0 || w.has(name)) w.set(name, ws);
        const bySession = this.workerTable.bySession(name, prev.sessionWorkers.get(name));
        if (bySession.size > 0 || sw.has(name)) sw.set(name, bySession);
      }
      this.dirty.clear();
      nodes = n;
      sessions = s;
      workers = w;
      sessionWorkers = sw;
      links = new Map(this.links);
      changed = true;
    }
    let decisions = prev.decisions;
    if (this.decisionsDirty) {
      decisions = [...this.openDecisions.values()]
        .flatMap((m) => [...m.values()])
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      this.decisionsDirty = false;
      changed = true;
    }
    const summaries = order.map((name) => nodes.get(name)).filter((x): x is NodeSummary => x !== undefined);
    const health = fleetHealth(summaries, this.meter.sample(this.now()), this.spendBook.fleet(this.now()));
    const keepHealth = sameHealth(prev.health, health);
    const spend = this.spendBook.take(prev.spend);
    changed ||= spend !== prev.spend;
    if (!changed && keepHealth) return;
    this.state = {
      version: prev.version + 1,
      order,
      nodes,
      links,
      sessions,
      workers,
      sessionWorkers,
      decisions,
      health: keepHealth ? prev.health : health,
      spend,
    };
    this.batches.emit();
  }
}
