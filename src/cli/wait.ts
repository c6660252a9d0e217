/** `agency wait <session>`: exit 0 done, 3 needs input, 4 timeout, 1 failed. */
import type { SessionSummary } from '../protocol/messages.js';
import { EXIT, printJson, say, UserError } from './output.js';
import { withCockpit } from './with-cockpit.js';

export const WAIT_EXIT = { done: 0, failed: 1, input: 3, timeout: 4 } as const;

function verdict(s: SessionSummary, until: 'done' | 'input'): number | null {
  if (s.state === 'failed') return WAIT_EXIT.failed;
  if (s.state === 'idle' || s.state === 'exited') return WAIT_EXIT.done;
  if (s.state === 'needs-input' || s.openDecisions > 0) return WAIT_EXIT.input;
  void until;
  return null;
}

export async function wait(session: string, o: { until?: string; timeout?: string; json?: boolean }): Promise<void> {
  const until = (o.until ?? 'done') as 'done' | 'input';
  if (until !== 'done' && until !== 'input') throw new UserError('--until takes done or input', EXIT.usage);
  const timeout = o.timeout === undefined ? null : Number(o.timeout);
  if (timeout !== null && !(timeout > 0)) throw new UserError('--timeout takes a number of seconds', EXIT.usage);
  const last = await withCockpit({}, async (c) => {
    let latest: SessionSummary | undefined;
    return new Promise<{ s: SessionSummary | undefined; code: number }>((resolve, reject) => {
      const timer = timeout === null ? null : setTimeout(() => resolve({ s: latest, code: WAIT_EXIT.timeout }), timeout * 1000);
      const check = (s: SessionSummary) => {
        latest = s;
        const v = verdict(s, until);
        if (v !== null) {
          if (timer) clearTimeout(timer);
          resolve({ s, code: v });
        }
      };
      c.onClose(() => reject(new UserError('the node went away while waiting')));
      c.watch((e) => {
        if (e.kind === 'session' && e.session.id === session) check(e.session);
      }).then((snap) => {
        const s = snap.sessions.find((x) => x.id === session);
        if (!s) reject(new UserError(`no session ${JSON.stringify(session)}`));
        else check(s);
      }, reject);
    });
  });
  if (o.json) printJson({ session, state: last.s?.state ?? null, exit: last.code });
  else say(`${session} ${last.code === WAIT_EXIT.timeout ? 'still ' : ''}${last.s?.state ?? 'unknown'}`);
  process.exitCode = last.code;
}
