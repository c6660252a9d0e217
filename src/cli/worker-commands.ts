/** `agency workers <session>`: a session's workers, from the node it is on, as a table or as JSON. */
import type { SessionWorkersResult } from '../cockpit/client.js';
import { age, dollars, tokens } from '../cockpit/format.js';
import { countWorkers, liveModelsText, statesText, workerDoing, workerOrder } from '../cockpit/workers.js';
import { usageTokens } from '../cockpit/counts.js';
import type { WorkerSummary } from '../protocol/messages.js';
import { safeLine } from '../terminal/index.js';
import { EXIT, printJson, say, UserError } from './output.js';
import { nodesOf, withCockpit } from './with-cockpit.js';

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

export const WORKERS_HEADER = `${'WORKER'.padEnd(16)} ${'STATE'.padEnd(8)} ${'MODEL'.padEnd(6)} ${'TRIES'.padStart(5)} ${'TOKENS'.padStart(7)} ${'COST'.padStart(8)} ${'AGE'.padStart(4)}  TASK — DOING NOW`;

/** One worker as a line of the table; everything the node sent is made safe. */
export function workerLine(w: WorkerSummary, now = Date.now()): string {
  return [
    cut(safeLine(w.name), 16),
    cut(w.state, 8),
    cut(safeLine(w.model), 6),
    String(w.attempts).padStart(5),
    tokens(usageTokens(w.usage)).padStart(7),
    dollars(w.usage.costUsd).padStart(8),
    age(w.createdAt, now).padStart(4),
    ` ${safeLine(w.task)}${workerDoing(w) ? ` — ${safeLine(workerDoing(w))}` : ''}`,
  ].join(' ');
}

/** The table: a line about the session's workers, then one line a worker, running first (see workerOrder). */
export function workersText(r: SessionWorkersResult, now = Date.now()): string {
  const where = `${safeLine(r.session ?? '')} on ${safeLine(r.node)}`;
  if (r.workers.length === 0)
    return `${where} has no workers: a session starts them itself, with its agency tools (spawn_workers)`;
  const c = countWorkers(r.workers);
  const models = liveModelsText(c);
  const lines = [
    `${where}: ${r.workers.length} worker${r.workers.length === 1 ? '' : 's'} (${statesText(c)})${models ? `; not ended: ${models}` : ''}; ${tokens(c.tokens)} tokens, ${dollars(c.costUsd)}`,
    WORKERS_HEADER,
    ...[...r.workers].sort(workerOrder).map((w) => workerLine(w, now)),
  ];
  return lines.join('\n');
}

export async function workers(session: string, o: { json?: boolean }): Promise<void> {
  const r = await withCockpit(nodesOf(session), async (c) => {
    let found;
    try {
      found = await c.findSession(session);
    } catch (e) {
      // a session that is on no reachable node, or on several (say which): the name given is what is wrong
      throw new UserError((e as Error).message, EXIT.usage);
    }
    return c.workers(found);
  });
  if (o.json) printJson({ session: r.session, node: r.node, workers: [...r.workers].sort(workerOrder) });
  else say(workersText(r));
}
