/**
 * Budgets with a hard stop, against the real Claude Code CLI and the scripted API (which reports known usage per
 * call): a session over its budget is paused, not killed, within a second of the turn that crossed it and before
 * it asks for another (its spend is at most the budget and one turn), with a budget decision open; extended, it
 * finishes; denied, it stops; a restart keeps it paused with its decision. A fleet budget from the operator's
 * config reaches the node and refuses new runs while spent.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/protocol/connection.js';
import type { NodeEvent, SessionSummary } from '../../src/protocol/messages.js';
import { costUsd, priceFor } from '../../src/session/cost/index.js';
import type { RecordedRequest, Step } from '../fixtures/messages-api.js';
import { deferAfterEach } from '../helpers/defer.js';
import { testNode, type TestNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();
const MODEL = 'opus';
/** touches before the last answer: enough that $0.02 is crossed well before the end */
const STEPS = 16;
const BUDGET = 0.02;
// each answer takes as long as a quick real one: a turn is not over before the node could hear of the last
const DELAY_MS = 400;

async function node(steps: Step[], env: NodeJS.ProcessEnv = {}): Promise<TestNode> {
  const n = await testNode({ steps, delayMs: DELAY_MS }, { env });
  defer(() => n.cleanup());
  return n;
}

/**
 * Calls of a tool that Claude Code answers in-process in a few milliseconds, with no hook of the guard's: it asks
 * for the next turn sooner than it writes the last one's line to the transcript, so only the turn gate stops it.
 */
const quick = (n: number): Step[] => [
  ...Array.from({ length: n }, () => ({ tool: 'TaskList', input: {} })),
  { text: 'listed' },
];

const touches = (n: number): Step[] => [
  ...Array.from({ length: n }, (_, i) => ({ tool: 'Bash', input: { command: `touch f${i}`, description: 'touch' } })),
  { text: 'all touched' },
];

/** What a call the scripted API answered cost, priced as agency prices it. */
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

const answeredMain = (n: TestNode) => n.api.requests.filter((r) => r.kind === 'main' && r.answered);

async function watchNode(n: TestNode): Promise<{ events: { at: number; e: NodeEvent }[] }> {
  const socket = connect(join(n.agencyHome, 'run', 'node.sock'));
  defer(() => socket.destroy());
  const conn = new Connection(socket, { role: 'cockpit', agent: 'test' });
  await conn.ready;
  const seen = { events: [] as { at: number; e: NodeEvent }[] };
  conn.onEvent((e) => seen.events.push({ at: Date.now(), e }));
  await conn.request('watch', {});
  return seen;
}

async function status(
  n: TestNode,
): Promise<{ sessions: SessionSummary[]; decisions: { id: string; source: string; state: string; input: unknown }[] }> {
  return JSON.parse((await n.agency(['status', '--json'])).stdout);
}

const procState = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return 'gone';
  }
};

