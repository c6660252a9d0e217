/**
 * What is told, and how often, on a clock the test moves: one notice per decision, after a short wait, and
 * never again; none for a decision answered before its round; a burst as one summary naming the nodes; budget
 * warnings, stops and refusals, failures and lost nodes named by node, session and why; nothing else.
 */
import { describe, expect, it } from 'vitest';
import type { CockpitEvent, FleetSnapshot } from '../../src/cockpit/client.js';
import type { Notice } from '../../src/notify/notice.js';
import { Notifier } from '../../src/notify/notifier.js';
import type { BudgetNotice } from '../../src/protocol/economics.js';
import { at, decision, decisionEvent, link, nodeEvent, session, sessionEvent } from '../cockpit/fixtures.js';
import { FakeClock } from './fake-clock.js';

const SINCE = Date.parse(at(0));

function setup(o: { away?: boolean; tellOpen?: boolean; bell?: boolean } = {}) {
  const clock = new FakeClock();
  const told: Notice[] = [];
  const os: [string, string][] = [];
  const commands: Notice[] = [];
  let bells = 0;
  let away = o.away ?? true;
  const n = new Notifier({
    clock,
    since: SINCE,
    tellOpen: o.tellOpen ?? false,
    channels: {
      bell: () => {
        if (o.bell === false) return false;
        bells++;
        return true;
      },
      away: () => away,
      os: { send: (title, text) => os.push([title, text]) },
      command: { run: (x) => commands.push(x) },
      told: (x) => told.push(x),
    },
  });
  return {
    n,
    clock,
    told,
    os,
    commands,
    bells: () => bells,
    setAway: (v: boolean) => (away = v),
    take: (...es: CockpitEvent[]) => es.forEach((e) => n.take(e)),
  };
}

const budget = (node: string, b: Partial<BudgetNotice>): CockpitEvent => ({
  kind: 'budget',
  node,
  notice: {
    scope: 'session',
    subject: 's-1',
    state: 'warned',
    limit: { usd: 1 },
    spent: 0.8,
    session: 's-1',
    decision: null,
    at: at(5),
    ...b,
  },
});

