/**
 * What is worth telling, from the cockpit's events: a decision opened (and withdrawn again once answered), a
 * budget that warned, ran out or refused a start, a session that failed, a node lost (and back, once its loss
 * was told). Everything else (summaries that changed numbers, workers, a node connecting) needs no one.
 */
import type { CockpitEvent, FleetSnapshot } from '../cockpit/client.js';
import type { LinkState, SessionState } from '../cockpit/types.js';
import { budgetNotice, decisionKey, decisionNotice, failedNotice, nodeNotice, type Notice } from './notice.js';

/** Where notices go: the coalescer. */
export interface NoticeSink {
  offer(n: Notice): void;
  withdraw(key: string): void;
  wasTold(key: string): boolean;
}

export interface WorthOptions {
  /** tell the decisions already open at the start (a watcher that just started), or not (a cockpit that shows them) */
  tellOpen?: boolean;
  /** when watching began (ms): a session first seen failed is told only if it failed after this (less a minute) */
  since?: number;
}

/** How many sessions' last states are remembered (the oldest are forgotten first). */
const SESSIONS_KEPT = 20_000;
/** A node's clock may differ from ours: failures this much older than the start still count as new. */
const SKEW_MS = 60_000;

const LOST: readonly LinkState[] = ['down', 'refused', 'no-agent', 'incompatible'];

export class WorthTelling {
  private readonly sessions = new Map<string, SessionState>();
  /** each node's last settled link state (connecting is a passage, not a state to compare with) */
  private readonly links = new Map<string, LinkState>();
  /** each node's count of losses, so that each loss and its return is a notice of its own */
  private readonly losses = new Map<string, number>();
  /** decisions open at the start and not to be told (a replay of them is no news) */
  private readonly known = new Set<string>();
  private readonly since: number;

  constructor(
    private readonly sink: NoticeSink,
    private readonly o: WorthOptions = {},
  ) {
    this.since = o.since ?? Date.now();
  }

  /** What is there when watching begins: remembered, and told only as `tellOpen` says. */
  prime(snap: FleetSnapshot): void {
    for (const n of snap.nodes) if (n.state !== 'connecting') this.links.set(n.name, n.state);
    for (const s of snap.sessions) this.rememberSession(s.node, s.id, s.state);
    for (const d of snap.decisions) {
      if (d.state !== 'open') continue;
      if (this.o.tellOpen) this.sink.offer(decisionNotice(d));
      else this.known.add(decisionKey(d.node, d.id));
    }
  }

  take(e: CockpitEvent): void {
    switch (e.kind) {
      case 'decision': {
        const d = e.decision;
        const key = decisionKey(d.node, d.id);
        if (d.state !== 'open') this.sink.withdraw(key);
        else if (!this.known.has(key)) this.sink.offer(decisionNotice(d));
        return;
      }
      case 'session': {
        const s = e.session;
        const had = this.sessions.get(`${s.node}/${s.id}`);
        this.rememberSession(s.node, s.id, s.state);
        if (s.state !== 'failed' || had === 'failed') return;
        const at = Date.parse(s.endedAt ?? s.updatedAt);
        if (had !== undefined || !(at < this.since - SKEW_MS)) this.sink.offer(failedNotice(s));
        return;
      }
      case 'budget': {
        const n = budgetNotice(e.node, e.notice);
        if (n) this.sink.offer(n);
        return;
      }
      case 'node': {
        const { name, state, error } = e.node;
        if (state === 'connecting') return;
        const had = this.links.get(name);
        this.links.set(name, state);
        const k = this.losses.get(name) ?? 0;
        const lostKey = `n:${name}#${k}`;
        if (had === 'up' && LOST.includes(state)) {
          this.sink.offer(nodeNotice(name, lostKey, true, error));
        } else if (state === 'up' && had !== undefined && LOST.includes(had)) {
          // back: told only when its loss was; a loss not yet told is dropped
          if (this.sink.wasTold(lostKey)) this.sink.offer(nodeNotice(name, `${lostKey}:back`, false, null));
          else this.sink.withdraw(lostKey);
          this.losses.set(name, k + 1);
        }
        return;
      }
      default:
        return;
    }
  }

  private rememberSession(node: string, id: string, state: SessionState): void {
    const key = `${node}/${id}`;
    this.sessions.delete(key);
    this.sessions.set(key, state);
    if (this.sessions.size > SESSIONS_KEPT) this.sessions.delete(this.sessions.keys().next().value!);
  }
}
