/**
 * The fleet's recorded spend (`agency cost`): each node's answer to `cost`, checked, merged per key. A node
 * that cannot be reached, or answers something that is not a cost, is named with why; the rest still count.
 */
import { z } from 'zod';
import { addSpend, noSpend, type CostBy, type CostResult, type CostRow } from '../protocol/economics.js';
import type { Cockpit } from './client.js';

const count = z.number().finite().nonnegative();
/** a key longer than this is cut (a node bounds its keys; one that does not loses no figures for it) */
const MAX_KEY = 200;
const rowSchema = z.object({
  key: z
    .string()
    .max(1_000_000)
    .transform((k) => (k.length > MAX_KEY ? `${k.slice(0, MAX_KEY - 1)}…` : k)),
  turns: count,
  inputTokens: count,
  outputTokens: count,
  cacheCreationTokens: count,
  cacheReadTokens: count,
  costUsd: count,
});
const resultSchema = z.object({ rows: z.array(rowSchema).max(1_000_000) });

export interface FleetCost extends CostResult {
  /** the nodes whose figures are in it */
  nodes: string[];
  /** the nodes that are not, and why */
  unreachable: { node: string; reason: string }[];
}

const emptyRow = (key: string): CostRow => ({ key, turns: 0, ...noSpend() });

function addRow(to: CostRow, r: CostRow): void {
  to.turns += r.turns;
  addSpend(to, r);
}

/** A node's answer to `cost`: its rows, or null when it is not a cost. */
export function readCostRows(x: unknown): CostRow[] | null {
  const r = resultSchema.safeParse(x);
  return r.success ? r.data.rows : null;
}

/** Nodes' answers merged: one row per key (per node when grouped by node), the most spent first, and a total. */
export function mergeCost(
  by: CostBy,
  since: string | null,
  parts: { node: string; rows: CostRow[] }[],
): Pick<CostResult, 'by' | 'since' | 'rows' | 'total'> {
  const rows = new Map<string, CostRow>();
  const total = emptyRow('total');
  for (const p of parts)
    for (const r of p.rows) {
      // by node, a node's row is named as the operator's config names the node, whatever it calls itself
      const key = by === 'node' ? p.node : r.key;
      let m = rows.get(key);
      if (!m) rows.set(key, (m = emptyRow(key)));
      addRow(m, r);
      addRow(total, r);
    }
  const sorted = [...rows.values()].sort((a, b) => b.costUsd - a.costUsd || a.key.localeCompare(b.key));
  return { by, since, rows: sorted, total };
}

/** Asks every node of the cockpit for its spend from `since` on, grouped by `by`. */
export async function fleetCost(c: Cockpit, by: CostBy, since: Date | null): Promise<FleetCost> {
  const args = since === null ? { by } : { by, since: since.toISOString() };
  const answers = await Promise.all(
    c.links.map(async (l) => {
      const conn = l.connection();
      if (!conn) {
        const s = l.status();
        return { node: l.name, reason: `${s.state}${s.error ? `: ${s.error}` : ''}` };
      }
      try {
        const rows = readCostRows(await conn.request('cost', args));
        if (!rows) return { node: l.name, reason: 'its answer is not a cost (an older or broken agent?)' };
        return { node: l.name, rows };
      } catch (e) {
        return { node: l.name, reason: (e as Error).message };
      }
    }),
  );
  const parts = answers.filter((a): a is { node: string; rows: CostRow[] } => 'rows' in a);
  return {
    ...mergeCost(by, since === null ? null : since.toISOString(), parts),
    nodes: parts.map((p) => p.node),
    unreachable: answers.filter((a): a is { node: string; reason: string } => 'reason' in a),
  };
}
