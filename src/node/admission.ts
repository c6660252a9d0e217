/**
 * What a session must pass to start: its budgets (a VP's or the fleet's spent refuses it), and the rate limits
 * (over a bucket it waits, `queued`, oldest first, and starts when its turn comes). The daemon wires the budget
 * and rate modules in; with none, every session starts at once.
 */
import type { SessionRecord } from './state-file.js';

export interface StartRequest {
  session: string;
  vp: string | null;
  discipline: string;
}

export interface Admission {
  /** Throws a RemoteError naming the budget when a session may not start; called before anything is made. */
  check(req: Omit<StartRequest, 'session'>): void;
  /**
   * When the session may start: null at once, or a promise that settles when its turn comes (the session waits
   * `queued` with `why` as its activity until then). A promise that rejects fails the session with its message.
   */
  turn(req: StartRequest): Queued | null;
  /** The session left the queue before its turn (stopped): its place goes to the next. */
  cancel(session: string): void;
  /** Settles when what refused a start may have changed (a budget stop ended, the figures moved). */
  changed?(): Promise<void>;
  /** The API rate-limited a session (429): new starts on the node wait (null: it named no retry time). */
  rateLimited?(session: string, retryMs: number | null): void;
}

/** A session's wait for its turn: why (its activity while it waits), and when it ends. */
export interface Queued {
  why: string;
  ready: Promise<void>;
  /** the reason changed (its place in line moved, a pause began): the session's activity follows it */
  onWhy?(f: (why: string) => void): void;
}

/** One admission of the budgets' check and the rate limits' turn. */
export function composeAdmission(
  budgets: Pick<Admission, 'check' | 'changed'>,
  rates: Pick<Admission, 'turn' | 'cancel' | 'rateLimited'>,
): Admission {
  return {
    check: (req) => budgets.check(req),
    ...(budgets.changed ? { changed: () => budgets.changed!() } : {}),
    turn: (req) => rates.turn(req),
    cancel: (session) => rates.cancel(session),
    rateLimited: (session, retryMs) => rates.rateLimited?.(session, retryMs),
  };
}

export const OPEN_ADMISSION: Admission = {
  check: () => undefined,
  turn: () => null,
  cancel: () => undefined,
};

/** how often a start the budgets refused is checked again when admission cannot tell when they change */
export const RECHECK_MS = 60_000;

/**
 * Starts a session now, or, when admission says it must wait, keeps it `queued` (its activity saying why) until
 * its turn comes, then starts it, unless it was stopped meanwhile. The budgets are checked again when it is
 * about to start: a budget spent meanwhile keeps it queued (held for the budget) until the stop ends.
 */
export function startInTurn(
  admission: Admission,
  r: Readonly<SessionRecord>,
  update: (patch: Partial<SessionRecord>) => void,
  start: () => void,
): void {
  const req = { session: r.id, vp: r.vp ?? null, discipline: r.discipline };
  const admitted = (): void => {
    try {
      admission.check({ vp: req.vp, discipline: req.discipline });
    } catch (e) {
      update({ state: 'queued', held: 'budget', activity: `queued: ${(e as Error).message}` });
      const changed = admission.changed?.() ?? new Promise<void>((resolve) => setTimeout(resolve, RECHECK_MS).unref());
      void changed.then(() => r.state === 'queued' && admitted());
      return;
    }
    if (r.state === 'queued') update({ held: null });
    start();
  };
  const turn = admission.turn(req);
  if (!turn) return admitted();
  update({ state: 'queued', held: 'queued', activity: turn.why });
  turn.onWhy?.((why) => r.state === 'queued' && r.held === 'queued' && update({ activity: why }));
  turn.ready.then(
    () => {
      if (r.state !== 'queued') return;
      admitted();
    },
    (e: Error) => {
      if (r.state !== 'queued') return;
      update({ state: 'failed', held: null, reason: e.message, endedAt: new Date().toISOString() });
    },
  );
}