describe('a session over its budget', () => {
  it(
    'is paused within a second of the turn that crossed $0.02, before it asks for another; extended, it finishes',
    { timeout: 180_000 },
    async () => {
      const n = await node(quick(STEPS));
      const run = await n.agency([
        'run',
        'list tasks',
        '--discipline',
        'backend',
        '--model',
        MODEL,
        '--budget',
        '$0.02',
        '--json',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const { session, budget } = JSON.parse(run.stdout);
      expect(budget).toEqual({ limit: { usd: BUDGET }, spent: 0, warned: false });
      // the session is already running: events from here on
      const watched = await watchNode(n);
      const pausedEvent = () =>
        watched.events.find(
          (x) =>
            x.e.kind === 'session' &&
            x.e.session.id === session &&
            x.e.session.state === 'paused' &&
            x.e.session.held === 'budget',
        );
      await until(
        'the session to be paused by its budget',
        () => !!pausedEvent(),
        90_000,
        () => JSON.stringify(watched.events.slice(-3)),
      );
      const pausedAt = pausedEvent()!.at;

      // the turn that crossed the budget: the first answer that took the session's spend to $0.02
      let sum = 0;
      const main = answeredMain(n);
      const crossing = main.find((r) => (sum += cost(r)) >= BUDGET);
      expect(crossing, 'a turn crossed the budget').toBeTruthy();
      // there was work left when it crossed: what follows is done only once the budget is extended
      expect(main.indexOf(crossing!)).toBeLessThan(STEPS - 2);
      expect(pausedAt - crossing!.answered!.at).toBeLessThan(1000);

      // paused, not killed: its claude is there, stopped
      const s = await status(n);
      const me = s.sessions.find((x) => x.id === session)!;
      expect(me).toMatchObject({ state: 'paused', held: 'budget' });
      expect(me.reason).toMatch(/budget: session s-\w+'s budget of \$0\.02 is spent \(\$0\.02\d*\)/);
      expect(me.budget!.spent).toBeGreaterThanOrEqual(BUDGET);
      const pid = Number(readFileSync(join(n.agencyHome, 'run', 'node.pid'), 'utf8'));
      const claude = (await import('../../src/session/process-tree.js')).processTree(pid).slice(1);
      expect(claude.length).toBeGreaterThan(0);
      for (const p of claude) expect(['T', 'gone']).toContain(procState(p));

      // no turn is asked for after the one that crossed it: its spend is at most the budget and that one turn
      const asked = () => n.api.requests.filter((r) => r.kind === 'main');
      const turnsAsked = (after: number) =>
        asked()
          .filter((r) => r.at > after)
          .map((r) => `turn ${r.turns} at ${r.at}`);
      expect(turnsAsked(crossing!.answered!.at)).toEqual([]);
      const spentPaused = answeredMain(n).reduce((t, r) => t + cost(r), 0);
      const oneTurn = Math.max(...answeredMain(n).map(cost));
      expect(spentPaused).toBeLessThanOrEqual(BUDGET + oneTurn);
      expect(me.budget!.spent).toBeCloseTo(spentPaused, 5);

      const d = s.decisions.find((x) => x.source === 'budget' && x.state === 'open')!;
      expect(d.input).toMatchObject({
        scope: 'session',
        subject: session,
        limit: { usd: BUDGET },
        presets: [{ usd: 0.01 }, { usd: 0.02 }],
      });
      const listed = await n.agency(['decisions']);
      expect(listed.stdout).toMatch(
        new RegExp(`${d.id} .*budget: session ${session}'s budget: \\$0\\.02\\d* spent of \\$0\\.02`),
      );

      // an operator's resume while the budget is spent points at the decision
      const resumed = await n.agency(['resume', session]);
      expect(resumed.code).not.toBe(0);
      expect(resumed.stderr).toContain(`approve decision ${d.id}`);
      // an amount for another kind of decision, or a bad one, is refused before anything is sent
      const bad = await n.agency(['approve', d.id, '--amount', 'lots']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--amount: "lots" is not an amount/);
      const wrongUnit = await n.agency(['approve', d.id, '--amount', '200k']);
      expect(wrongUnit.code).toBe(2);
      expect(wrongUnit.stderr).toMatch(/this budget is in dollars/);
      expect(turnsAsked(crossing!.answered!.at)).toEqual([]);

      const ok = await n.agency(['approve', d.id, '--amount', '$0.05']);
      expect(ok.code, ok.stderr).toBe(0);
      const done = await n.agency(['wait', session, '--timeout', '90'], { timeoutMs: 100_000 });
      expect(done.code, done.stdout + done.stderr).toBe(0);
      const end = (await status(n)).sessions.find((x) => x.id === session)!;
      expect(end.held ?? null).toBeNull();
      expect(end.budget!.limit).toEqual({ usd: 0.07 });
      expect(watched.events.some((x) => x.e.kind === 'budget' && x.e.notice.state === 'extended')).toBe(true);
      expect(answeredMain(n).length).toBe(STEPS + 1);
    },
  );

  it('denied, it stops; a restart keeps it paused with its decision', { timeout: 180_000 }, async () => {
    const n = await node(touches(STEPS));
    const a = JSON.parse(
      (
        await n.agency([
          'run',
          'touch files',
          '--discipline',
          'backend',
          '--model',
          MODEL,
          '--budget',
          '$0.02',
          '--json',
        ])
      ).stdout,
    ).session as string;
    const held = async () => (await status(n)).sessions.find((x) => x.id === a)?.held === 'budget';
    await until('the session to be paused by its budget', held, 90_000);
    const d1 = (await status(n)).decisions.find((x) => x.source === 'budget' && x.state === 'open')!;

    // the node restarts: the session comes back paused, its decision still open and answerable
    expect((await n.agency(['node', 'stop'])).code).toBe(0);
    const back = await status(n);
    expect(back.sessions.find((x) => x.id === a)).toMatchObject({ state: 'paused', held: 'budget' });
    expect(back.decisions.find((x) => x.id === d1.id)?.state).toBe('open');
    // a turn asked for before the pause is answered all the same; none is asked after it
    await until('the turn in flight to be answered', () =>
      n.api.requests.filter((r) => r.kind === 'main').every((r) => r.answered),
    );
    const answered = answeredMain(n).length;

    const denied = await n.agency(['deny', d1.id]);
    expect(denied.code, denied.stderr).toBe(0);
    await until(
      'the session to stop',
      async () => (await status(n)).sessions.find((x) => x.id === a)?.state === 'exited',
      30_000,
    );
    expect(answeredMain(n).length).toBe(answered);
  });
});

describe('the fleet’s daily budget from the config', () => {
  it(
    'reaches the node, pauses its sessions when spent, and refuses new runs naming the decision',
    { timeout: 180_000 },
    async () => {
      const n = await node(touches(STEPS));
      const config = join(n.home.home, 'agency-config.json');
      writeFileSync(config, JSON.stringify({ budgets: { fleetDaily: { usd: 0.015 }, presets: [{ usd: 1 }] } }));
      n.env.AGENCY_CONFIG = config;
      const run = await n.agency(['run', 'touch files', '--discipline', 'backend', '--model', MODEL, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout);
      await until(
        'the session to be paused by the fleet budget',
        async () => (await status(n)).sessions[0]?.held === 'budget',
        90_000,
      );
      const s = await status(n);
      const d = s.decisions.find((x) => x.source === 'budget' && x.state === 'open')!;
      expect(d.input).toMatchObject({ scope: 'fleet', subject: 'fleet', limit: { usd: 0.015 }, presets: [{ usd: 1 }] });
      expect(s.sessions[0]!.reason).toMatch(/the fleet's daily budget of \$0\.015 is spent/);

      const refused = await n.agency(['run', 'another', '--discipline', 'backend']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /not started: the fleet's daily budget of \$0\.015 is spent \(\$0\.0\d+ on \d{4}-\d\d-\d\d\)/,
      );
      expect(refused.stderr).toContain(`agency approve ${d.id} --amount $1`);

      // approved with its preset: the session goes on and finishes
      expect((await n.agency(['approve', d.id])).code).toBe(0);
      const done = await n.agency(['wait', session, '--timeout', '90'], { timeoutMs: 100_000 });
      expect(done.code, done.stdout + done.stderr).toBe(0);
    },
  );
});
