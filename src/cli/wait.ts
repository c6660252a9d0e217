/**
 * `agency wait <session> [--until done|input]`: exit 0 done, 3 needs input, 4 timeout, 1 failed.
 * Survives the node's link dropping.
 */
import { isLive, type SessionSummary } from '../protocol/messages.js';
import { safeLine } from '../terminal/index.js';
import { EXIT, printJson, say, UserError } from './output.js';
import { nodesOf, withCockpit } from './with-cockpit.js';

export const WAIT_EXIT = { done: 0, failed: 1, input: 3, timeout: 4 } as const;

export type WaitUntil = 'done' | 'input';

/**
 * How `wait` ends for a session as it is now, or null to keep waiting. A session is done when it is idle or
 * has exited, and failed when it failed. `until: 'done'` waits on through a decision (the operator may answer
 * it elsewhere); `until: 'input'` ends as soon as the session needs input: it shows a prompt, or one of its
 * decisions is open. A session the API left waiting (rate-limited, overloaded: `needs-input` with a reason
 * and no decision) ends either wait with 3: no answer is on its way, someone has to act.
 */
export function verdict(
  s: Pick<SessionSummary, 'state' | 'openDecisions' | 'reason'>,
  until: WaitUntil,
): number | null {
  if (!isLive(s)) return s.state === 'failed' ? WAIT_EXIT.failed : WAIT_EXIT.done;
  if (s.state === 'needs-input' && s.reason !== null && s.openDecisions === 0) return WAIT_EXIT.input;
  if (s.state === 'needs-input' || s.openDecisions > 0) return until === 'input' ? WAIT_EXIT.input : null;
  return s.state === 'idle' ? WAIT_EXIT.done : null;
}

export async function wait(session: string, o: { until?: string; timeout?: string; json?: boolean }): Promise<void> {
  const until = (o.until ?? 'done') as WaitUntil;
  if (until !== 'done' && until !== 'input') throw new UserError('--until takes done or input', EXIT.usage);
  const timeout = o.timeout === undefined ? null : Number(o.timeout);
  if (timeout !== null && !(timeout > 0)) throw new UserError('--timeout takes a number of seconds', EXIT.usage);
  const last = await withCockpit({ live: true, ...nodesOf(session) }, async (c) => {
    const target = await c.findSession(session);
    return new Promise<{ s: SessionSummary; code: number }>((resolve) => {
      let latest = target;
      const timer =
        timeout === null ? null : setTimeout(() => resolve({ s: latest, code: WAIT_EXIT.timeout }), timeout * 1000);
      const check = (s: SessionSummary) => {
        latest = s;
        const v = verdict(s, until);
        if (v !== null) {
          if (timer) clearTimeout(timer);
          resolve({ s, code: v });
        }
      };
      c.watch((e) => {
        if (e.kind === 'session' && e.session.id === target.id && e.session.node === target.node) check(e.session);
      });
      check(target);
    });
  });
  if (o.json)
    printJson({ session: last.s.id, node: last.s.node, state: last.s.state, reason: last.s.reason, exit: last.code });
  else
    say(
      `${last.s.id} ${last.code === WAIT_EXIT.timeout ? 'still ' : ''}${last.s.state}${last.s.reason ? `: ${safeLine(last.s.reason)}` : ''}`,
    );
  process.exitCode = last.code;
}
