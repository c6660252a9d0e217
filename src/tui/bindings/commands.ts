/** The commands that act on the fleet: start a task, type into a session or take it over, pause, stop, decide. */
import { stopEverything } from '../emergency.js';
import type { Layer, LayerKind } from '../layers.js';
import { openForm } from './new-task.js';
import { openPrompt } from './overlays.js';
import {
  activeSession,
  always,
  decisionInFront,
  liveSession,
  refine,
  someNodeUp,
  type DecisionContext,
  type SessionContext,
} from './when.js';
import { bind, type Actions, type KeyContext } from './binding.js';
import { budgetStopOf, formatAmount } from '../../cockpit/budget-text.js';

const VIEWS: readonly LayerKind[] = ['fleet', 'node', 'session'];

/** Sends a session command to the session's node; the node's answer updates the store at once. */
const sessionOp =
  (op: 'pause' | 'resume' | 'interrupt', done: string) =>
  (a: Actions, { session: s }: SessionContext) =>
    a.perform(`${s.id} ${done}`, a.port.request(s.node, op, { session: s.id }), 'session');

function takeover(a: Actions, { top, ui, node, session: s }: SessionContext): void {
  const stack: Layer[] = top.kind === 'node' ? [...ui.stack, { kind: 'session', node, session: s.id }] : [...ui.stack];
  const size = a.terminalSize();
  if (size)
    a.perform(
      null,
      a.port.request(s.node, 'resize', { session: s.id, cols: size.columns, rows: Math.max(5, size.rows - 3) }),
    );
  a.set({ scroll: 0, stack: [...stack, { kind: 'takeover', node, session: s.id }] });
}

/**
 * Answers the decision in front of the operator; the node's answer updates the store at once. Approving a budget
 * decision asks first how much to extend the budget by: an amount typed, or a preset's number.
 */
const decide =
  (approve: boolean) =>
  (a: Actions, { decision: d }: DecisionContext) => {
    const stop = approve ? budgetStopOf(d) : null;
    if (stop) {
      const presets = stop.presets.map((p, i) => `${i + 1}: ${formatAmount(p)}`).join(', ');
      return a.push({
        kind: 'prompt',
        purpose: 'amount',
        // the decision line above names the budget; the title (cut at 60 columns) says what to type
        title: `extend by (Enter: ${formatAmount(stop.presets[0] ?? stop.limit)}; ${presets}; or $, k)`,
        text: '',
        node: d.node,
        session: d.session,
        decision: d,
      });
    }
    a.perform(
      `${approve ? 'approved' : 'denied'}: ${d.tool} ${d.summary}`,
      a.port.request(d.node, 'decide', { decision: d.id, approve }),
      'decision',
    );
  };

function emergencyStop(a: Actions, c: KeyContext): void {
  const live = c.fleet.health.live;
  const nodes = [...c.fleet.nodes.values()].filter((n) => n.live > 0).length;
  a.confirm(
    `EMERGENCY STOP: stop all ${live} live session${live === 1 ? '' : 's'} on ${nodes} node${nodes === 1 ? '' : 's'}?`,
    () => {
      a.say('stopping every live session…');
      void stopEverything(a.fleet(), a.port).then((r) => a.say(r.text, r.failed > 0 ? 'error' : 'info'));
    },
  );
}

export const COMMAND_BINDINGS = [
  bind({
    id: 'new-task',
    keys: ['n'],
    description: 'start a new task: a form for the task, its repository, discipline and node',
    layers: VIEWS,
    hint: 'new task',
    when: someNodeUp,
    run: openForm,
  }),
  bind({
    id: 'send',
    keys: ['m'],
    description: 'send a line to the session (an input line opens)',
    layers: ['node', 'session'],
    hint: 'send',
    when: activeSession,
    run: (a, c) => openPrompt(a, c, 'send', `send to ${c.session.id}`),
  }),
  bind({
    id: 'takeover',
    keys: ['t'],
    description: "take over the session's keyboard: every key goes to it until Ctrl-]",
    layers: ['node', 'session'],
    hint: 'take over',
    when: activeSession,
    run: takeover,
  }),
  bind({
    id: 'pause',
    keys: ['p'],
    description: 'pause the session (its whole process tree)',
    layers: ['node', 'session'],
    hint: 'pause',
    when: (c) =>
      refine(liveSession(c), (s) =>
        s.session.state === 'paused' ? `session ${s.session.id} is already paused` : null,
      ),
    run: sessionOp('pause', 'paused'),
  }),
  bind({
    id: 'resume',
    keys: ['r'],
    description: 'resume a paused session',
    layers: ['node', 'session'],
    hint: 'resume',
    when: (c) =>
      refine(liveSession(c), (s) =>
        s.session.state !== 'paused' ? `session ${s.session.id} is not paused (it is ${s.session.state})` : null,
      ),
    run: sessionOp('resume', 'resumed'),
  }),
  bind({
    id: 'stop',
    keys: ['s'],
    description: 'stop the session (asks first)',
    layers: ['node', 'session'],
    hint: 'stop',
    when: liveSession,
    run: (a, { session: s }) =>
      a.confirm(`Stop session ${s.id} on ${s.node}? It cannot be resumed.`, () =>
        a.perform(`${s.id} stopped`, a.port.request(s.node, 'stop', { session: s.id }), 'session'),
      ),
  }),
  bind({
    id: 'interrupt',
    keys: ['i'],
    description: "interrupt the session's current turn (as Esc does in Claude Code)",
    layers: ['node', 'session'],
    hint: 'interrupt',
    when: activeSession,
    run: sessionOp('interrupt', 'interrupted'),
  }),
  bind({
    id: 'approve',
    keys: ['a'],
    description: 'approve the decision in front of you',
    layers: VIEWS,
    hint: 'approve',
    when: decisionInFront,
    run: decide(true),
  }),
  bind({
    id: 'deny',
    keys: ['d'],
    description: 'deny the decision in front of you',
    layers: VIEWS,
    hint: 'deny',
    when: decisionInFront,
    run: decide(false),
  }),
  bind({
    id: 'emergency-stop',
    keys: ['X'],
    description: 'emergency stop: stop every live session on every node (asks first)',
    layers: VIEWS,
    when: (c) => (c.fleet.health.live === 0 ? 'no live session on any node' : c),
    run: emergencyStop,
  }),
  bind({
    id: 'bell',
    keys: ['B'],
    description: 'ring the terminal bell when something needs you: a decision, a budget, a failure (on/off)',
    layers: VIEWS,
    when: always,
    run: (a, c) => {
      const on = !c.ui.bell;
      a.set({ bell: on });
      a.say(`bell when something needs you: ${on ? 'on' : 'off'}`);
    },
  }),
  bind({
    id: 'quit',
    keys: ['q', 'ctrl+c'],
    description: 'quit the cockpit (the sessions go on running)',
    layers: [...VIEWS, 'diff', 'workers', 'output'],
    hint: 'quit',
    when: always,
    run: (a, c) =>
      c.ui.stack.some((l) => l.kind === 'takeover')
        ? a.confirm('A session is taken over. Quit anyway?', () => a.quit())
        : a.quit(),
  }),
];
