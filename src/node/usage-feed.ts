/**
 * The spend ledger fed from the usage the session table and the dispatcher report: each rise of a session's or
 * a worker's usage is recorded as a turn (what it added since the last report). Sessions' transcripts are read
 * every `pollMs` while any session is live, so a budget hears of a turn within that time. A ledger fed from the
 * transcripts' lines as they are written replaces this.
 */
import { isLive, type NodeEvent, type Usage } from '../protocol/messages.js';
import type { Spend } from '../protocol/economics.js';
import type { SpendLedger } from '../budget/ledger.js';
import type { NodeManager } from './manager.js';

const DEFAULT_POLL_MS = 250;

const spendOf = (u: Usage): Spend => ({
  inputTokens: u.inputTokens,
  outputTokens: u.outputTokens,
  cacheCreationTokens: u.cacheCreationTokens,
  cacheReadTokens: u.cacheReadTokens,
  costUsd: u.costUsd,
});

function minus(a: Spend, b: Spend | undefined): Spend | null {
  const d: Spend = {
    inputTokens: a.inputTokens - (b?.inputTokens ?? 0),
    outputTokens: a.outputTokens - (b?.outputTokens ?? 0),
    cacheCreationTokens: a.cacheCreationTokens - (b?.cacheCreationTokens ?? 0),
    cacheReadTokens: a.cacheReadTokens - (b?.cacheReadTokens ?? 0),
    costUsd: Math.round((a.costUsd - (b?.costUsd ?? 0)) * 1e9) / 1e9,
  };
  const values = Object.values(d);
  // a figure that went down (a worker's estimate replaced by its own total) is not spend given back
  if (values.some((v) => v < 0) || values.every((v) => v === 0)) return null;
  return d;
}

export function feedLedgerFromUsage(
  manager: Pick<NodeManager, 'onEvent' | 'snapshot' | 'freshSnapshot'>,
  ledger: SpendLedger,
  pollMs = DEFAULT_POLL_MS,
): () => void {
  const last = new Map<string, Spend>();
  const vps = new Map<string, { vp: string | null; discipline: string; model: string }>();
  const heard = (e: NodeEvent) => {
    if (e.kind === 'session') {
      const s = e.session;
      vps.set(s.id, { vp: s.vp ?? null, discipline: s.discipline, model: s.model ?? 'default' });
      const now = spendOf(s.usage);
      const d = minus(now, last.get(s.id));
      if (!d) return;
      last.set(s.id, now);
      ledger.record({
        at: new Date().toISOString(),
        session: s.id,
        worker: null,
        vp: s.vp ?? null,
        discipline: s.discipline,
        model: s.model ?? 'default',
        spend: d,
      });
    } else if (e.kind === 'worker') {
      const w = e.worker;
      const now = spendOf(w.usage);
      const d = minus(now, last.get(w.id));
      if (!d) return;
      last.set(w.id, now);
      const of = vps.get(w.session);
      ledger.record({
        at: new Date().toISOString(),
        session: w.session,
        worker: w.id,
        vp: of?.vp ?? null,
        discipline: w.discipline,
        model: w.model,
        spend: d,
      });
    }
  };
  let reading = false;
  let again = false;
  const read = () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    void manager.freshSnapshot().finally(() => {
      reading = false;
      if (again) {
        again = false;
        read();
      }
    });
  };
  for (const s of manager.snapshot().sessions) heard({ kind: 'session', session: s });
  const off = manager.onEvent((e) => {
    heard(e);
    // a session that moved on (a hook told of a tool about to run, a turn ended) has a turn in its transcript
    if (e.kind === 'session' && isLive(e.session)) read();
  });
  const timer = setInterval(() => {
    if (manager.snapshot().sessions.some((s) => isLive(s))) read();
  }, pollMs);
  timer.unref();
  return () => {
    off();
    clearInterval(timer);
  };
}
