/** The keys that move focus and scroll: through the grid, a node's sessions, a session's scrollback, the help. */
import { sessionWorkers, visibleNodes, visibleSessions, workerCursorKey } from '../select.js';
import { scrollDiff } from './landing.js';
import { scrollOutput } from './workers.js';
import { openPrompt } from './overlays.js';
import { always } from './when.js';
import { bind, type Actions, type KeyContext } from './binding.js';

const clamp = (n: number, max: number) => Math.max(0, Math.min(max, n));

function move(a: Actions, c: KeyContext, dx: number, dy: number): void {
  const { top, node, session, ui } = c;
  if (top.kind === 'fleet') {
    const nodes = visibleNodes(c.fleet, ui.filter);
    const at = Math.max(0, node ? nodes.indexOf(node) : 0);
    const next = nodes[clamp(at + dx + dy * ui.columns, nodes.length - 1)];
    if (next !== undefined) a.set({ nodeCursor: next });
  } else if (top.kind === 'node' && node) {
    const list = visibleSessions(c.fleet, node, ui.filter);
    const at = Math.max(0, session ? list.findIndex((s) => s.id === session.id) : 0);
    const next = list[clamp(at + dy, list.length - 1)];
    if (next) a.set({ sessionCursor: { ...ui.sessionCursor, [node]: next.id } });
  } else if (top.kind === 'workers') {
    const list = sessionWorkers(c.fleet, top.node, top.session)?.list ?? [];
    const at = Math.max(0, c.worker ? list.findIndex((w) => w.id === c.worker!.id) : 0);
    const next = list[clamp(at + dy, list.length - 1)];
    const k = workerCursorKey(top.node, top.session);
    if (next) a.set({ workerCursor: { ...ui.workerCursor, [k]: next.id } });
  } else if (top.kind === 'output') {
    scrollOutput(a, dy);
  } else if (top.kind === 'session') {
    a.scroll(-dy);
  } else if (top.kind === 'help') {
    a.set({ helpScroll: Math.max(0, ui.helpScroll + dy) });
  } else if (top.kind === 'diff') {
    scrollDiff(a, dy);
  }
}

export const NAVIGATION_BINDINGS = [
  bind({
    id: 'up',
    keys: ['up', 'k'],
    description: "move up; in a session, a diff or a worker's output, scroll back a line",
    layers: ['fleet', 'node', 'session', 'help', 'diff', 'workers', 'output'],
    when: always,
    run: (a, c) => move(a, c, 0, -1),
  }),
  bind({
    id: 'down',
    keys: ['down', 'j'],
    description: "move down; in a session, a diff or a worker's output, scroll forward a line",
    layers: ['fleet', 'node', 'session', 'help', 'diff', 'workers', 'output'],
    when: always,
    run: (a, c) => move(a, c, 0, 1),
  }),
  bind({
    id: 'left',
    keys: ['left', 'h'],
    description: 'move left',
    layers: ['fleet'],
    when: always,
    run: (a, c) => move(a, c, -1, 0),
  }),
  bind({
    id: 'right',
    keys: ['right', 'l'],
    description: 'move right',
    layers: ['fleet'],
    when: always,
    run: (a, c) => move(a, c, 1, 0),
  }),
  bind({
    id: 'page-up',
    keys: ['pageup', 'ctrl+b'],
    description: "scroll back a page (scrollback, help, diff, a worker's output)",
    layers: ['session', 'help', 'diff', 'output'],
    when: always,
    run: (a, c) =>
      c.top.kind === 'help'
        ? a.set({ helpScroll: Math.max(0, c.ui.helpScroll - 10) })
        : c.top.kind === 'diff'
          ? scrollDiff(a, -a.diffRows())
          : c.top.kind === 'output'
            ? scrollOutput(a, -a.outputRows())
            : a.scroll(a.pageRows()),
  }),
  bind({
    id: 'page-down',
    keys: ['pagedown', 'ctrl+f'],
    description: 'scroll forward a page',
    layers: ['session', 'help', 'diff', 'output'],
    when: always,
    run: (a, c) =>
      c.top.kind === 'help'
        ? a.set({ helpScroll: c.ui.helpScroll + 10 })
        : c.top.kind === 'diff'
          ? scrollDiff(a, a.diffRows())
          : c.top.kind === 'output'
            ? scrollOutput(a, a.outputRows())
            : a.scroll(-a.pageRows()),
  }),
  bind({
    id: 'bottom',
    keys: ['end', 'G'],
    description: "back to the live screen; in a worker's output, to its end, following what comes",
    layers: ['session', 'output'],
    when: (c) => {
      const top = c.top;
      if (top.kind === 'output') return top.follow ? 'already following the end of its output' : { ...c, top };
      return c.ui.scroll === 0 ? 'already at the live screen' : c;
    },
    run: (a, { top }) => (top.kind === 'output' ? a.replaceTop({ ...top, follow: true }) : a.set({ scroll: 0 })),
  }),
  bind({
    id: 'open',
    keys: ['enter'],
    description: 'open the node or session in focus',
    layers: ['fleet', 'node'],
    hint: 'open',
    when: (c) => {
      const { node, session } = c;
      if (c.top.kind === 'fleet') return node ? { ...c, node, session: null } : 'no node to open';
      return node && session ? { ...c, node, session } : 'no session to open';
    },
    run: (a, { node, session, ui }) =>
      session
        ? a.set({
            scroll: 0,
            sessionCursor: { ...ui.sessionCursor, [node]: session.id },
            stack: [...ui.stack, { kind: 'session', node, session: session.id }],
          })
        : a.set({ nodeCursor: node, stack: [...ui.stack, { kind: 'node', node }] }),
  }),
  bind({
    id: 'back',
    keys: ['escape'],
    description: 'close or go back one level; on the fleet view, clear the filter',
    layers: ['fleet', 'node', 'session', 'help', 'diff', 'workers', 'output'],
    hint: 'back',
    when: (c) => (c.top.kind === 'fleet' && c.ui.filter === '' ? 'already at the fleet view' : c),
    run: (a, c) => (c.top.kind === 'fleet' ? a.set({ filter: '' }) : a.pop()),
  }),
  bind({
    id: 'help',
    keys: ['?'],
    description: 'show or hide this help',
    layers: ['fleet', 'node', 'session', 'help', 'diff', 'workers', 'output'],
    hint: 'help',
    when: always,
    run: (a, c) =>
      c.top.kind === 'help' ? a.pop() : a.set({ helpScroll: 0, stack: [...c.ui.stack, { kind: 'help' }] }),
  }),
  bind({
    id: 'filter',
    keys: ['/'],
    description: 'filter by text over node, session and task',
    layers: ['fleet', 'node'],
    hint: 'filter',
    when: always,
    run: (a, c) => openPrompt(a, c, 'filter', 'filter', c.ui.filter),
  }),
];
