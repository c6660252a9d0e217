/**
 * How a session that was live when its node stopped comes back when the node starts again: Claude Code's own
 * resume (`claude --resume <id>`, the same conversation) for every one whose claude ran, but a new turn only for a session that
 * was at work. An idle session is brought back with no prompt, so it costs nothing and stays idle; a paused one
 * also, and paused again. A queued session never started: it waits its turn again. Ended sessions stay as they
 * were.
 */
import { isLive, type SessionState } from '../protocol/messages.js';

export const RESUME_PROMPT =
  'agency restarted this session after an interruption. Continue the task from where you left off.';

/** How a session's claude is started: with a prompt, or waiting; paused or not. */
export interface LaunchPlan {
  /** the turn to start it with, or null to bring it back waiting (idle once claude is ready) */
  prompt: string | null;
  /** pause it again as soon as it is back */
  pause: boolean;
}

/** At work: a turn was under way, or waiting on the operator mid-turn. */
const AT_WORK: readonly SessionState[] = ['starting', 'working', 'needs-input'];

/** A new session: its task is its first prompt. */
export const startWith = (task: string): LaunchPlan => ({ prompt: task, pause: false });

/** What a session brought back with no prompt shows it is doing once it is ready. */
export const BACK_IDLE = 'back after the node restarted; waiting for input';

/**
 * How a session in `state` when the node stopped comes back; null for one that ended. A queued one never ran
 * its claude: it waits its turn again (`queue-again`) and then starts anew with its task (`--session-id`).
 */
export function comebackFor(state: SessionState): LaunchPlan | 'queue-again' | null {
  if (!isLive(state)) return null;
  if (state === 'queued') return 'queue-again';
  if (AT_WORK.includes(state)) return { prompt: RESUME_PROMPT, pause: false };
  return { prompt: null, pause: state === 'paused' };
}
