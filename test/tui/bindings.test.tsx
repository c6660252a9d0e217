/**
 * Every binding of the key table, pressed through the real controller and app. Where its precondition gives
 * a reason, the key does nothing but say that reason: no request reaches the node, the quit callback is not
 * called, and the UI state is as it was but for the message. Where it is enabled, its handler runs and does
 * what the binding is for. The cases are keyed by binding id, so a binding without one does not compile.
 */
import { describe, expect, it } from 'vitest';
import type { CockpitEvent } from '../../src/cockpit/client.js';
import { BINDINGS, keysLabel, type BindingId } from '../../src/tui/keys.js';
import { topLayer, type Layer } from '../../src/tui/layers.js';
import type { UiState } from '../../src/tui/ui-state.js';
import {
  at,
  decision,
  decisionEvent,
  fleetEvents,
  landing,
  link,
  nodeEvent,
  session,
  sessionEvent,
} from '../cockpit/fixtures.js';
import { type Cockpit, KEY, keySeq, mountEach } from './harness.js';
import { workerSummary } from '../helpers/workers.js';

const app = mountEach();

interface Where {
  events: CockpitEvent[];
  /** keys that bring the cockpit to where the binding is pressed */
  to?: string[];
  /** what else has to be so before the key is pressed */
  prepare?: (c: Cockpit) => Promise<void>;
}
interface Disabled extends Where {
  reason: string;
}
interface Enabled extends Where {
  /** what the handler did */
  then: (c: Cockpit, before: UiState) => void;
}

const ui = (c: Cockpit) => c.controller.getSnapshot();
const top = (c: Cockpit): Layer => topLayer(ui(c).stack);
const focus = (c: Cockpit) => c.controller.context();

/** s-1001 on studio-01, working */
const one = fleetEvents(1, 1);
const three = fleetEvents(1, 3);
const noSessions = fleetEvents(1, 0);
const paused = [...noSessions, sessionEvent(session('studio-01', 's-1', { state: 'paused' }))];
const exited = [...noSessions, sessionEvent(session('studio-01', 's-1', { state: 'exited', endedAt: at(1) }))];
const decided = [...one, decisionEvent(decision('studio-01', 'd-1', 's-1001'))];
/** s-1 exited with two commits its base lacks: ready to land */
const ready = [
  ...noSessions,
  sessionEvent(
    session('studio-01', 's-1', {
      state: 'exited',
      endedAt: at(1),
      base: { branch: 'main', commit: 'abc123' },
      landing: landing({ ahead: 2, filesChanged: 3 }),
    }),
  ),
];
const merged = [
  ...noSessions,
  sessionEvent(session('studio-01', 's-1', { state: 'exited', endedAt: at(1), landing: landing({ merged: true }) })),
];
const form = (c: Cockpit) => top(c) as Extract<Layer, { kind: 'form' }>;
/** s-1001 with a run of two workers: w-1 running, w-2 queued */
const withWorkers = [
  ...one,
  ...(['running', 'queued'] as const).map((state, i): CockpitEvent => ({
    kind: 'worker',
    worker: workerSummary({ id: `w-${i + 1}`, node: 'studio-01', session: 's-1001', state }),
  })),
];
/** s-1001 with a run whose only worker, w-1, is done */
const doneWorker: CockpitEvent[] = [
  ...one,
  { kind: 'worker', worker: workerSummary({ id: 'w-1', node: 'studio-01', session: 's-1001', state: 'done' }) },
];

/** Waits for the key's effect: the controller's state replaced (every handler and every refusal replaces it). */
const changed = (before: UiState) => (c: Cockpit) => ui(c) !== before;

/** The session pane shows output with scrollback, scrolled back a page. */
async function scrolledBack(c: Cockpit): Promise<void> {
  await c.until((c) => c.port.streams.has('studio-01/s-1001'));
  const lines = Array.from({ length: 80 }, (_, i) => `line ${i + 1}\r\n`).join('');
  c.port.streams.get('studio-01/s-1001')?.onData(0, Buffer.from(lines));
  // drawn, and the pane has told the controller how far it can scroll back (an effect after the frame)
  await c.until((c) => c.frame().includes('line 80') && (c.pane()?.scrollMax ?? 0) > 0);
  await c.press(KEY.pageUp, (c) => ui(c).scroll > 0);
}

