/**
 * Focus as a stack of layers: the fleet at the bottom, a node and a session above it, and overlays (help,
 * an input line, the new-task form, a session's diff, a session's workers list, a worker's output, a
 * confirmation, a takeover) on top. Only the top layer receives keys; Escape pops it.
 */
import type { DiffLine } from './diff-lines.js';
import type { OutputLine } from './output-lines.js';
import type { Decision } from '../cockpit/types.js';

export type PromptPurpose = 'send' | 'filter' | 'amount';

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

/** Focus in a session's workers list, on the node or session view under it. */
export interface WorkersLayer {
  kind: 'workers';
  node: string;
  session: string;
}

/** A worker's output: its lines, then its result; asked of its node again while it is shown. */
export interface OutputLayer {
  kind: 'output';
  node: string;
  worker: string;
  /** null while the node's first answer is on its way */
  lines: readonly OutputLine[] | null;
  /** why the node's last answer could not be shown, if it could not */
  error: string | null;
  /** the first line shown, when not following */
  scroll: number;
  /** showing the end, and staying there as lines come (as `tail -f` does) */
  follow: boolean;
}

export type Layer =
  | { kind: 'fleet' }
  | { kind: 'node'; node: string }
  | { kind: 'session'; node: string; session: string }
  | { kind: 'help' }
  | {
      kind: 'prompt';
      purpose: PromptPurpose;
      title: string;
      text: string;
      node?: string;
      session?: string;
      /** the budget decision an amount answers */
      decision?: Decision;
    }
  | TaskForm
  | DiffLayer
  | WorkersLayer
  | OutputLayer
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
  'workers',
  'output',
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

/** The workers list in focus over the view under it (with anything above it, a question or the help), if any. */
export function workersLayer(stack: readonly Layer[]): WorkersLayer | null {
  for (let i = stack.length - 1; i >= 0; i--) {
    const l = stack[i]!;
    if (l.kind === 'workers') return l;
    if (l.kind === 'fleet' || l.kind === 'node' || l.kind === 'session') return null;
  }
  return null;
}

/** The worker output open over the view under it, if any (a question or the help may be above it). */
export function outputLayer(stack: readonly Layer[]): OutputLayer | null {
  for (let i = stack.length - 1; i >= 0; i--) {
    const l = stack[i]!;
    if (l.kind === 'output') return l;
    if (l.kind === 'fleet' || l.kind === 'node' || l.kind === 'session') return null;
  }
  return null;
}
