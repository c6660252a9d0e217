/**
 * What a binding is: a command of the cockpit as data (id, keys, description, layers, hint), with its
 * precondition and its handler side by side. The precondition either says why the command does nothing
 * right now (lazygit's GetDisabledReason) or hands the handler the context narrowed to what it needs, so
 * that a handler never runs on a focus it did not check.
 */
import type {
  CockpitPort,
  Decision,
  FleetState,
  LinkState,
  SessionSummary,
  StoreEvent,
  TaskTriage,
  WorkerSummary,
} from '../../cockpit/types.js';
import type { Layer, LayerKind } from '../layers.js';
import type { MessageTone, UiState } from '../ui-state.js';

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
  /** the worker in focus: the selected row of a workers list, or the one whose output is open */
  readonly worker: WorkerSummary | null;
}

/** What a handler may do: the controller's side of the cockpit, and nothing of its key dispatch. */
/** A discipline the operator can choose for a new task: from the registry the cockpit knows. */
export interface DisciplineChoice {
  readonly id: string;
  readonly title: string;
}

export interface Actions {
  readonly port: CockpitPort;
  /** the repository a new task works on by default (a path on the node it runs on, or a URL) */
  readonly repo: string;
  /** where the cockpit runs: a relative repository path is taken from here */
  readonly cwd: string;
  /** the disciplines the new-task form offers (it takes any other name typed, too) */
  readonly disciplines: readonly DisciplineChoice[];
  /** the organisation a task with no node chosen is placed by (its VP's node), or null: the least loaded node */
  readonly triage: TaskTriage | null;
  /** the fleet as it is now: a confirmed question may run well after the key that asked it */
  fleet(): FleetState;
  /** the UI as it is now: an answer may come after the operator moved on */
  ui(): UiState;
  set(patch: Partial<UiState>): void;
  say(text: string, tone?: MessageTone): void;
  push(l: Layer): void;
  pop(): void;
  replaceTop(l: Layer): void;
  /** asks a yes/no question; `onYes` runs on yes */
  confirm(message: string, onYes: () => void): void;
  /** shows a request's outcome on the message line and hands a session or decision it answered to the store */
  perform(what: string | null, p: Promise<unknown>, answer?: 'session' | 'decision'): void;
  /**
   * Waits for a request and shows its outcome on the message line: `ok` makes the message from the answer
   * (and may act on it); a failure, of the request or of `ok`, is shown after `failed`.
   */
  report<T>(p: Promise<T>, ok: (r: T) => string, failed: string): void;
  /** what a node answered, handed to the store and applied at once (a session started, one removed) */
  learn(e: StoreEvent): void;
  /** the lines a page of the diff view scrolls */
  diffRows(): number;
  /** the lines a page of a worker's output scrolls */
  outputRows(): number;
  /** scrolls the session pane back (positive) or forward, within its scrollback */
  scroll(by: number): void;
  /** the lines a page of the session pane scrolls */
  pageRows(): number;
  /** the operator's terminal, when known */
  terminalSize(): { columns: number; rows: number } | undefined;
  quit(): void;
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
  | 'erase'
  | 'diff'
  | 'merge'
  | 'clean-up'
  | 'workers'
  | 'worker-output'
  | 'stop-worker'
  | 'stop-run'
  | 'next-field'
  | 'previous-field'
  | 'next-choice'
  | 'previous-choice'
  | 'start';

/** The data of a binding: what the help, the footer and the README show. */
export interface BindingData {
  readonly id: BindingId;
  /** key names: a character as typed (`a`, `G`, `?`), or up down left right pageup pagedown end enter escape backspace tab shift+tab, or ctrl+x */
  readonly keys: readonly string[];
  readonly description: string;
  readonly layers: readonly LayerKind[];
  /** shown in the footer of these layers */
  readonly hint?: string;
}

export interface Binding extends BindingData {
  /** Why the command does nothing right now, or null when it is enabled. */
  disabledReason(c: KeyContext): string | null;
  /** Runs the command if it is enabled now, and returns null; otherwise returns why not, having done nothing. */
  run(a: Actions, c: KeyContext): string | null;
}

/** A precondition: why the command cannot run now, or the context narrowed to what its handler needs. */
export type Precondition<N extends object> = (c: KeyContext) => string | N;

export interface BindingSpec<N extends object> extends BindingData {
  readonly when: Precondition<N>;
  readonly run: (a: Actions, n: N) => void;
}

/** A binding from its data, its precondition and its handler; the handler only ever sees what `when` gave. */
export function bind<N extends object>(spec: BindingSpec<N>): Binding {
  const { when, run, ...data } = spec;
  return {
    ...data,
    disabledReason: (c) => {
      const n = when(c);
      return typeof n === 'string' ? n : null;
    },
    run: (a, c) => {
      const n = when(c);
      if (typeof n === 'string') return n;
      run(a, n);
      return null;
    },
  };
}
