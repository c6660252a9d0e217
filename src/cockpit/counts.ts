/** Counting what the nodes report: items by a key of theirs, and the tokens of a usage. One home for both rules. */
import type { Usage } from '../protocol/messages.js';

export type CountBy<K extends string> = Readonly<Record<K, number>>;

export function usageTokens(u: Usage): number {
  return u.inputTokens + u.outputTokens + u.cacheCreationTokens + u.cacheReadTokens;
}

/** How many of `items` are in each state; every key is there, with 0 for none. */
export function countBy<K extends string>(keys: readonly K[], items: Iterable<{ state: K }>): CountBy<K> {
  const out = zeros(keys);
  for (const i of items) out[i.state] = (out[i.state] ?? 0) + 1;
  return out;
}

export function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/** Tokens and dollars spent: what a session's, a worker's or a node's usage adds up to. */
export interface Spent {
  tokens: number;
  costUsd: number;
}

export const spentOf = (u: Usage): Spent => ({ tokens: usageTokens(u), costUsd: u.costUsd });
