/**
 * The fleet's and the VPs' daily budgets span nodes: while a cockpit runs, it tells each node what the rest of the
 * fleet spent today (`budget-sync`), from the spend each node reports (its snapshot, then `spend` events), at
 * most every two seconds per node and only when it changed. A node adds it to its own; with no cockpit
 * connected, a node enforces on what it last heard plus its own spend.
 */
import type { NodeSpend, SpendElsewhere } from '../protocol/economics.js';
import type { Connection } from '../protocol/connection.js';
import type { NodeLink } from './link.js';

export const RELAY_MS = 2000;

type Sums = { usd: number; tokens: number };
const tokensOf = (s: NodeSpend['today']) => s.inputTokens + s.outputTokens + s.cacheCreationTokens + s.cacheReadTokens;

/** What the nodes other than `node` spent on `day`: in all, and each node's (the node keeps each one's highest). */
export function elsewhere(spends: ReadonlyMap<string, NodeSpend>, node: string, day: string): SpendElsewhere {
  const fleet: Sums = { usd: 0, tokens: 0 };
  const vps: Record<string, Sums> = {};
  const nodes: NonNullable<SpendElsewhere['nodes']> = {};
  for (const [name, s] of spends) {
    if (name === node || s.day !== day) continue;
    const mine = (nodes[name] = { usd: s.today.costUsd, tokens: tokensOf(s.today), vps: {} as Record<string, Sums> });
    fleet.usd += mine.usd;
    fleet.tokens += mine.tokens;
    for (const [vp, v] of Object.entries(s.vps)) {
      mine.vps[vp] = { usd: v.costUsd, tokens: tokensOf(v) };
      const sum = (vps[vp] ??= { usd: 0, tokens: 0 });
      sum.usd += v.costUsd;
      sum.tokens += tokensOf(v);
    }
  }
  return { day, fleet, vps, nodes };
}

export class SpendRelay {
  private readonly spends = new Map<string, NodeSpend>();
  private readonly sent = new Map<string, string>();
  private readonly due = new Map<string, NodeJS.Timeout>();
  private readonly lastAt = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly links: readonly NodeLink[],
    private readonly everyMs = RELAY_MS,
  ) {
    for (const l of links) {
      const on = (c: Connection) => {
        // a new connection is a node that may have restarted: what it last heard is sent again
        this.sent.delete(l.name);
        if (!this.closed && [...this.spends.keys()].some((n) => n !== l.name)) this.schedule(l);
        c.onEvent((e) => {
          if (e.kind === 'spend') this.heard(l.name, e.spend);
        });
        c.request('status', {}).then(
          (s) => s.spend && this.heard(l.name, s.spend),
          () => undefined,
        );
      };
      l.onConnection(on);
      const c = l.connection();
      if (c) on(c);
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.due.values()) clearTimeout(t);
    this.due.clear();
  }

  private heard(node: string, spend: NodeSpend): void {
    if (this.closed || !spend || typeof spend.day !== 'string') return;
    this.spends.set(node, spend);
    // the others' figures changed: each of them is told (one's own spend is not news to it)
    for (const l of this.links) if (l.name !== node) this.schedule(l);
  }

  private schedule(l: NodeLink): void {
    if (this.due.has(l.name)) return;
    const wait = Math.max(0, (this.lastAt.get(l.name) ?? 0) + this.everyMs - Date.now());
    this.due.set(
      l.name,
      setTimeout(() => {
        this.due.delete(l.name);
        this.send(l);
      }, wait),
    );
  }

  private send(l: NodeLink): void {
    const c = l.connection();
    if (!c || this.closed) return;
    const day = new Date().toISOString().slice(0, 10);
    const e = elsewhere(this.spends, l.name, day);
    const text = JSON.stringify(e);
    if (this.sent.get(l.name) === text) return;
    this.sent.set(l.name, text);
    this.lastAt.set(l.name, Date.now());
    c.request('budget-sync', e)
      .catch((err: Error & { code?: string }) => {
        // an agent from before per-node figures refuses them: it is told the totals alone
        if (err.code !== 'bad-request') throw err;
        const { nodes: _nodes, ...totals } = e;
        return c.request('budget-sync', totals);
      })
      .catch(() => this.sent.delete(l.name));
  }
}
