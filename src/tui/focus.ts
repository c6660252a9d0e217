/**
 * Whether the operator's terminal has focus, as the terminal reports it (DECSET 1004: `ESC [ ? 1004 h` asks
 * for reports, answered with `ESC [ I` on focus and `ESC [ O` on its loss; tmux passes them on with
 * `focus-events on`). The reports arrive on stdin with the keys: they are taken here and never seen as keys.
 * A terminal that sends none is taken as focused (and `agency notify` does not count on such a cockpit).
 *
 * ink hands over what one read of stdin gave: a report read together with an ESC before it arrives as
 * `ESC ESC [ O` (taken too), but one split across two reads, or glued to a key pressed in the same instant,
 * is not recognised and reaches the controller as keys; both are rare, and the next report corrects the
 * state.
 */
import { Emitter } from '../protocol/events.js';

export const FOCUS_REPORTS_ON = '\x1b[?1004h';
export const FOCUS_REPORTS_OFF = '\x1b[?1004l';
const FOCUS_IN = '\x1b[I';
const FOCUS_OUT = '\x1b[O';
/** the same, read after an ESC (ink gives the two as one sequence, as it would a meta key) */
const REPORTS: Record<string, boolean> = {
  [FOCUS_IN]: true,
  [FOCUS_OUT]: false,
  [`\x1b${FOCUS_IN}`]: true,
  [`\x1b${FOCUS_OUT}`]: false,
};

export class FocusReports {
  private state: boolean | null = null;
  private readonly changes = new Emitter<void>();

  /** Whether `seq` (one sequence read from the terminal) is a focus report; if it is, it is taken. */
  take(seq: string | undefined): boolean {
    if (seq === undefined || !Object.hasOwn(REPORTS, seq)) return false;
    const focused = REPORTS[seq]!;
    if (focused !== this.state) {
      this.state = focused;
      this.changes.emit();
    }
    return true;
  }

  /** Focused, unless the terminal said it is not. */
  focused(): boolean {
    return this.state !== false;
  }

  /** What the terminal said: true, false, or null while it has said nothing. */
  reported(): boolean | null {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    const sub = this.changes.on(listener);
    return () => sub.dispose();
  }
}
