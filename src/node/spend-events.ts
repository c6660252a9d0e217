/**
 * Tells the node's watchers what it spent (`{kind:'spend'}`): when a turn is recorded, at most once a second,
 * the first at once and those that follow within the second together, at its end.
 */
import type { SpendLedger } from '../budget/ledger.js';
import type { NodeSpend } from '../protocol/economics.js';
import type { NodeEvent } from '../protocol/messages.js';

export function relaySpend(o: {
  node: string;
  ledger: Pick<SpendLedger, 'onTurn'>;
  spend: () => NodeSpend;
  emit: (e: NodeEvent) => void;
  intervalMs?: number;
}): () => void {
  const interval = o.intervalMs ?? 1000;
  let last = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  const send = () => {
    timer = null;
    last = Date.now();
    o.emit({ kind: 'spend', node: o.node, spend: o.spend() });
  };
  const off = o.ledger.onTurn(() => {
    if (timer) return;
    const wait = last + interval - Date.now();
    if (wait <= 0) send();
    else timer = setTimeout(send, wait);
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}
