/** The operator's side of the cockpit's state: focus, selection, filter, the message line. Not fleet state. */
import type { Layer } from './layers.js';

export type MessageTone = 'info' | 'error' | 'why';

export interface UiState {
  /** bottom is always the fleet */
  readonly stack: readonly Layer[];
  /** the node tile in focus on the fleet view */
  readonly nodeCursor: string | null;
  /** by node: the session in focus on that node's view */
  readonly sessionCursor: Readonly<Record<string, string>>;
  /** by `node/session`: the worker in focus in that session's workers list */
  readonly workerCursor: Readonly<Record<string, string>>;
  /** tiles per row of the grid as last laid out (up and down move by this much) */
  readonly columns: number;
  readonly filter: string;
  /** lines scrolled back from the live bottom of the session pane */
  readonly scroll: number;
  readonly helpScroll: number;
  readonly message: { readonly text: string; readonly tone: MessageTone } | null;
  /** ring the terminal bell when something needs the operator (a decision, a budget, a failure) */
  readonly bell: boolean;
  /** the repository and discipline of the last task started: the next new-task form starts from them */
  readonly taskDefaults: { readonly repo: string; readonly discipline: string } | null;
}

export const initialUi = (bell = false): UiState => ({
  stack: [{ kind: 'fleet' }],
  nodeCursor: null,
  sessionCursor: {},
  workerCursor: {},
  columns: 1,
  filter: '',
  scroll: 0,
  helpScroll: 0,
  message: null,
  bell,
  taskDefaults: null,
});