describe('coalescing', () => {
  it('tells a decision once, a second after it opened, on every channel when the operator is away', () => {
    const s = setup();
    s.take(decisionEvent(decision('studio-01', 'd-1', 's-1')));
    s.clock.advance(999);
    expect(s.told).toHaveLength(0);
    s.clock.advance(1);
    expect(s.told).toHaveLength(1);
    expect(s.told[0]).toMatchObject({
      kind: 'decision',
      node: 'studio-01',
      session: 's-1',
      decision: 'd-1',
      count: 1,
      title: 'agency: s-1 on studio-01 needs you',
      text: 'Bash: cp README.md copy.md',
    });
    expect(s.os).toEqual([['agency: s-1 on studio-01 needs you', 'Bash: cp README.md copy.md']]);
    expect(s.commands.map((c) => c.decision)).toEqual(['d-1']);
    expect(s.bells()).toBe(1);

    // the same decision again (a reconnection replays it; a newer report of it) is not told again
    s.take(decisionEvent(decision('studio-01', 'd-1', 's-1')), decisionEvent(decision('studio-01', 'd-1', 's-1')));
    s.clock.advance(60_000);
    expect(s.told).toHaveLength(1);
    expect(s.bells()).toBe(1);
  });

  it('tells nothing of a decision answered before its round', () => {
    const s = setup();
    s.take(decisionEvent(decision('studio-01', 'd-1', 's-1')));
    s.clock.advance(500);
    s.take(decisionEvent(decision('studio-01', 'd-1', 's-1', { state: 'approved', by: 'policy:ls' })));
    s.clock.advance(60_000);
    expect(s.told).toHaveLength(0);
    expect(s.bells()).toBe(0);
    expect(s.clock.pending).toBe(0);
  });

  it('says a burst as one summary naming how many, the nodes and why', () => {
    const s = setup();
    s.take(
      decisionEvent(decision('studio-01', 'd-1', 's-1')),
      decisionEvent(decision('studio-04', 'd-2', 's-2', { summary: 'rm -rf build' })),
      decisionEvent(decision('studio-01', 'd-3', 's-3', { tool: 'WebFetch', summary: 'https://example.com' })),
      decisionEvent(decision('studio-04', 'd-4', 's-4')),
      decisionEvent(decision('studio-01', 'd-5', 's-5', { source: 'merge', tool: 'merge', summary: 'w-2' })),
    );
    s.clock.advance(1000);
    expect(s.told).toHaveLength(1);
    const [sum] = s.told;
    expect(sum).toMatchObject({ kind: 'summary', count: 5, node: 'studio-01,studio-04' });
    expect(sum!.title).toBe('agency: 5 decisions waiting on studio-01, studio-04');
    expect(sum!.text).toContain('s-2 Bash: rm -rf build');
    expect(sum!.text).toContain('s-3 WebFetch: https://example.com');
    expect(sum!.text).toContain('s-5 merge conflict: w-2');
    expect(sum!.decision).toBe('d-1,d-2,d-3,d-4,d-5');
    expect(s.os).toHaveLength(1);
    expect(s.commands).toHaveLength(1);
    expect(s.bells()).toBe(1);
  });

  it('three at once are told each; rounds are five seconds apart, and what comes between waits for the next', () => {
    const s = setup();
    s.take(
      decisionEvent(decision('a', 'd-1', 's-1')),
      decisionEvent(decision('a', 'd-2', 's-2')),
      decisionEvent(decision('b', 'd-3', 's-3')),
    );
    s.clock.advance(1000);
    expect(s.told.map((x) => x.decision)).toEqual(['d-1', 'd-2', 'd-3']);
    expect(s.bells()).toBe(1);
    // a second round starts no sooner than 5 s after the first (at 6 s): all that came by then is told together
    s.clock.advance(500);
    s.take(decisionEvent(decision('a', 'd-4', 's-4')));
    s.clock.advance(3000);
    for (const id of ['d-5', 'd-6', 'd-7']) s.take(decisionEvent(decision('b', id, 's-9')));
    s.clock.advance(1499);
    expect(s.told).toHaveLength(3);
    s.clock.advance(1);
    expect(s.told).toHaveLength(4);
    expect(s.told[3]).toMatchObject({ kind: 'summary', count: 4, title: 'agency: 4 decisions waiting on a, b' });
    expect(s.bells()).toBe(2);
  });

  it('tells only by the bell while the operator is at the cockpit', () => {
    const s = setup({ away: false });
    s.take(decisionEvent(decision('a', 'd-1', 's-1')));
    s.clock.advance(1000);
    expect(s.bells()).toBe(1);
    expect(s.os).toHaveLength(0);
    expect(s.commands).toHaveLength(0);
    s.setAway(true);
    s.take(decisionEvent(decision('a', 'd-2', 's-1')));
    s.clock.advance(10_000);
    expect(s.os).toHaveLength(1);
    expect(s.commands.map((c) => c.decision)).toEqual(['d-2']);
  });
});

describe('what no channel carried', () => {
  it('is not counted as told: at the cockpit with the bell off, a lost node is not, so its return is not news either', () => {
    const s = setup({ away: false, bell: false });
    s.take(nodeEvent(link('studio-03')));
    s.take(nodeEvent(link('studio-03', 'down', 'connection refused')));
    s.clock.advance(1000);
    expect(s.told).toEqual([]);
    expect(s.bells()).toBe(0);
    // the operator walks away; the node comes back: its loss was never told, so neither is its return
    s.setAway(true);
    s.take(nodeEvent(link('studio-03')));
    s.clock.advance(10_000);
    expect(s.told).toEqual([]);
    // what comes next is told
    s.take(decisionEvent(decision('studio-03', 'd-1', 's-1')));
    s.clock.advance(10_000);
    expect(s.told.map((x) => x.decision)).toEqual(['d-1']);
  });
});

