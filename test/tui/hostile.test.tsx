/**
 * Text from nodes is data: escape sequences, OSC 52 (clipboard writes), C1 controls and bidi overrides in
 * a task, an activity, a node's error, a decision or a session id never reach the frame as they came. The
 * only escape sequences in a frame are the SGR colours ink itself writes.
 */
import { describe, expect, it } from 'vitest';
import { decision, decisionEvent, link, nodeEvent, session, sessionEvent } from '../cockpit/fixtures.js';
import { type Cockpit, KEY, mountEach, type Until } from './harness.js';
import { workerSummary } from '../helpers/workers.js';

const app = mountEach();

const OSC52 = '\x1b]52;c;cm0gLXJmIH4=\x07';
const HOSTILE = [
  OSC52,
  '\x1b]52;c;cm0gLXJmIH4=\x1b\\',
  '\x9d52;c;cm0gLXJmIH4=\x9c',
  '\x1b[2J\x1b[H',
  '\x9b2J',
  '\x1bP+q\x1b\\',
  '\x1b]0;pwned\x07',
  '\x1b[?1049l',
  '\x07',
  '\x08\x08',
  '\u202e',
  '\x1b]8;;http://evil.example\x07link\x1b]8;;\x07',
  '\x1b[31m',
  '\r',
].join(' x ');