const CASES: Record<BindingId, { enabled: Enabled; disabled?: Disabled }> = {
  up: {
    enabled: { events: three, to: [KEY.enter, KEY.down], then: (c) => expect(focus(c).session?.id).toBe('s-1001') },
  },
  down: { enabled: { events: three, to: [KEY.enter], then: (c) => expect(focus(c).session?.id).toBe('s-1002') } },
  left: {
    enabled: { events: fleetEvents(2, 0), to: [KEY.right], then: (c) => expect(focus(c).node).toBe('studio-01') },
  },
  right: { enabled: { events: fleetEvents(2, 0), then: (c) => expect(focus(c).node).toBe('studio-02') } },
  'page-up': {
    enabled: { events: one, to: ['?', KEY.pageDown], then: (c) => expect(ui(c).helpScroll).toBe(0) },
  },
  'page-down': { enabled: { events: one, to: ['?'], then: (c) => expect(ui(c).helpScroll).toBe(10) } },
  bottom: {
    disabled: { events: one, to: [KEY.enter, KEY.enter], reason: 'already at the live screen' },
    enabled: {
      events: one,
      to: [KEY.enter, KEY.enter],
      prepare: scrolledBack,
      then: (c, before) => {
        expect(before.scroll).toBeGreaterThan(0);
        expect(ui(c).scroll).toBe(0);
      },
    },
  },
  open: {
    disabled: { events: noSessions, to: [KEY.enter], reason: 'no session to open' },
    enabled: { events: one, then: (c) => expect(top(c)).toEqual({ kind: 'node', node: 'studio-01' }) },
  },
  back: {
    disabled: { events: one, reason: 'already at the fleet view' },
    enabled: { events: one, to: [KEY.enter], then: (c) => expect(top(c)).toEqual({ kind: 'fleet' }) },
  },
  help: { enabled: { events: one, then: (c) => expect(top(c)).toEqual({ kind: 'help' }) } },
  filter: {
    enabled: { events: one, then: (c) => expect(top(c)).toMatchObject({ kind: 'prompt', purpose: 'filter' }) },
  },
  'new-task': {
    disabled: {
      events: [nodeEvent(link('studio-01', 'down'))],
      reason: 'no node is reachable: studio-01 down. Run agency doctor to see what is wrong',
    },
    enabled: {
      events: one,
      then: (c) =>
        expect(top(c)).toEqual({
          kind: 'form',
          field: 'task',
          task: '',
          repo: '/work/repo',
          discipline: '',
          node: null,
          busy: false,
        }),
    },
  },
  send: {
    disabled: { events: paused, to: [KEY.enter], reason: 'session s-1 is paused: resume it first (r)' },
    enabled: {
      events: one,
      to: [KEY.enter],
      then: (c) => expect(top(c)).toMatchObject({ kind: 'prompt', purpose: 'send', session: 's-1001' }),
    },
  },
  takeover: {
    disabled: { events: exited, to: [KEY.enter], reason: 'session s-1 has exited' },
    enabled: {
      events: one,
      to: [KEY.enter],
      then: (c) => expect(top(c)).toEqual({ kind: 'takeover', node: 'studio-01', session: 's-1001' }),
    },
  },
  pause: {
    disabled: { events: paused, to: [KEY.enter], reason: 'session s-1 is already paused' },
    enabled: {
      events: one,
      to: [KEY.enter],
      then: (c) => expect(c.port.calls).toEqual([{ node: 'studio-01', op: 'pause', args: { session: 's-1001' } }]),
    },
  },
  resume: {
    disabled: { events: one, to: [KEY.enter], reason: 'session s-1001 is not paused (it is working)' },
    enabled: {
      events: paused,
      to: [KEY.enter],
      then: (c) => expect(c.port.calls).toEqual([{ node: 'studio-01', op: 'resume', args: { session: 's-1' } }]),
    },
  },
  stop: {
    disabled: { events: exited, to: [KEY.enter], reason: 'session s-1 has exited' },
    enabled: {
      events: one,
      to: [KEY.enter],
      then: (c) => {
        expect(top(c)).toMatchObject({
          kind: 'confirm',
          message: 'Stop session s-1001 on studio-01? It cannot be resumed.',
        });
        expect(c.port.calls).toEqual([]);
      },
    },
  },
  interrupt: {
    disabled: { events: noSessions, to: [KEY.enter], reason: 'no session in focus' },
    enabled: {
      events: one,
      to: [KEY.enter],
      then: (c) => expect(c.port.calls).toEqual([{ node: 'studio-01', op: 'interrupt', args: { session: 's-1001' } }]),
    },
  },
  approve: {
    disabled: { events: one, reason: 'node studio-01 has no open decision' },
    enabled: {
      events: decided,
      then: (c) =>
        expect(c.port.calls).toEqual([{ node: 'studio-01', op: 'decide', args: { decision: 'd-1', approve: true } }]),
    },
  },
  deny: {
    disabled: { events: one, to: [KEY.enter], reason: 'session s-1001 has no open decision' },
    enabled: {
      events: decided,
      to: [KEY.enter],
      then: (c) =>
        expect(c.port.calls).toEqual([{ node: 'studio-01', op: 'decide', args: { decision: 'd-1', approve: false } }]),
    },
  },
  'emergency-stop': {
    disabled: { events: exited, reason: 'no live session on any node' },
    enabled: {
      events: one,
      then: (c) => {
        expect(top(c)).toMatchObject({
          kind: 'confirm',
          message: 'EMERGENCY STOP: stop all 1 live session on 1 node?',
        });
        expect(c.port.calls).toEqual([]);
      },
    },
  },
  bell: {
    enabled: {
      events: one,
      then: (c, before) => {
        expect(ui(c).bell).toBe(!before.bell);
        expect(ui(c).message?.text).toBe('bell when something needs you: on');
      },
    },
  },
  quit: { enabled: { events: one, then: (c) => expect(c.quits).toBe(1) } },
  release: {
    enabled: {
      events: one,
      to: [KEY.enter, 't'],
      then: (c) => {
        expect(top(c)).toEqual({ kind: 'session', node: 'studio-01', session: 's-1001' });
        expect(ui(c).message?.text).toBe('keyboard released');
      },
    },
  },
  yes: {
    enabled: {
      events: one,
      to: [KEY.enter, 's'],
      then: (c) => expect(c.port.ops('stop')).toEqual([{ node: 'studio-01', op: 'stop', args: { session: 's-1001' } }]),
    },
  },
  no: {
    enabled: {
      events: one,
      to: [KEY.enter, 's'],
      then: (c) => {
        expect(top(c)).toEqual({ kind: 'node', node: 'studio-01' });
        expect(c.port.calls).toEqual([]);
      },
    },
  },
  submit: {
    enabled: {
      events: one,
      to: ['/', 'x'],
      then: (c) => {
        expect(top(c)).toEqual({ kind: 'fleet' });
        expect(ui(c).filter).toBe('x');
      },
    },
  },
  cancel: {
    enabled: {
      events: one,
      to: ['/', 'x'],
      then: (c) => {
        expect(top(c)).toEqual({ kind: 'fleet' });
        expect(ui(c).filter).toBe('');
      },
    },
  },
  diff: {
    disabled: { events: noSessions, to: [KEY.enter], reason: 'no session in focus' },
    enabled: {
      events: one,
      to: [KEY.enter],
      // the node's answer is still on its way when the view is looked at
      prepare: async (c) => void (c.port.answer.diff = () => new Promise(() => {})),
      then: (c) => {
        expect(top(c)).toMatchObject({ kind: 'diff', node: 'studio-01', session: 's-1001', lines: null });
        expect(c.port.ops('diff')).toEqual([{ node: 'studio-01', op: 'diff', args: { session: 's-1001' } }]);
      },
    },
  },
  merge: {
    disabled: { events: merged, to: [KEY.enter], reason: "session s-1's work is merged already" },
    enabled: {
      events: ready,
      to: [KEY.enter],
      then: (c) => {
        expect(top(c)).toMatchObject({
          kind: 'confirm',
          message: "Merge s-1's branch agency/s-1 (2 commits, 3 files) into main on studio-01, in /repo?",
        });
        expect(c.port.calls).toEqual([]);
      },
    },
  },
  'clean-up': {
    disabled: { events: one, to: [KEY.enter], reason: 'session s-1001 is working: stop it first (s)' },
    enabled: {
      events: ready,
      to: [KEY.enter],
      then: (c) => {
        expect(top(c)).toMatchObject({
          kind: 'confirm',
          message:
            'Remove s-1 on studio-01: its worktree and branch agency/s-1? Its 2 commits not merged are kept under refs/agency/recovered/.',
        });
        expect(c.port.calls).toEqual([]);
      },
    },
  },
  workers: {
    disabled: { events: noSessions, to: [KEY.enter], reason: 'no session in focus' },
    enabled: {
      events: one,
      to: [KEY.enter],
      then: (c) => expect(top(c)).toEqual({ kind: 'workers', node: 'studio-01', session: 's-1001' }),
    },
  },
  'worker-output': {
    disabled: { events: one, to: [KEY.enter, 'w'], reason: 'session s-1001 has no workers' },
    enabled: {
      events: withWorkers,
      to: [KEY.enter, 'w'],
      // the node's answer is still on its way when the view is looked at
      prepare: async (c) => void (c.port.answer['worker-output'] = () => new Promise(() => {})),
      then: (c) => {
        expect(top(c)).toEqual({
          kind: 'output',
          node: 'studio-01',
          worker: 'w-1',
          lines: null,
          error: null,
          scroll: 0,
          follow: true,
        });
      },
    },
  },
  'stop-worker': {
    disabled: { events: doneWorker, to: [KEY.enter, 'w'], reason: 'worker w-1 is done' },
    enabled: {
      events: withWorkers,
      to: [KEY.enter, 'w'],
      then: (c) => {
        expect(top(c)).toMatchObject({
          kind: 'confirm',
          message:
            'Stop worker w-1 (w-1) of s-1001 on studio-01? It is running on haiku; a stopped worker is not started again.',
        });
        expect(c.port.calls).toEqual([]);
      },
    },
  },
  'stop-run': {
    disabled: { events: doneWorker, to: [KEY.enter, 'w'], reason: 'every worker of run r-1 has ended' },
    enabled: {
      events: withWorkers,
      to: [KEY.enter, 'w'],
      then: (c) => {
        expect(top(c)).toMatchObject({
          kind: 'confirm',
          message:
            'Stop run r-1 of s-1001 on studio-01: its 2 workers not ended (1 running, 1 queued)? Stopped workers are not started again.',
        });
        expect(c.port.calls).toEqual([]);
      },
    },
  },
  'next-field': { enabled: { events: one, to: ['n'], then: (c) => expect(form(c).field).toBe('repo') } },
  'previous-field': { enabled: { events: one, to: ['n'], then: (c) => expect(form(c).field).toBe('node') } },
  'next-choice': {
    disabled: {
      events: one,
      to: ['n'],
      reason: '← → choose on the discipline and node fields; the task and repository are typed',
    },
    enabled: { events: one, to: ['n', '\x1b[Z'], then: (c) => expect(form(c).node).toBe('studio-01') },
  },
  'previous-choice': {
    disabled: {
      events: one,
      to: ['n', '\t'],
      reason: '← → choose on the discipline and node fields; the task and repository are typed',
    },
    enabled: {
      events: fleetEvents(2, 0),
      to: ['n', '\x1b[Z'],
      then: (c) => expect(form(c).node).toBe('studio-02'),
    },
  },
  start: {
    disabled: { events: one, to: ['n'], reason: 'type the task first' },
    enabled: {
      events: one,
      to: ['n', 'x'],
      then: (c) =>
        expect(c.port.ops('run')).toEqual([{ node: '', op: 'run', args: { task: 'x', repo: '/work/repo' } }]),
    },
  },
  erase: {
    enabled: {
      events: one,
      to: ['/', 'x', 'y'],
      then: (c) => expect(top(c)).toMatchObject({ kind: 'prompt', text: 'x' }),
    },
  },
};

