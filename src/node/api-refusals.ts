/**
 * A session the API refused (session/api-trouble.ts reads it from Claude Code's StopFailure hook, its transcript
 * and its screen): the one-line reason that names the cause and the fix, and what becomes of the session. A
 * refused or missing key or login, no credit, or an unknown model ends it (`failed`): every turn would fail
 * the same way. A rate limit, an overload or a refused request leaves it waiting for the operator
 * (`needs-input` with the reason), its conversation kept, until they send it a line or stop it.
 */
import type { NodeInfo } from '../protocol/messages.js';
import { endsSession, type ApiTrouble } from '../session/api-trouble.js';
import type { Session } from '../session/session.js';

export interface RefusalContext {
  /** the node's info: its name, and how its sessions reach the API (auth) */
  info: Pick<NodeInfo, 'name' | 'auth'>;
  /** the node's node.env, where a key goes */
  nodeEnvFile: string;
  session: string;
  model: string | null;
}

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
    case 'server':
      return `the API could not answer (overloaded, failing or out of reach) and Claude Code's retries ran out ${said}: ${send} to try again, or ${stop}`;
    default:
      return `the API refused this session's last request ${said}: send it a line to go on (${send}), or ${stop}`;
  }
}

/** What this needs of the session's running process. */
export type RefusedSession = Pick<Session, 'fail' | 'block'>;

/** Carries a trouble seen for one session (from any of its witnesses) to the session, with its reason. */
export class ApiRefusals {
  constructor(
    private readonly node: Pick<RefusalContext, 'info' | 'nodeEnvFile'>,
    private readonly record: { id: string; model: string | null },
    private readonly session: () => RefusedSession | null,
  ) {}

  seen(t: ApiTrouble): void {
    const s = this.session();
    if (!s) return;
    const { info, nodeEnvFile } = this.node;
    const reason = refusalReason(t, { info, nodeEnvFile, session: this.record.id, model: this.record.model });
    if (endsSession(t.kind)) s.fail(reason);
    else s.block(reason);
  }
}
