/**
 * Tells the node's watchers what it spent (`{kind:'spend'}`): when a turn is recorded, at most once a second,
 * the first at once and those that follow within the second together, at its end. While the last hour's figure
 * is not zero it is told again every REFRESH_MS with no turn, so that a watcher's "last hour" falls as the hour
 * moves on (the cockpit counts it only while it is that fresh).
 */
import type { SpendLedger } from '../budget/ledger.js';
import type { NodeSpend } from '../protocol/economics.js';
import type { NodeEvent } from '../protocol/messages.js';

/** How often the spend is told again while the last hour's figure is not zero. */
export const SPEND_REFRESH_MS = 60_000;

export function relaySpend(o: {
  node: string;
  ledger: Pick<SpendLedger, 'onTurn'>;
  spend: () => NodeSpend;
  emit: (e: NodeEvent) => void;
  intervalMs?: number;
  refreshMs?: number;
}): () => void {
  const interval = o.intervalMs ?? 1000;
  const refresh = o.refreshMs ?? SPEND_REFRESH_MS;
  let last = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  let again: NodeJS.Timeout | null = null;
  const send = () => {
    timer = null;
    if (again) clearTimeout(again);
    again = null;
    last = Date.now();
    const spend = o.spend();
    o.emit({ kind: 'spend', node: o.node, spend });
    const hour = spend.lastHour;
    if (hour && (hour.costUsd > 0 || hour.tokens > 0)) {
      again = setTimeout(send, refresh);
      again.unref();
    }
  };
  const off = o.ledger.onTurn(() => {
    if (timer) return;
    const wait = last + interval - Date.now();
    if (wait <= 0) send();
    else {
      timer = setTimeout(send, wait);
      timer.unref();
    }
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
    if (again) clearTimeout(again);
  };
}