describe('what is worth telling', () => {
  it('decisions open at the start: told by a watcher that just started, not by a cockpit that shows them (nor when replayed)', () => {
    const snap: FleetSnapshot = {
      nodes: [{ ...link('a'), sessions: 1 }],
      sessions: [session('a', 's-1')],
      decisions: [decision('a', 'd-1', 's-1')],
      workers: [],
    };
    const cockpit = setup();
    cockpit.n.prime(snap);
    // the node's replay of its state on (re)connection is no news either
    cockpit.take(decisionEvent(decision('a', 'd-1', 's-1')), sessionEvent(session('a', 's-1')));
    cockpit.clock.advance(10_000);
    expect(cockpit.told).toHaveLength(0);
    cockpit.take(decisionEvent(decision('a', 'd-2', 's-1')));
    cockpit.clock.advance(10_000);
    expect(cockpit.told.map((x) => x.decision)).toEqual(['d-2']);
    const watcher = setup({ tellOpen: true });
    watcher.n.prime(snap);
    watcher.clock.advance(10_000);
    expect(watcher.told.map((x) => x.decision)).toEqual(['d-1']);
  });

  it('a budget warned, ran out (told once with its decision) or refused a start; not one extended', () => {
    const s = setup();
    s.take(budget('studio-02', { state: 'warned' }));
    s.clock.advance(1000);
    expect(s.told[0]).toMatchObject({ kind: 'budget', node: 'studio-02', session: 's-1' });
    expect(s.told[0]!.title).toBe('agency: budget of session s-1 on studio-02 at 80%');
    expect(s.told[0]!.text).toBe('spent $0.8 of $1.00');

    // the stop and the decision it opens arrive together: one notice, the stop's
    s.clock.advance(10_000);
    s.take(
      decisionEvent(decision('studio-02', 'd-9', 's-1', { source: 'budget', tool: 'budget', summary: 'extend?' })),
      budget('studio-02', { state: 'stopped', spent: 1.01, decision: 'd-9', at: at(9) }),
    );
    s.clock.advance(1000);
    expect(s.told).toHaveLength(2);
    expect(s.told[1]).toMatchObject({
      kind: 'budget',
      decision: 'd-9',
      title: 'agency: budget of session s-1 on studio-02 ran out',
    });
    expect(s.told[1]!.text).toBe('spent $1.01 of $1.00; the session is paused, decision d-9 asks to extend or stop');

    s.clock.advance(10_000);
    s.take(budget('studio-02', { state: 'extended', at: at(11) }));
    s.take(
      budget('studio-02', {
        state: 'refused',
        scope: 'vp',
        subject: 'vp-eng',
        limit: { tokens: 100_000 },
        spent: 100_500,
        session: null,
        at: at(12),
      }),
    );
    s.clock.advance(1000);
    expect(s.told).toHaveLength(3);
    expect(s.told[2]).toMatchObject({ title: 'agency: a start on studio-02 was refused', session: null });
    expect(s.told[2]!.text).toBe('the budget of VP vp-eng is spent: spent 100.5k tokens of 100k tokens');
  });

  it('a session that failed, once; not one that had failed before watching began, nor other changes', () => {
    const s = setup();
    const old = session('a', 's-0', { state: 'failed', endedAt: at(-3_600_000), updatedAt: at(-3_600_000) });
    s.n.prime({ nodes: [], sessions: [session('a', 's-1')], decisions: [], workers: [] });
    s.take(
      sessionEvent(old),
      sessionEvent(session('a', 's-1', { activity: 'editing', updatedAt: at(1) })),
      sessionEvent(session('a', 's-2', { state: 'idle', updatedAt: at(1) })),
    );
    s.clock.advance(10_000);
    expect(s.told).toHaveLength(0);
    s.take(
      sessionEvent(
        session('a', 's-1', { state: 'failed', reason: 'claude could not start', exitCode: 1, updatedAt: at(2) }),
      ),
    );
    s.take(sessionEvent(session('a', 's-1', { state: 'failed', reason: 'claude could not start', updatedAt: at(3) })));
    s.clock.advance(1000);
    expect(s.told).toHaveLength(1);
    expect(s.told[0]).toMatchObject({ kind: 'failed', node: 'a', session: 's-1', title: 'agency: s-1 on a failed' });
    expect(s.told[0]!.text).toBe('claude could not start (task: task of s-1)');
  });

  it('a node lost after it was up, and back once its loss was told; a blip is not told', () => {
    const s = setup();
    s.take(nodeEvent(link('studio-03')));
    s.take(nodeEvent(link('studio-03', 'connecting')), nodeEvent(link('studio-03', 'down', 'connection refused')));
    s.clock.advance(1000);
    expect(s.told.map((x) => x.title)).toEqual(['agency: node studio-03 lost']);
    expect(s.told[0]!.text).toContain('connection refused');
    s.clock.advance(10_000);
    s.take(nodeEvent(link('studio-03')));
    s.clock.advance(1000);
    expect(s.told.map((x) => x.title)).toEqual(['agency: node studio-03 lost', 'agency: node studio-03 back']);
    // lost and back within the same second: nothing
    s.clock.advance(10_000);
    s.take(nodeEvent(link('studio-03', 'down', 'reset')), nodeEvent(link('studio-03')));
    s.clock.advance(10_000);
    expect(s.told).toHaveLength(2);
    // a node never up (down from the start) is not lost
    s.take(nodeEvent(link('studio-09', 'down', 'no route')));
    s.clock.advance(10_000);
    expect(s.told).toHaveLength(2);
  });
});