/** Mounts the cockpit and brings it to where the case presses its key; returns what the port and UI were then. */
async function reach(w: Where): Promise<Cockpit> {
  const c = await app({ events: w.events });
  for (const k of w.to ?? []) await c.press(k, changed(ui(c)));
  await w.prepare?.(c);
  c.port.calls = [];
  return c;
}

describe('every binding', () => {
  for (const b of BINDINGS) {
    const { enabled, disabled } = CASES[b.id];
    for (const key of b.keys) {
      if (disabled)
        it(`${b.id} (${key}): disabled, does nothing but say why`, async () => {
          const c = await reach(disabled);
          const before = ui(c);
          const why = `${keysLabel(b)} (${b.description}): ${disabled.reason}`;
          await c.press(keySeq(key), { shows: why });
          expect(ui(c).message).toEqual({ text: why, tone: 'why' });
          expect(c.lines().at(-2)?.trim()).toBe(why);
          expect({ ...ui(c), message: null }).toEqual({ ...before, message: null });
          expect(c.port.calls).toEqual([]);
          expect(c.quits).toBe(0);
        });
      it(`${b.id} (${key}): enabled, runs`, async () => {
        const c = await reach(enabled);
        const before = ui(c);
        const calls = c.port.calls.length;
        const quits = c.quits;
        await c.press(keySeq(key), (c) => ui(c) !== before || c.port.calls.length > calls || c.quits > quits);
        expect(ui(c).message?.tone).not.toBe('why');
        enabled.then(c, before);
      });
    }
  }
});
