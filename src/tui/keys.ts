/**
 * The key table: every command of the cockpit as data. The dispatcher, the help overlay, the footer hints
 * and the README's key table are all made from it, so they cannot drift. `disabledReason` says why a
 * command does nothing right now (lazygit's GetDisabledReason); null means it is enabled.
 */
import type { Decision, FleetState, LinkState, SessionSummary } from '../cockpit/types.js';
import type { Layer, LayerKind } from './layers.js';
import type { UiState } from './ui-state.js';

/** What a binding can see to decide whether it applies now. */
export interface KeyContext {
  readonly fleet: FleetState;
  readonly ui: UiState;
  readonly top: Layer;
  /** the node in focus: the tile on the fleet view, the node of a node or session view */
  readonly node: string | null;
  readonly link: LinkState | null;
  /** the session in focus: the selected row of a node view, the session of a session view */
  readonly session: SessionSummary | null;
  /** the decision in front of the operator: the focused session's oldest, or on the fleet view the tile's */
  readonly decision: Decision | null;
}

export type BindingId =
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'page-up'
  | 'page-down'
  | 'bottom'
  | 'open'
  | 'back'
  | 'help'
  | 'filter'
  | 'new-task'
  | 'send'
  | 'takeover'
  | 'pause'
  | 'resume'
  | 'stop'
  | 'interrupt'
  | 'approve'
  | 'deny'
  | 'emergency-stop'
  | 'bell'
  | 'quit'
  | 'release'
  | 'yes'
  | 'no'
  | 'submit'
  | 'cancel'
  | 'erase';

export interface Binding {
  readonly id: BindingId;
  /** key names: a character as typed (`a`, `G`, `?`), or up down left right pageup pagedown end enter escape backspace, or ctrl+x */
  readonly keys: readonly string[];
  readonly description: string;
  readonly layers: readonly LayerKind[];
  /** shown in the footer of these layers */
  readonly hint?: string;
  readonly disabledReason?: (c: KeyContext) => string | null;
}

const VIEWS: readonly LayerKind[] = ['fleet', 'node', 'session'];

const noSession = (c: KeyContext) =>
  c.session
    ? null
    : c.top.kind === 'fleet'
      ? 'no session in focus: open a node (Enter) and pick one'
      : 'no session in focus';
const nodeDown = (c: KeyContext) => (c.node && c.link !== 'up' ? `node ${c.node} is ${c.link ?? 'unknown'}` : null);
const ended = (c: KeyContext) =>
  c.session && (c.session.state === 'exited' || c.session.state === 'failed')
    ? `session ${c.session.id} has ${c.session.state}`
    : null;
const paused = (c: KeyContext) =>
  c.session?.state === 'paused' ? `session ${c.session.id} is paused: resume it first (r)` : null;
const liveSession = (c: KeyContext) => noSession(c) ?? nodeDown(c) ?? ended(c);
const noDecision = (c: KeyContext) => {
  if (c.decision) return nodeDown(c);
  if (c.session) return `session ${c.session.id} has no open decision`;
  if (c.node) return `node ${c.node} has no open decision`;
  return 'no decision in front of you';
};

