/**
 * What a session must pass to start: its budgets (a VP's or the fleet's spent refuses it), and the rate limits
 * (over a bucket it waits, `queued`, oldest first, and starts when its turn comes). The daemon wires the budget
 * and rate modules in; with none, every session starts at once.
 */
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
  turn(req: StartRequest): { why: string; ready: Promise<void> } | null;
  /** The session left the queue before its turn (stopped): its place goes to the next. */
  cancel(session: string): void;
}

export const OPEN_ADMISSION: Admission = {
  check: () => undefined,
  turn: () => null,
  cancel: () => undefined,
};
