/** The plain, serializable shapes the headless screen hands out: nothing here carries raw stream bytes. */

/** A palette index 0-255 (0-7 normal, 8-15 bright, 16-255 the xterm cube and greys) or a true colour. */
export type Color = number | `#${string}`;

/** The visible attributes of a run of cells; absent means off / the terminal's default colour. */
export interface CellStyle {
  fg?: Color;
  bg?: Color;
  bold?: true;
  dim?: true;
  italic?: true;
  underline?: true;
  inverse?: true;
  /** SGR 8: the program asked for this text to be hidden (password echo, for instance) */
  invisible?: true;
  strikethrough?: true;
}

/** Cells of one row that share a style. `text` holds printable characters only; `width` is the columns it covers. */
export interface StyledRun {
  text: string;
  width: number;
  style: CellStyle;
}

/** One screen row, left to right, with trailing blank default-styled cells left out. */
export type StyledLine = StyledRun[];

export interface CursorState {
  /** column, 0-based, always inside the screen (a pending wrap at the right margin reads as the last column) */
  x: number;
  /** row of the visible screen, 0-based */
  y: number;
  visible: boolean;
}

/** What a pane needs to repaint itself: JSON-safe, and treated as untrusted when rendered back to ANSI. */
export interface ScreenSnapshot {
  cols: number;
  rows: number;
  cursor: CursorState;
  lines: StyledLine[];
}

/** DEC modes that change what the program expects on its input. */
export interface InputModes {
  /** DECCKM: arrows as `ESC O A` rather than `ESC [ A` */
  applicationCursorKeys: boolean;
  /** DECKPAM */
  applicationKeypad: boolean;
  /** mode 2004: wrap pastes in `ESC [ 200 ~` … `ESC [ 201 ~` */
  bracketedPaste: boolean;
  /** mode 1004: the program wants focus in/out reports */
  sendFocus: boolean;
  mouseTracking: 'none' | 'x10' | 'vt200' | 'drag' | 'any';
}

export type { Disposable } from '../protocol/events.js';
