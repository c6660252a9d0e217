/** The key table at work: help generated from it, why a key does nothing now, and every action reaching the node. */
import { describe, expect, it } from 'vitest';
import { BINDINGS, keyLabel } from '../../src/tui/keys.js';
import { decision, decisionEvent, fleetEvents, session, sessionEvent } from '../cockpit/fixtures.js';
import { type Cockpit, KEY, mountEach, settle } from './harness.js';

const app = mountEach();

const later = (s: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + s * 1000).toISOString();
/** the message line: the last but one line of the frame */
const message = (c: Cockpit) => c.lines().at(-2)!.trim();

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
    await c.press('?');
    const frame = c.lines().join('\n');
    for (const b of BINDINGS) {
      const row = c.lines().find((l) => l.includes(b.description));
      expect(row, b.id).toBeDefined();
      for (const k of b.keys) expect(row, `${b.id} ${k}`).toContain(keyLabel(k));
    }
    expect(frame).toContain('keys (Esc or ? closes');
    await c.press('?');
    expect(c.frame()).not.toContain('keys (Esc or ? closes');
  });

  it('a disabled key says why, in the help and when pressed', async () => {
    const c = await app({
      events: [...fleetEvents(1, 0), sessionEvent(session('studio-01', 's-1', { state: 'paused' }))],
    });
    await c.press('a');
    expect(message(c)).toContain('node studio-01 has no open decision');
    await c.press('p');
    expect(message(c)).toMatch(/p \(pause the session.*\) works on the node, session view/);
    await c.press(KEY.enter, 'p');
    expect(message(c)).toContain('session s-1 is already paused');
    await c.press('i');
    expect(message(c)).toContain('session s-1 is paused: resume it first (r)');
    await c.press('?');
    const pauseRow = c.lines().find((l) => l.includes('pause the session'))!;
    expect(pauseRow).toContain('(now: session s-1 is already paused)');
    const resumeRow = c.lines().find((l) => l.includes('resume a paused session'))!;
    expect(resumeRow).not.toContain('(now:');
    expect(c.port.calls).toEqual([]);
  });

  it('pause, resume, interrupt go to the node; stop asks first', async () => {
    const c = await app({ events: [...fleetEvents(1, 0), sessionEvent(session('studio-01', 's-1'))] });
    await c.press(KEY.enter, 'p');
    expect(c.port.ops('pause')).toEqual([{ node: 'studio-01', op: 'pause', args: { session: 's-1' } }]);
    expect(message(c)).toBe('s-1 paused');
    await c.feed([sessionEvent(session('studio-01', 's-1', { state: 'paused', updatedAt: later(1) }))]);
    await c.press('r');
    expect(c.port.ops('resume')).toHaveLength(1);
    await c.feed([sessionEvent(session('studio-01', 's-1', { state: 'working', updatedAt: later(2) }))]);
    await c.press('i');
    expect(c.port.ops('interrupt')).toHaveLength(1);
    await c.press('s');
    expect(c.lines().at(-2)).toContain('Stop session s-1 on studio-01?');
    expect(c.port.ops('stop')).toHaveLength(0);
    await c.press('n');
    expect(c.port.ops('stop')).toHaveLength(0);
    await c.press('s', 'y');
    expect(c.port.ops('stop')).toEqual([{ node: 'studio-01', op: 'stop', args: { session: 's-1' } }]);
  });

  it('a and d answer the decision in front of you: on a highlighted tile, or in a session', async () => {
    const c = await app({
      events: [
        ...fleetEvents(3, 1),
        decisionEvent(decision('studio-02', 'd-1', 's-2001')),
        decisionEvent(decision('studio-03', 'd-2', 's-3001', { summary: 'curl example.com' })),
      ],
    });
    await c.press('l', 'a');
    expect(c.port.ops('decide')).toEqual([
      { node: 'studio-02', op: 'decide', args: { decision: 'd-1', approve: true } },
    ]);
    // what the node answered shows at once, before its own report of the change arrives (no batch wait)
    await settle();
    expect(c.lines()[0]).toContain('⚑ 1 decision waiting');
    await c.press('l', KEY.enter, KEY.enter);
    expect(c.lines().join('\n')).toContain('⚑ waiting for you: Bash curl example.com');
    await c.press('d');
    expect(c.port.ops('decide')[1]).toEqual({
      node: 'studio-03',
      op: 'decide',
      args: { decision: 'd-2', approve: false },
    });
  });

  it('m opens an input line and sends what is typed; n starts a new task on the node; / filters', async () => {
    const c = await app({ events: [...fleetEvents(12, 1)] });
    await c.press('/', ...'studio-1'.split(''), KEY.enter);
    expect(c.lines()[1]).toContain('filter: studio-1');
    expect(c.frame()).toContain('studio-10');
    expect(c.frame()).not.toContain('studio-09');
    await c.press('n', ...'fix the flaky test'.split(''));
    expect(c.lines().at(-2)).toContain('new task on studio-10: fix the flaky test');
    await c.press(KEY.enter);
    expect(c.port.ops('run')).toEqual([
      { node: 'studio-10', op: 'run', args: { task: 'fix the flaky test', repo: '/work/repo' } },
    ]);
    await c.press(KEY.enter, 'm', ...'hello there'.split(''), KEY.backspace, KEY.enter);
    expect(c.port.ops('send')).toEqual([
      { node: 'studio-10', op: 'send', args: { session: 's-10001', text: 'hello ther' } },
    ]);
    await c.press('m', 'x', KEY.escape);
    expect(c.port.ops('send')).toHaveLength(1);
    await c.press(KEY.escape, KEY.escape);
    expect(c.lines()[1]).not.toContain('filter');
    expect(c.frame()).toContain('studio-09');
  });

  it('a takeover sends every key to the session as it came, until Ctrl-]', async () => {
    const c = await app({ events: [...fleetEvents(1, 1)] });
    await c.press(KEY.enter, 't');
    expect(c.lines().at(-2)).toContain('TAKEOVER of s-1001');
    await c.press('q', KEY.escape, KEY.up, '\x03', KEY.enter, '?');
    const sent = c.port.ops('send').map((x) => x.args);
    expect(sent).toEqual(
      ['q', '\x1b', '\x1b[A', '\x03', '\r', '?'].map((text) => ({ session: 's-1001', text, enter: false })),
    );
    expect(c.quits).toBe(0);
    await c.press(KEY.ctrlRightBracket);
    expect(c.lines().at(-2)).toContain('keyboard released');
    await c.press('q');
    expect(c.port.ops('send')).toHaveLength(6);
    expect(c.quits).toBe(1);
  });

  it('keys typed ahead of a busy cockpit count one by one; a paste is never taken for commands', async () => {
    const c = await app({ events: [...fleetEvents(1, 3), decisionEvent(decision('studio-01', 'd-1', 's-1001'))] });
    await c.press(KEY.enter, 'jj'); // two presses in one read
    await c.press('t');
    expect(c.lines().at(-2)).toContain('TAKEOVER of s-1003');
    await c.press(KEY.ctrlRightBracket, KEY.escape, KEY.escape);
    // a paste in the fleet view: no approval, nothing sent, and it says so
    const before = c.port.calls.length;
    await c.press('ad hoc notes');
    expect(c.port.calls.slice(before)).toEqual([]);
    expect(message(c)).toContain('ad hoc notes: no command');
    // a question is answered by a key of its own, not by one typed ahead with the key that asked it
    await c.press('Xy');
    expect(c.lines().at(-2)).toContain('EMERGENCY STOP');
    expect(c.port.ops('stop')).toEqual([]);
    await c.press('n');
    // a key that opens a takeover, with what follows typed into it
    await c.press(`${KEY.enter}`, 'tls');
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
    await c.press('X');
    expect(c.lines().at(-2)).toContain('EMERGENCY STOP: stop all 6 live sessions on 3 nodes?');
    await c.press('y');
    await new Promise((r) => setTimeout(r, 20));
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
    await c.press('j'); // any key redraws; the outcome is on the message line
  });

  it('q quits; a failed request says what failed', async () => {
    const c = await app({ events: [...fleetEvents(1, 1)] });
    c.port.fail = 'node studio-01 is down: connect ETIMEDOUT';
    await c.press(KEY.enter, 'p');
    await new Promise((r) => setTimeout(r, 5));
    await c.press('k');
    await c.press('p');
    await new Promise((r) => setTimeout(r, 5));
    expect(c.lines().at(-2)).toContain('s-1001 paused: failed: node studio-01 is down: connect ETIMEDOUT');
    await c.press('q');
    expect(c.quits).toBe(1);
  });
});
