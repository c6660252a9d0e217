/**
 * A session the API refused (session/api-trouble.ts reads it from Claude Code's StopFailure hook, its transcript
 * and its screen): the one-line reason that names the cause and the fix, and what becomes of the session. A
 * refused or missing key or login, no credit, or an unknown model ends it (`failed`): every turn would fail
 * the same way. An API that could not answer (overloaded, failing, out of reach: it passes) is sent on by the
 * node a few times, waiting longer each time, the session still at work and its activity saying so; Claude
 * Code's own retries are capped at a few seconds (session-env.ts), so these carry it through a longer outage.
 * A rate limit, a refused request, or an outage that outlasts those tries leaves it waiting for the operator
 * (`needs-input` with the reason), its conversation kept, until they send it a line or stop it.
 */
import { isLive, type NodeInfo } from '../protocol/messages.js';
import { endsSession, type ApiTrouble } from '../session/api-trouble.js';
import type { Session } from '../session/session.js';

export interface RefusalContext {
  /** the node's info: its name, and how its sessions reach the API (auth) */
  info: Pick<NodeInfo, 'name' | 'auth'>;
  /** the node's node.env, where a key goes */
  nodeEnvFile: string;
  session: string;
  model: string | null;
  /** how many times the node sent it on already, for an outage */
  sentOn?: number;
}

/** How long the node waits before each time it sends on a session the API could not answer, in seconds. */
export const SEND_ON_AFTER_S = [10, 30, 60, 120];

/** How often a paused session is looked at again, to be sent on once resumed. */
const PAUSED_MS = 5000;

/** The line the node sends it on with. */
export const SEND_ON_LINE =
  'The API could not answer a moment ago (agency sent this). Continue the task from where you left off.';

const RESTART = '`agency node stop` there (the next agency command starts the node with it)';

/** The status, the error's name, and Claude Code's words in quotes: they are quoted, not agency's own. */
function what(t: ApiTrouble): string {
  const code = [t.status, t.error !== 'unknown' ? t.error : null].filter((x) => x !== null).join(' ');
  const said = t.message ? JSON.stringify(t.message) : 'no message';
  return code ? `${code}: ${said}` : said;
}

/** Why the session stopped or waits, and what to do about it, in one line; never a credential. */
export function refusalReason(t: ApiTrouble, c: RefusalContext): string {
  const said = `(${what(t)})`;
  const send = `\`agency send ${c.session} continue\``;
  const stop = `\`agency stop ${c.session}\``;
  switch (t.kind) {
    case 'auth': {
      const auth = c.info.auth;
      if (auth?.key)
        return `the API refused node ${c.info.name}'s key ${said}: set a valid ANTHROPIC_API_KEY in ${c.nodeEnvFile} and run ${RESTART}`;
      if (auth?.login)
        return `the API refused the Claude Code login of node ${c.info.name}'s user ${said}: log in again there (run claude, then /login), or set ANTHROPIC_API_KEY in ${c.nodeEnvFile} and run ${RESTART}`;
      return `node ${c.info.name} has no API key and no Claude Code login ${said}: set ANTHROPIC_API_KEY in ${c.nodeEnvFile} and run ${RESTART}, or log in to Claude Code there (run claude, then /login)`;
    }
    case 'billing':
      return `the API account has no credit left ${said}: add credit to it (console.anthropic.com), then run the task again`;
    case 'model':
      return `the API has no model ${c.model ?? '(the default)'} for this account ${said}: run the task again with another --model`;
    case 'rate-limit':
      return `the API rate-limited this session and Claude Code's retries ran out ${said}: once the limit resets, ${send}; or ${stop}`;
    case 'server': {
      const tries = c.sentOn ? `, and the node sent it on ${c.sentOn} times over ${minutes(c.sentOn)}` : '';
      return `the API could not answer (overloaded, failing or out of reach): Claude Code's retries ran out${tries} ${said}: ${send} to try again, or ${stop}`;
    }
    default:
      return `the API refused this session's last request ${said}: send it a line to go on (${send}), or ${stop}`;
  }
}

const minutes = (tries: number) => {
  const s = SEND_ON_AFTER_S.slice(0, tries).reduce((a, b) => a + b, 0);
  return s < 60 ? `${s} s` : `${Math.round(s / 60)} min`;
};

/** What this needs of the session's running process. */
export type RefusedSession = Pick<Session, 'fail' | 'block' | 'setState' | 'sendLine' | 'current'>;

/**
 * Carries a trouble seen for one session (from any of its witnesses) to the session, with its reason; sends the
 * session on after an outage, unless a prompt goes in first (`moved`), until a turn ends well (`settled`) or
 * the tries run out.
 */
export class ApiRefusals {
  private sentOn = 0;
  private pending: NodeJS.Timeout | null = null;

  constructor(
    private readonly node: Pick<RefusalContext, 'info' | 'nodeEnvFile'>,
    private readonly record: { id: string; model: string | null },
    private readonly session: () => RefusedSession | null,
    /**
     * A rate limit (429): the node pauses new starts. Claude Code records no retry time for a session (its
     * transcript, hook and screen name none once its retries ran out), so none is passed.
     */
    private readonly rateLimited?: (retryMs: number | null) => void,
  ) {}

  /** The node is about to send the session on: it is not idle, whatever Claude Code's screen says. */
  get sendingOn(): boolean {
    return this.pending !== null;
  }

  seen(t: ApiTrouble): void {
    const s = this.session();
    // only a session running now pauses the node: a 429 read again from an ended session's history does not
    if (!s) return;
    if (t.kind === 'rate-limit') this.rateLimited?.(null);
    if (this.pending) return;
    const { info, nodeEnvFile } = this.node;
    const c = { info, nodeEnvFile, session: this.record.id, model: this.record.model, sentOn: this.sentOn };
    if (endsSession(t.kind)) s.fail(refusalReason(t, c));
    else if (t.kind === 'server' && this.sentOn < SEND_ON_AFTER_S.length) this.sendOnLater(s, t);
    else s.block(refusalReason(t, c));
  }

  /** A turn ended well: the next outage gets its tries anew. */
  settled(): void {
    this.sentOn = 0;
  }

  private sendOnLater(s: RefusedSession, t: ApiTrouble): void {
    const wait = SEND_ON_AFTER_S[this.sentOn]!;
    this.sentOn += 1;
    const at = new Date(Date.now() + wait * 1000).toISOString().slice(11, 19);
    const activity = `the API could not answer (${what(t)}); agency sends it on at ${at} UTC (try ${this.sentOn} of ${SEND_ON_AFTER_S.length})`;
    s.setState('working', { activity });
    this.arm(wait * 1000);
  }

  /** A new prompt went in (the operator's, or the node's own): there is nothing left to send it on for. */
  moved(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = null;
  }

  private arm(ms: number): void {
    this.pending = setTimeout(() => {
      this.pending = null;
      const now = this.session();
      if (!now || !isLive(now.current.state)) return;
      // paused: it is sent on once resumed
      if (now.current.state === 'paused') return this.arm(PAUSED_MS);
      void now.sendLine(SEND_ON_LINE);
    }, ms);
    this.pending.unref();
  }
}