/** Everything in the frame that is not printable text, a newline or an SGR sequence. */
function unsafe(frame: string): string[] {
  const rest = frame.replace(/\x1b\[[0-9;]*m/g, '');
  return [...rest.matchAll(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g)].map((m) =>
    JSON.stringify(rest.slice(Math.max(0, m.index - 10), m.index + 10)),
  );
}

describe('hostile text from nodes', () => {
  it('never appears raw in any view, the help, or the message line', async () => {
    const node = `evil${HOSTILE}`.slice(0, 40);
    const c = await app({
      events: [
        nodeEvent(link('studio-01')),
        nodeEvent({ ...link('studio-02', 'down', `connection reset ${HOSTILE}`) }),
        nodeEvent({ ...link('studio-03'), info: { ...link('studio-03').info!, host: `h${HOSTILE}` } }),
        sessionEvent(
          session('studio-01', `s-1${OSC52}`, {
            task: `fix ${HOSTILE}`,
            activity: `running ${HOSTILE}`,
            discipline: `back${HOSTILE}`,
          }),
        ),
        sessionEvent(session('studio-01', 's-2', { state: 'needs-input', reason: `asks ${HOSTILE}`, task: HOSTILE })),
        sessionEvent(session('studio-03', 's-3', { state: 'failed', reason: `died ${HOSTILE}` })),
        decisionEvent(decision('studio-01', 'd-1', 's-2', { tool: `Bash${HOSTILE}`, summary: `rm ${HOSTILE}` })),
        sessionEvent(session(node, 's-9', { activity: HOSTILE })),
      ],
    });
    const frames: string[] = [c.frame()];
    /** a key, then until what it brings; the frame it brings is kept */
    const look = async (key: string, until: Until) => {
      await c.press(key, until);
      frames.push(c.frame());
    };
    /** a key, then until what `probe` reads from the frame is no longer what it was */
    const moves = (key: string, probe: (c: Cockpit) => string) => {
      const was = probe(c);
      return look(key, (c) => probe(c) !== was);
    };
    const where = (c: Cockpit) => c.lines()[1]!.trim();
    const message = (c: Cockpit) => c.lines().at(-2)!.trim();
    const selected = (c: Cockpit) => c.lines().find((l) => l.includes('›') && /s-\d/.test(l)) ?? '';
    const focus = (c: Cockpit) =>
      String(c.lines().findIndex((l, i) => i > 1 && l.includes('╔'))) + c.frame().indexOf('╔');
    // the filter: typed, then applied
    await look('/', { shows: 'Esc cancel' });
    await look('x', { shows: 'filter: x' });
    await look(KEY.enter, (c) => where(c).includes('filter: x'));
    await look(KEY.escape, (c) => where(c) === 'fleet');
    await look(KEY.enter, (c) => where(c).startsWith('fleet › ')); // studio-01 node view
    await moves('j', selected);
    await look('?', { shows: 'keys (Esc or ? closes' });
    await look('?', { gone: 'keys (Esc or ? closes' });
    await look(KEY.enter, (c) => where(c).split('›').length === 3); // session view of s-2 with its decision
    await look('s', { shows: 'It cannot be resumed' }); // confirm naming the session
    await look('n', { gone: 'It cannot be resumed' });
    await look(KEY.escape, (c) => where(c).split('›').length === 2);
    c.port.fail = `refused ${HOSTILE}`;
    await look('p', { shows: 'failed: refused' });
    await look('k', { gone: 'failed: refused' });
    await moves('a', message);
    await look(KEY.escape, (c) => where(c) === 'fleet');
    await look(KEY.escape, { shows: 'already at the fleet view' });
    await moves('l', focus);
    await moves('l', focus);
    await look(KEY.enter, (c) => where(c).startsWith('fleet › '));
    for (const f of frames) expect(unsafe(f)).toEqual([]);
    const all = frames.join('\n');
    expect(all).not.toContain(']52;');
    expect(all).toContain('rm'); // the text is there, without its controls
    expect(all).toContain('connection reset');
  });

  it("a hostile worker's name, task, activity, reason, output and result never reach the frame raw", async () => {
    const w = (id: string, state: 'running' | 'failed') =>
      workerSummary({
        id,
        name: `n${OSC52}${id}`,
        node: 'studio-01',
        session: 's-1',
        state,
        // a node that sends what its type does not allow
        model: `haiku${HOSTILE}` as 'haiku',
        task: `task ${HOSTILE}`,
        activity: `act ${HOSTILE}`,
        reason: `why ${HOSTILE}`,
        run: `r-1${OSC52}`,
      });
    const c = await app({
      columns: 100,
      rows: 30,
      events: [
        nodeEvent(link('studio-01')),
        sessionEvent(session('studio-01', 's-1')),
        { kind: 'worker', worker: w('w-1', 'running') },
        { kind: 'worker', worker: w('w-2', 'failed') },
      ],
    });
    c.port.answer['worker-output'] = () => ({
      worker: 'w-1',
      lines: [`said ${HOSTILE}`, `\t\x1b[1A\x1b[2K tabbed`],
      truncated: true,
      result: `found ${HOSTILE}\r\nDONE`,
    });
    const frames: string[] = [c.frame()];
    const look = async (key: string, until: Until) => {
      await c.press(key, until);
      frames.push(c.frame());
    };
    await look(KEY.enter, { shows: 'workers of s-1' });
    await look('w', (c) => c.controller.getSnapshot().stack.at(-1)?.kind === 'workers');
    await look('s', { shows: 'Stop worker' });
    await look('n', { gone: 'Stop worker' });
    await look('S', { shows: 'Stop run' });
    await look('n', { gone: 'Stop run' });
    await look(KEY.enter, { shows: '── result ──' });
    await look('?', { shows: 'keys (Esc or ? closes' });
    for (const f of frames) expect(unsafe(f)).toEqual([]);
    const all = frames.join('\n');
    expect(all).not.toContain(']52;');
    expect(all).toContain('said ');
    expect(all).toContain('found ');
    expect(all).toContain('… its earlier lines were dropped');
  });

  it('a diff from a hostile session is plain text: its patch, file names and commits never reach the frame raw', async () => {
    const c = await app({
      columns: 100,
      rows: 30,
      events: [nodeEvent(link('studio-01')), sessionEvent(session('studio-01', 's-1', { state: 'exited' }))],
    });
    c.port.answer.diff = () => ({
      session: 's-1',
      from: `aaaa${OSC52}`,
      to: `bbbb${HOSTILE}`,
      files: [
        { path: `src/${HOSTILE}.ts`, added: 2, removed: 1, status: 'modified' },
        { path: `new${OSC52}`, from: `old\x1b[2J`, added: 1, removed: 0, status: 'renamed' },
      ],
      patch: [
        `diff --git a/x b/x${OSC52}`,
        '@@ -1 +1,2 @@',
        `-old ${HOSTILE}`,
        `+new ${HOSTILE}`,
        `+\ttabbed\r\x1b[1A\x1b[2K overwritten?`,
        `\u202egnirts desrever`,
      ].join('\n'),
      truncated: false,
      dirty: false,
    });
    await c.press(KEY.enter, (c) => c.lines()[1]!.includes('studio-01'));
    await c.press('D', { shows: 'lines 1–' });
    const frame = c.frame();
    expect(unsafe(frame)).toEqual([]);
    expect(frame).not.toContain(']52;');
    expect(frame).not.toContain('[2J');
    // the text is there, without its controls
    expect(c.lines().some((l) => l.startsWith('+new ') && l.includes(' x '))).toBe(true);
    // a tab laid out to the next stop of four columns; the carriage return and cursor moves gone
    expect(c.lines().map((l) => l.trimEnd())).toContain('+   tabbed overwritten?');
    expect(frame).toContain('gnirts desrever');
  });
});