export const BINDINGS: readonly Binding[] = [
  {
    id: 'up',
    keys: ['up', 'k'],
    description: 'move up; in a session, scroll back a line',
    layers: ['fleet', 'node', 'session', 'help'],
  },
  {
    id: 'down',
    keys: ['down', 'j'],
    description: 'move down; in a session, scroll forward a line',
    layers: ['fleet', 'node', 'session', 'help'],
  },
  { id: 'left', keys: ['left', 'h'], description: 'move left', layers: ['fleet'] },
  { id: 'right', keys: ['right', 'l'], description: 'move right', layers: ['fleet'] },
  {
    id: 'page-up',
    keys: ['pageup', 'ctrl+b'],
    description: 'scroll back a page (scrollback)',
    layers: ['session', 'help'],
  },
  { id: 'page-down', keys: ['pagedown', 'ctrl+f'], description: 'scroll forward a page', layers: ['session', 'help'] },
  {
    id: 'bottom',
    keys: ['end', 'G'],
    description: 'back to the live screen',
    layers: ['session'],
    disabledReason: (c) => (c.ui.scroll === 0 ? 'already at the live screen' : null),
  },
  {
    id: 'open',
    keys: ['enter'],
    description: 'open the node or session in focus',
    layers: ['fleet', 'node'],
    hint: 'open',
    disabledReason: (c) =>
      c.top.kind === 'fleet' ? (c.node ? null : 'no node to open') : c.session ? null : 'no session to open',
  },
  {
    id: 'back',
    keys: ['escape'],
    description: 'close or go back one level; on the fleet view, clear the filter',
    layers: ['fleet', 'node', 'session', 'help'],
    hint: 'back',
    disabledReason: (c) => (c.top.kind === 'fleet' && c.ui.filter === '' ? 'already at the fleet view' : null),
  },
  {
    id: 'help',
    keys: ['?'],
    description: 'show or hide this help',
    layers: ['fleet', 'node', 'session', 'help'],
    hint: 'help',
  },
  {
    id: 'filter',
    keys: ['/'],
    description: 'filter by text over node, session and task',
    layers: ['fleet', 'node'],
    hint: 'filter',
  },
  {
    id: 'new-task',
    keys: ['n'],
    description: 'start a new task on the node in focus',
    layers: VIEWS,
    hint: 'new task',
    disabledReason: (c) => (c.node ? nodeDown(c) : 'no node in focus'),
  },
  {
    id: 'send',
    keys: ['m'],
    description: 'send a line to the session (an input line opens)',
    layers: ['node', 'session'],
    hint: 'send',
    disabledReason: (c) => liveSession(c) ?? paused(c),
  },
  {
    id: 'takeover',
    keys: ['t'],
    description: "take over the session's keyboard: every key goes to it until Ctrl-]",
    layers: ['node', 'session'],
    hint: 'take over',
    disabledReason: (c) => liveSession(c) ?? paused(c),
  },
  {
    id: 'pause',
    keys: ['p'],
    description: 'pause the session (its whole process tree)',
    layers: ['node', 'session'],
    hint: 'pause',
    disabledReason: (c) =>
      liveSession(c) ?? (c.session?.state === 'paused' ? `session ${c.session.id} is already paused` : null),
  },
  {
    id: 'resume',
    keys: ['r'],
    description: 'resume a paused session',
    layers: ['node', 'session'],
    hint: 'resume',
    disabledReason: (c) =>
      liveSession(c) ??
      (c.session && c.session.state !== 'paused'
        ? `session ${c.session.id} is not paused (it is ${c.session.state})`
        : null),
  },
  {
    id: 'stop',
    keys: ['s'],
    description: 'stop the session (asks first)',
    layers: ['node', 'session'],
    hint: 'stop',
    disabledReason: liveSession,
  },
  {
    id: 'interrupt',
    keys: ['i'],
    description: "interrupt the session's current turn (as Esc does in Claude Code)",
    layers: ['node', 'session'],
    hint: 'interrupt',
    disabledReason: (c) => liveSession(c) ?? paused(c),
  },
  {
    id: 'approve',
    keys: ['a'],
    description: 'approve the decision in front of you',
    layers: VIEWS,
    hint: 'approve',
    disabledReason: noDecision,
  },
  {
    id: 'deny',
    keys: ['d'],
    description: 'deny the decision in front of you',
    layers: VIEWS,
    hint: 'deny',
    disabledReason: noDecision,
  },
  {
    id: 'emergency-stop',
    keys: ['X'],
    description: 'emergency stop: stop every live session on every node (asks first)',
    layers: VIEWS,
    disabledReason: (c) => (c.fleet.health.live === 0 ? 'no live session on any node' : null),
  },
  { id: 'bell', keys: ['B'], description: 'ring the terminal bell when a decision opens (on/off)', layers: VIEWS },
  {
    id: 'quit',
    keys: ['q', 'ctrl+c'],
    description: 'quit the cockpit (the sessions go on running)',
    layers: VIEWS,
    hint: 'quit',
  },
  {
    id: 'release',
    keys: ['ctrl+]'],
    description: 'give the keyboard back (every other key goes to the session)',
    layers: ['takeover'],
    hint: 'release',
  },
  { id: 'yes', keys: ['y', 'enter'], description: 'confirm', layers: ['confirm'], hint: 'yes' },
  { id: 'no', keys: ['n', 'escape'], description: 'cancel', layers: ['confirm'], hint: 'no' },
  { id: 'submit', keys: ['enter'], description: 'send what you typed', layers: ['prompt'], hint: 'send' },
  { id: 'cancel', keys: ['escape'], description: 'cancel the input line', layers: ['prompt'], hint: 'cancel' },
  { id: 'erase', keys: ['backspace'], description: 'erase the last character', layers: ['prompt'] },
];

/** The binding of a key on a layer, if any. */
export function bindingFor(layer: LayerKind, key: string): Binding | undefined {
  return BINDINGS.find((b) => b.layers.includes(layer) && b.keys.includes(key));
}

const LABELS: Record<string, string> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  end: 'End',
  home: 'Home',
  enter: 'Enter',
  escape: 'Esc',
  backspace: 'Backspace',
  tab: 'Tab',
};

/** How a key is written for people: `↑`, `Enter`, `Ctrl-]`. */
export function keyLabel(key: string): string {
  if (key.startsWith('ctrl+')) return `Ctrl-${key.slice(5).toUpperCase()}`;
  return LABELS[key] ?? key;
}

export function keysLabel(b: Binding): string {
  return b.keys.map(keyLabel).join(' ');
}

export const LAYER_NAMES: Record<LayerKind, string> = {
  fleet: 'fleet',
  node: 'node',
  session: 'session',
  help: 'help',
  prompt: 'input line',
  confirm: 'confirm',
  takeover: 'takeover',
};
