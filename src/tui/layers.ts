/**
 * Focus as a stack of layers: the fleet at the bottom, a node and a session above it, and overlays (help,
 * an input line, the new-task form, a session's diff, a confirmation, a takeover) on top. Only the top layer
 * receives keys; Escape pops it.
 */
import type { DiffLine } from './diff-lines.js';

export type PromptPurpose = 'send' | 'filter';

/** The new-task form's fields, in the order Tab visits them. */
export const FORM_FIELDS = ['task', 'repo', 'discipline', 'node'] as const;
export type FormField = (typeof FORM_FIELDS)[number];

export interface TaskForm {
  kind: 'form';
  field: FormField;
  task: string;
  repo: string;
  /** '' for the best match of the task */
  discipline: string;
  /** null for the least loaded reachable node */
  node: string | null;
  /** started, waiting for the node's answer: the form stays (and keeps what was typed) until it comes */
  busy: boolean;
}

export interface DiffLayer {
  kind: 'diff';
  node: string;
  session: string;
  /** null while the node's answer is on its way */
  lines: readonly DiffLine[] | null;
  /** the first line shown */
  scroll: number;
}

export type Layer =
  | { kind: 'fleet' }
  | { kind: 'node'; node: string }
  | { kind: 'session'; node: string; session: string }
  | { kind: 'help' }
  | { kind: 'prompt'; purpose: PromptPurpose; title: string; text: string; node?: string; session?: string }
  | TaskForm
  | DiffLayer
  | { kind: 'confirm'; message: string; onYes: () => void }
  | { kind: 'takeover'; node: string; session: string };

export type LayerKind = Layer['kind'];

export const LAYER_KINDS: readonly LayerKind[] = [
  'fleet',
  'node',
  'session',
  'help',
  'prompt',
  'form',
  'diff',
  'confirm',
  'takeover',
];

/** The view under the overlays: what the body of the screen shows. */
export type BaseLayer = Extract<Layer, { kind: 'fleet' | 'node' | 'session' }>;

export function baseLayer(stack: readonly Layer[]): BaseLayer {
  for (let i = stack.length - 1; i >= 0; i--) {
    const l = stack[i]!;
    if (l.kind === 'fleet' || l.kind === 'node' || l.kind === 'session') return l;
  }
  return { kind: 'fleet' };
}

export function topLayer(stack: readonly Layer[]): Layer {
  return stack[stack.length - 1] ?? { kind: 'fleet' };
}
