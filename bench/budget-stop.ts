/**
 * Budget stop latency: from the scripted API answering the turn that takes a session past its $0.02 budget to the
 * node telling its watchers the session is paused. Baseline, in the same runs: from the same answer to the node
 * telling its watchers of that turn's spend at all (the first session summary or spend report that includes it).
 * A ratio under 1 means the stop reaches the operator before the figures do. Also told: the turns the session
 * asked for after the one that crossed its budget (its overrun), in all rounds, with touches (Bash, sandboxed and
 * guarded) and with quick calls (TaskList, answered in-process, sooner than the last turn's line is written).
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { Connection } from '../src/protocol/connection.js';
import type { NodeEvent } from '../src/protocol/messages.js';
import { costUsd, priceFor } from '../src/session/cost/index.js';
import type { RecordedRequest } from '../test/fixtures/messages-api.js';
import { testNode } from '../test/helpers/node.js';
import { percentile, report } from './stats.js';

const BUDGET = 0.02;

function cost(r: RecordedRequest): number {
  const u = r.answered!.usage;
  return costUsd(priceFor(r.answered!.model)!, {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    cacheCreationTokens: u.cache_creation_input_tokens,
    cacheReadTokens: u.cache_read_input_tokens,
    cacheCreation1hTokens: 0,
    webSearchRequests: 0,
  });
}

async function once(quick: boolean): Promise<{ stop: number; heard: number; over: number }> {
  const steps = [
    ...Array.from({ length: 16 }, (_, i) =>
      quick
        ? { tool: 'TaskList', input: {} }
        : { tool: 'Bash', input: { command: `touch f${i}`, description: 'touch' } },
    ),
    { text: 'done' },
  ];
  const n = await testNode({ steps, delayMs: 400 });
  const events: { at: number; e: NodeEvent }[] = [];
  let socket: ReturnType<typeof connect> | null = null;
  try {
    const run = await n.agency([
      'run',
      'touch',
      '--discipline',
      'backend',
      '--model',
      'opus',
      '--budget',
      '$0.02',
      '--json',
    ]);
    if (run.code !== 0) throw new Error(`run failed: ${run.stderr}`);
    const { session } = JSON.parse(run.stdout) as { session: string };
    socket = connect(join(n.agencyHome, 'run', 'node.sock'));
    const conn = new Connection(socket, { role: 'cockpit', agent: 'bench' });
    await conn.ready;
    conn.onEvent((e) => events.push({ at: Date.now(), e }));
    await conn.request('watch', {});
    const paused = () =>
      events.find((x) => x.e.kind === 'session' && x.e.session.id === session && x.e.session.held === 'budget');
    const end = Date.now() + 120_000;
    while (!paused()) {
      if (Date.now() > end) throw new Error('the session was not paused by its budget');
      await new Promise((r) => setTimeout(r, 20));
    }
    let sum = 0;
    const crossing = n.api.requests
      .filter((r) => r.kind === 'main' && r.answered)
      .find((r) => (sum += cost(r)) >= BUDGET);
    if (!crossing) throw new Error('no turn crossed the budget');
    // the same turn noticed by the session table: the first summary (or spend report) whose spend includes it
    const carries = (x: { at: number; e: NodeEvent }) =>
      x.at >= crossing.answered!.at &&
      ((x.e.kind === 'spend' && x.e.spend.today.costUsd >= sum - 1e-6) ||
        (x.e.kind === 'session' && x.e.session.id === session && x.e.session.usage.costUsd >= sum - 1e-6));
    const until = Date.now() + 15_000;
    while (!events.some(carries)) {
      if (Date.now() > until) throw new Error('no event told of the crossing turn');
      await new Promise((r) => setTimeout(r, 20));
    }
    const heard = events.find(carries)!;
    const over = n.api.requests.filter((r) => r.kind === 'main' && r.at > crossing.answered!.at).length;
    return { stop: paused()!.at - crossing.answered!.at, heard: heard.at - crossing.answered!.at, over };
  } finally {
    socket?.destroy();
    await n.cleanup();
  }
}

export async function benchBudgetStop(rounds = 5): Promise<void> {
  const stops: number[] = [];
  const heard: number[] = [];
  let over = 0;
  for (let i = 0; i < rounds; i++) {
    const r = await once(false);
    stops.push(r.stop);
    heard.push(r.heard);
    over += r.over;
  }
  let quickOver = 0;
  for (let i = 0; i < rounds; i++) quickOver += (await once(true)).over;
  console.log(
    `budget stop: turns asked after the crossing one in ${rounds} rounds: ${over} (touches), ${quickOver} (quick calls)`,
  );
  for (const p of [50, 99])
    report(
      `budget stop: crossing line to paused, p${p}`,
      percentile(stops, p),
      'ms',
      percentile(heard, p),
      'line noticed',
    );
}
