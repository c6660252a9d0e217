/** The terminal layer: a headless screen per session, and safe ways to show what a session printed. */
export { HeadlessScreen, MAX_SCROLLBACK } from './screen.js';
export type { HeadlessScreenOptions } from './screen.js';
export { safeText, safeLine, truncateCodePoints } from './sanitize.js';
export { Emitter } from '../protocol/events.js';
export { renderStyledLine, renderSnapshotAnsi, sgr, MAX_COLS, MAX_ROWS } from './render.js';
export { isAllowedResponse } from './responses.js';
export { stringWidth } from './unicode-width.js';
export type { Chunk } from './feed-queue.js';
export type {
  CellStyle,
  Color,
  CursorState,
  Disposable,
  InputModes,
  ScreenSnapshot,
  StyledLine,
  StyledRun,
} from './types.js';
