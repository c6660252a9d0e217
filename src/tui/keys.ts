/**
 * The key table: every command of the cockpit as data, each carrying its precondition and its handler
 * (src/tui/bindings/). The dispatcher, the help overlay, the footer hints and the README's key table are
 * all made from it, so they cannot drift.
 */
import type { LayerKind } from './layers.js';
import type { Binding, BindingId } from './bindings/binding.js';
import { COMMAND_BINDINGS } from './bindings/commands.js';
import { LANDING_BINDINGS } from './bindings/landing.js';
import { NAVIGATION_BINDINGS } from './bindings/navigation.js';
import { FORM_BINDINGS } from './bindings/new-task.js';
import { OVERLAY_BINDINGS } from './bindings/overlays.js';
import { WORKER_BINDINGS } from './bindings/workers.js';

export type { Actions, Binding, BindingId, DisciplineChoice, KeyContext } from './bindings/binding.js';

/** In the order the help and the README list them. */
export const BINDINGS: readonly Binding[] = [
  ...NAVIGATION_BINDINGS,
  ...COMMAND_BINDINGS,
  ...LANDING_BINDINGS,
  ...WORKER_BINDINGS,
  ...OVERLAY_BINDINGS,
  ...FORM_BINDINGS,
];

/** The binding of an id. */
export function bindingById(id: BindingId): Binding {
  const b = BINDINGS.find((x) => x.id === id);
  if (!b) throw new Error(`no binding has the id ${id}`);
  return b;
}

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
  'shift+tab': 'Shift-Tab',
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
  form: 'new-task form',
  diff: 'diff',
  workers: 'workers list',
  output: 'worker output',
  confirm: 'confirm',
  takeover: 'takeover',
};
