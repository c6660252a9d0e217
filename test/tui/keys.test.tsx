/** The key table at work: help generated from it, why a key does nothing now, and every action reaching the node. */
import { describe, expect, it } from 'vitest';
import { BINDINGS, keyLabel } from '../../src/tui/keys.js';
import { decision, decisionEvent, fleetEvents, session, sessionEvent } from '../cockpit/fixtures.js';
import { type Cockpit, KEY, mountEach } from './harness.js';

const app = mountEach();

const later = (s: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + s * 1000).toISOString();
/** the message line: the last but one line of the frame */
const message = (c: Cockpit) => c.lines().at(-2)!.trim();
/** the second line: where the cockpit is (fleet › node › session) */
const where = (c: Cockpit) => c.lines()[1]!.trim();
/** the session row selected in a node view */
const selected = (c: Cockpit) => c.lines().find((l) => l.includes('›') && /s-\d/.test(l)) ?? '';
const HELP = 'keys (Esc or ? closes';

describe('key table', () => {
  it('has one binding per id, and no key bound twice on a layer', () => {
    expect(new Set(BINDINGS.map((b) => b.id)).size).toBe(BINDINGS.length);
    const seen = new Set<string>();
    for (const b of BINDINGS)
      for (const l of b.layers)
        for (const k of b.keys) {
          expect(seen.has(`${l} ${k}`), `${k} on ${l}`).toBe(false);
          seen.add(`${l} ${k}`);
        }
  });

  it('the help overlay lists every binding of the table, with its keys', async () => {
    const c = await app({ events: fleetEvents(2, 1) });
    await c.press('?', { shows: HELP });
    const frame = c.lines().join('\n');
    // more bindings than rows: the rest a page on
    const seen = [...c.lines()];
    const last = BINDINGS.at(-1)!.description;
    while (!seen.some((l) => l.includes(last))) {
      const before = c.frame();
      await c.press(KEY.pageDown, (c) => c.frame() !== before);
      seen.push(...c.lines());
    }
    for (const b of BINDINGS) {
      const row = seen.find((l) => l.includes(b.description));
      expect(row, b.id).toBeDefined();
      for (const k of b.keys) expect(row, `${b.id} ${k}`).toContain(keyLabel(k));
    }
    expect(frame).toContain(HELP);
    await c.press('?', { gone: HELP });
    expect(c.frame()).not.toContain(HELP);
  });

  it('a disabled key says why, in the help and when pressed', async () => {
    const c = await app({
      events: [...fleetEvents(1, 0), sessionEvent(session('studio-01', 's-1', { state: 'paused' }))],
    });
    await c.press('a', { shows: 'node studio-01 has no open decision' });
    await c.press('p', { shows: /p \(pause the session.*\) works on the node, session view/ });
    await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-01');
    await c.press('p', { shows: 'session s-1 is already paused' });
    expect(message(c)).toContain('session s-1 is already paused');
    await c.press('i', { shows: 'session s-1 is paused: resume it first (r)' });
    expect(message(c)).toContain('session s-1 is paused: resume it first (r)');
    await c.press('?', { shows: HELP });
    const pauseRow = c.lines().find((l) => l.includes('pause the session'))!;
    expect(pauseRow).toContain('(now: session s-1 is already paused)');
    const resumeRow = c.lines().find((l) => l.includes('resume a paused session'))!;
    expect(resumeRow).not.toContain('(now:');
    expect(c.port.calls).toEqual([]);
  });

  it('pause, resume, interrupt go to the node; stop asks first', async () => {
    const c = await app({ events: [...fleetEvents(1, 0), sessionEvent(session('studio-01', 's-1'))] });
    await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-01');
    await c.press('p', (c) => message(c) === 's-1 paused');
    expect(c.port.ops('pause')).toEqual([{ node: 'studio-01', op: 'pause', args: { session: 's-1' } }]);
    await c.feed([sessionEvent(session('studio-01', 's-1', { state: 'paused', updatedAt: later(1) }))], (c) =>
      c.lines()[0]!.includes('0 idle 1 paused'),
    );
    await c.press('r', (c) => c.port.ops('resume').length === 1);
    await c.feed([sessionEvent(session('studio-01', 's-1', { state: 'working', updatedAt: later(2) }))], (c) =>
      c.lines()[0]!.includes('sessions 1 working'),
    );
    await c.press('i', (c) => c.port.ops('interrupt').length === 1);
    await c.press('s', { shows: 'Stop session s-1 on studio-01?' });
    expect(c.lines().at(-2)).toContain('Stop session s-1 on studio-01?');
    expect(c.port.ops('stop')).toHaveLength(0);
    await c.press('n', { gone: 'Stop session s-1 on studio-01?' });
    expect(c.port.ops('stop')).toHaveLength(0);
    await c.press('s', { shows: 'Stop session s-1 on studio-01?' });
    await c.press('y', (c) => c.port.ops('stop').length > 0);
    expect(c.port.ops('stop')).toEqual([{ node: 'studio-01', op: 'stop', args: { session: 's-1' } }]);
  });

  it('a and d answer the decision in front of you: on a highlighted tile, or in a session', async () => {
    const c = await app({
      batchMs: 600_000, // what the node reports waits for a batch longer than the test
      events: [
        ...fleetEvents(3, 1),
        decisionEvent(decision('studio-02', 'd-1', 's-2001')),
        decisionEvent(decision('studio-03', 'd-2', 's-3001', { summary: 'curl example.com' })),
      ],
    });
    await c.press('l', { shows: '║ studio-02' });
    await c.press('a', (c) => c.port.ops('decide').length > 0);
    expect(c.port.ops('decide')).toEqual([
      { node: 'studio-02', op: 'decide', args: { decision: 'd-1', approve: true } },
    ]);
    // what the node answered shows at once, before its own report of the change arrives (no batch wait)
    await c.until((c) => c.lines()[0]!.includes('⚑ 1 decision waiting'));
    await c.press('l', { shows: '║ studio-03' });
    await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-03');
    await c.press(KEY.enter, { shows: '⚑ waiting for you: Bash curl example.com' });
    await c.press('d', (c) => c.port.ops('decide').length > 1);
    expect(c.port.ops('decide')[1]).toEqual({
      node: 'studio-03',
      op: 'decide',
      args: { decision: 'd-2', approve: false },
    });
  });

  it('m opens an input line and sends what is typed; n starts a new task; / filters', async () => {
    const c = await app({ events: [...fleetEvents(12, 1)] });
    await c.press('/', { shows: 'filter:' });
    await c.type('studio-1', { shows: 'filter: studio-1' });
    await c.press(KEY.enter, { gone: 'studio-09' });
    expect(c.lines()[1]).toContain('filter: studio-1');
    expect(c.frame()).toContain('studio-10');
    expect(c.frame()).not.toContain('studio-09');
    await c.press('n', { shows: 'new task' });
    await c.type('fix the flaky test');
    expect(c.lines().find((l) => l.includes('› Task'))).toContain('fix the flaky test');
    await c.press(KEY.enter, (c) => c.port.ops('run').length > 0);
    // from the fleet view the task goes to the least loaded node (the cockpit picks it)
    expect(c.port.ops('run')).toEqual([
      { node: '', op: 'run', args: { task: 'fix the flaky test', repo: '/work/repo' } },
    ]);
    await c.until({ gone: '› Task' });
    await c.press(KEY.enter, (c) => where(c).startsWith('fleet › studio-10'));
    await c.press('m', { shows: 'send to s-10001:' });
    await c.type('hello there');
    await c.press(KEY.backspace, { shows: /hello ther(?!e)/ });
    await c.press(KEY.enter, (c) => c.port.ops('send').length > 0);
    expect(c.port.ops('send')).toEqual([
      { node: 'studio-10', op: 'send', args: { session: 's-10001', text: 'hello ther' } },
    ]);
    await c.press('m', { shows: 'send to s-10001:' });
    await c.press('x', { shows: /send to s-10001: .*x/ });
    await c.press(KEY.escape, { gone: 'send to s-10001:' });
    expect(c.port.ops('send')).toHaveLength(1);
    await c.press(KEY.escape, (c) => !where(c).includes('studio-10'));
    await c.press(KEY.escape, { shows: 'studio-09' });
    expect(c.lines()[1]).not.toContain('filter');
    expect(c.frame()).toContain('studio-09');
  });

  it('a takeover sends every key to the session as it came, until Ctrl-]', async () => {
    const c = await app({ events: [...fleetEvents(1, 1)] });
    await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-01');
    await c.press('t', { shows: 'TAKEOVER of s-1001' });
    expect(c.lines().at(-2)).toContain('TAKEOVER of s-1001');
    const keys = ['q', KEY.escape, KEY.up, '\x03', KEY.enter, '?'];
    for (const [i, k] of keys.entries()) await c.press(k, (c) => c.port.ops('send').length === i + 1);
    const sent = c.port.ops('send').map((x) => x.args);
    expect(sent).toEqual(
      ['q', '\x1b', '\x1b[A', '\x03', '\r', '?'].map((text) => ({ session: 's-1001', text, enter: false })),
    );
    expect(c.quits).toBe(0);
    await c.press(KEY.ctrlRightBracket, { shows: 'keyboard released' });
    expect(c.lines().at(-2)).toContain('keyboard released');
    await c.press('q', (c) => c.quits > 0);
    expect(c.port.ops('send')).toHaveLength(6);
    expect(c.quits).toBe(1);
  });

  it('keys typed ahead of a busy cockpit count one by one; a paste is never taken for commands', async () => {
    const c = await app({ events: [...fleetEvents(1, 3), decisionEvent(decision('studio-01', 'd-1', 's-1001'))] });
    await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-01');
    await c.press('jj', (c) => selected(c).includes('s-1003')); // two presses in one read
    await c.press('t', { shows: 'TAKEOVER of s-1003' });
    expect(c.lines().at(-2)).toContain('TAKEOVER of s-1003');
    await c.press(KEY.ctrlRightBracket, { shows: 'keyboard released' });
    await c.press(KEY.escape, (c) => where(c) === 'fleet › studio-01');
    await c.press(KEY.escape, (c) => where(c) === 'fleet');
    // a paste in the fleet view: no approval, nothing sent, and it says so
    const before = c.port.calls.length;
    await c.press('ad hoc notes', { shows: 'ad hoc notes: no command' });
    expect(c.port.calls.slice(before)).toEqual([]);
    expect(message(c)).toContain('ad hoc notes: no command');
    // a question is answered by a key of its own, not by one typed ahead with the key that asked it
    await c.press('Xy', { shows: 'EMERGENCY STOP' });
    expect(c.lines().at(-2)).toContain('EMERGENCY STOP');
    expect(c.port.ops('stop')).toEqual([]);
    await c.press('n', { gone: 'EMERGENCY STOP' });
    // a key that opens a takeover, with what follows typed into it
    await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-01');
    await c.press('tls', (c) => c.port.ops('send').length > 0);
    expect(c.port.ops('send').map((x) => x.args)).toEqual([{ session: 's-1003', text: 'ls', enter: false }]); // the node view keeps its place
  });

  it('the emergency stop asks, then stops every live session on every node', async () => {
    const c = await app({
      events: [
        ...fleetEvents(3, 2),
        sessionEvent(session('studio-01', 's-old', { state: 'exited', endedAt: later(1) })),
      ],
    });
    c.port.request = (async (node: string, op: string, args: unknown) => {
      c.port.calls.push({ node, op, args });
      if (op === 'status') return { sessions: c.store.getSnapshot().sessions.get(node) ?? [], decisions: [] };
      return {};
    }) as typeof c.port.request;
    await c.press('X', { shows: 'EMERGENCY STOP: stop all 6 live sessions on 3 nodes?' });
    await c.press('y', { shows: 'emergency stop: 6 sessions stopped' });
    const stops = c.port
      .ops('stop')
      .map((x) => `${x.node}/${(x.args as { session: string }).session}`)
      .sort();
    expect(stops).toEqual([
      'studio-01/s-1001',
      'studio-01/s-1002',
      'studio-02/s-2001',
      'studio-02/s-2002',
      'studio-03/s-3001',
      'studio-03/s-3002',
    ]);
  });

  it('q quits; a failed request says what failed', async () => {
    const c = await app({ events: [...fleetEvents(1, 1)] });
    c.port.fail = 'node studio-01 is down: connect ETIMEDOUT';
    const failed = 's-1001 paused: failed: node studio-01 is down: connect ETIMEDOUT';
    await c.press(KEY.enter, (c) => where(c) === 'fleet › studio-01');
    await c.press('p', { shows: failed });
    await c.press('k', { gone: failed }); // a key clears the message line
    await c.press('p', { shows: failed });
    expect(c.port.ops('pause')).toHaveLength(2);
    expect(c.lines().at(-2)).toContain(failed);
    await c.press('q', (c) => c.quits > 0);
    expect(c.quits).toBe(1);
  });
});
