/**
 * The store's table of workers, per node: the reports it holds (every live worker, and ended ones up to a
 * cap per node, newest kept), and what the ones it let go had spent, so that a node's and a session's
 * tokens and cost stay whole. A worker counts once: a repeat, or an older report than the one held, changes
 * nothing; a worker dropped past the cap, or with its removed session, never comes back from a late report.
 */
import { isWorkerLive, type WorkerSummary } from '../protocol/messages.js';
import { spentOf, type Spent } from './counts.js';
import { countWorkers, sameWorker, sameWorkerCounts, workerOrder, type SessionWorkers } from './workers.js';

/** how many dropped workers are remembered as gone (a late report of one of those is not taken) */
const GONE_KEPT = 10_000;

const key = (node: string, id: string) => `${node}/${id}`;
const none = (): Spent => ({ tokens: 0, costUsd: 0 });
const add = (to: Spent, u: Spent) => {
  to.tokens += u.tokens;
  to.costUsd += u.costUsd;
};
const endedAt = (w: WorkerSummary) => w.endedAt ?? w.updatedAt;

/** What a report changed: nothing, or the tokens and cost it added (0 on first sight: that is history, not a rate). */
export type Change = null | Spent;

export class WorkerTable {
  private readonly nodes = new Map<string, Map<string, WorkerSummary>>();
  /** what workers let go had spent: by node, and by node/session */
  private readonly retiredByNode = new Map<string, Spent>();
  private readonly retiredBySession = new Map<string, Map<string, Spent>>();
  private readonly gone = new Set<string>();

  constructor(private readonly maxEnded: number) {}

  put(w: WorkerSummary): Change {
    if (this.gone.has(key(w.node, w.id))) return null;
    let table = this.nodes.get(w.node);
    const had = table?.get(w.id);
    if (had && had.updatedAt > w.updatedAt) return null; // an older report than the one held
    if (!had && !isWorkerLive(w) && this.olderThanKept(w)) return null;
    if (!table) this.nodes.set(w.node, (table = new Map()));
    table.set(w.id, w);
    if (had && sameWorker(had, w)) return null;
    if (!isWorkerLive(w)) this.capEnded(w.node);
    if (!had) return none();
    const was = spentOf(had.usage);
    const now = spentOf(w.usage);
    return { tokens: now.tokens - was.tokens, costUsd: now.costUsd - was.costUsd };
  }

  /** A removed session's workers go; what they spent stays counted in their node's. Whether any went. */
  removeSession(node: string, session: string): boolean {
    const table = this.nodes.get(node);
    let any = false;
    for (const w of table?.values() ?? []) {
      if (w.session !== session) continue;
      this.retire(w, false);
      any = true;
    }
    // its node's total has what its dropped workers spent already
    this.retiredBySession.get(node)?.delete(session);
    return any;
  }

  /** The node's workers, in order of first sight. */
  list(node: string): WorkerSummary[] {
    return [...(this.nodes.get(node)?.values() ?? [])];
  }

  /** What the node's workers that are no longer held had spent. */
  retired(node: string): Spent {
    return this.retiredByNode.get(node) ?? none();
  }

  /**
   * The node's workers by session, listed and counted; an entry that says what `prev`'s did is `prev`'s
   * own, so that a view of one session re-renders only when that session's workers change.
   */
  bySession(node: string, prev: ReadonlyMap<string, SessionWorkers> | undefined): ReadonlyMap<string, SessionWorkers> {
    const groups = new Map<string, WorkerSummary[]>();
    for (const w of this.nodes.get(node)?.values() ?? []) {
      let g = groups.get(w.session);
      if (!g) groups.set(w.session, (g = []));
      g.push(w);
    }
    // a session whose workers all went, having spent something, keeps its count
    const retired = this.retiredBySession.get(node);
    for (const s of retired?.keys() ?? []) if (!groups.has(s)) groups.set(s, []);
    const out = new Map<string, SessionWorkers>();
    for (const [session, list] of groups) {
      list.sort(workerOrder);
      const counts = countWorkers(list, retired?.get(session));
      const had = prev?.get(session);
      const same =
        had &&
        had.list.length === list.length &&
        had.list.every((w, i) => w === list[i]) &&
        sameWorkerCounts(had.counts, counts);
      out.set(session, same ? had : { list, counts });
    }
    return out;
  }

  /** an ended worker older than every ended one kept, when the node keeps its cap of them already */
  private olderThanKept(w: WorkerSummary): boolean {
    const ended = [...(this.nodes.get(w.node)?.values() ?? [])].filter((x) => !isWorkerLive(x));
    if (ended.length < this.maxEnded) return false;
    return ended.every((x) => endedAt(x) > endedAt(w));
  }

  private capEnded(node: string): void {
    const table = this.nodes.get(node)!;
    const ended = [...table.values()].filter((w) => !isWorkerLive(w));
    if (ended.length <= this.maxEnded) return;
    ended.sort((a, b) => endedAt(a).localeCompare(endedAt(b)) || a.id.localeCompare(b.id));
    for (const w of ended.slice(0, ended.length - this.maxEnded)) this.retire(w, true);
  }

  /** Lets a worker go, counting what it spent as its node's (and, while its session stays, its session's). */
  private retire(w: WorkerSummary, keepForSession: boolean): void {
    this.nodes.get(w.node)?.delete(w.id);
    const spent = spentOf(w.usage);
    const node = this.retiredByNode.get(w.node) ?? none();
    add(node, spent);
    this.retiredByNode.set(w.node, node);
    if (keepForSession) {
      let sessions = this.retiredBySession.get(w.node);
      if (!sessions) this.retiredBySession.set(w.node, (sessions = new Map()));
      const s = sessions.get(w.session) ?? none();
      add(s, spent);
      sessions.set(w.session, s);
    }
    this.gone.add(key(w.node, w.id));
    if (this.gone.size > GONE_KEPT) this.gone.delete(this.gone.values().next().value!);
  }
}
