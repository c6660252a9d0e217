/**
 * The prompts on one session's screen that no rule answers (a permission prompt whose hook failed, a question
 * Claude asks): put to the operator as a decision once one has stayed a while with no PermissionRequest hook at
 * work, and answered on the screen with the keys of the operator's choice.
 */
import { RemoteError } from '../protocol/connection.js';
import type { SessionState } from '../protocol/messages.js';
import type { DialogSeen } from '../session/dialogs.js';
import type { Decisions } from './decisions.js';

/** What this needs of the session's running process: the dialog on its screen, key presses, its state. */
export interface DialogScreen {
  visibleDialog(): DialogSeen | null;
  press(keys: string[]): Promise<void>;
  setState(state: SessionState, extra?: { activity?: string }): void;
}

export type ScreenDecisions = Pick<Decisions, 'open' | 'openFor' | 'withdraw' | 'isWaited' | 'retarget'>;

export interface ScreenAnswersOptions {
  node: string;
  session: string;
  /** the session's running process, or null when it has none */
  screen: () => DialogScreen | null;
  decisions: ScreenDecisions;
  /**
   * Claude Code shows a permission prompt and runs the PermissionRequest hook at the same time. A prompt on the
   * screen is put to the operator only if it is still there this long after, with no hook at work.
   */
  graceMs?: number;
}

const SCREEN_GRACE_MS = 1500;

export class ScreenAnswers {
  private hooksInFlight = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: ScreenAnswersOptions) {}

  /** A prompt for the operator appeared on the screen, changed, or went (null). */
  seen(seen: DialogSeen | null): void {
    if (seen === null) {
      for (const d of this.o.decisions.openFor(this.o.session).filter((x) => x.source === 'screen'))
        this.o.decisions.withdraw(d.id, 'the prompt was answered without the operator');
      return;
    }
    this.arm();
  }

  /** Answers a PermissionRequest hook with `answer`: while one is at work, a prompt on the screen is the hook's. */
  async duringHook<T>(answer: () => Promise<T>): Promise<T> {
    this.hooksInFlight += 1;
    try {
      return await answer();
    } finally {
      this.hooksInFlight -= 1;
      // a prompt still showing a while after the last hook is done is the operator's to answer
      if (this.hooksInFlight === 0 && this.o.screen()?.visibleDialog()?.keys === null) this.arm();
    }
  }

  /** The session ended: nothing on its screen is to be answered any more. */
  ended(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Carries out the operator's answer to a decision that the screen answers: `settle` records it, then the keys
   * for it are pressed and the session is working again. A prompt that has no option for this answer (approving
   * a question that offers no "Yes") is refused before anything is recorded: the decision stays open, the
   * session keeps waiting, and the error says what the operator can do instead.
   */
  answer<T>(approve: boolean, settle: () => T): T {
    const screen = this.o.screen();
    const seen = screen?.visibleDialog() ?? null;
    const theirs = seen !== null && seen.keys === null ? seen : null;
    const keys = theirs ? theirs.answer(approve) : null;
    if (theirs && keys === null)
      throw new RemoteError(
        'conflict',
        `the prompt on session ${this.o.session}'s screen (${theirs.rule}${theirs.details?.question ? `: ${JSON.stringify(theirs.details.question)}` : ''}) has no option that ${approve ? 'approves' : 'denies'}; ${approve ? 'deny the decision to dismiss it' : 'approve the decision'}, or answer it in the session's terminal`,
      );
    const settled = settle();
    if (screen && keys) {
      void screen.press(keys);
      screen.setState('working');
    }
    return settled;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.recheck();
    }, this.o.graceMs ?? SCREEN_GRACE_MS);
  }

  private recheck(): void {
    const screen = this.o.screen();
    const seen = screen?.visibleDialog() ?? null;
    if (!screen || !seen || seen.keys !== null || this.hooksInFlight > 0 || this.timer) return;
    const { decisions } = this.o;
    const open = decisions.openFor(this.o.session);
    if (open.length === 0) {
      const tool = seen.details?.tool ?? 'unknown';
      const summary =
        seen.details?.command ?? seen.details?.file ?? seen.details?.url ?? seen.details?.question ?? seen.rule;
      decisions.open({
        node: this.o.node,
        session: this.o.session,
        tool,
        summary,
        input: seen.details ?? {},
        source: 'screen',
      });
    } else {
      // a hook's decision whose hook has gone (Claude Code's timeout): now the screen answers it
      for (const d of open) if (d.source === 'hook' && !decisions.isWaited(d.id)) decisions.retarget(d.id, 'screen');
    }
    screen.setState('needs-input', { activity: `waiting for the operator: ${seen.details?.question ?? seen.rule}` });
  }
}
