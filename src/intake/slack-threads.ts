/**
 * The threads of tasks taken from Slack: which session each thread follows, and its replies, in order and
 * without flooding. A thread's replies go out one after another (the session's start first); state changes
 * that come close together are gathered for `coalesceMs` and posted as one reply, and a change that ends
 * where the last reply left off is not posted at all. A thread whose session ended is forgotten once its last
 * reply went out (a long-running intake keeps only the threads still to tell of).
 */
import { isLive, type SessionSummary } from '../protocol/messages.js';
import { sessionRef, stateMessage, stateWords, type SlackMessage } from './slack-format.js';

/** What the threads need of Slack: posting in a thread (the reply's ts back), and nothing else. */
export interface ThreadPoster {
  post(channel: string, msg: SlackMessage, thread?: string): Promise<string>;
}

export interface Thread {
  channel: string;
  /** the ts of the message the thread hangs from */
  ts: string;
  session: SessionSummary;
  /** the state the last reply told */
  told: string;
  /** states seen since then, oldest first */
  passed: string[];
  timer: NodeJS.Timeout | null;
  /** replies go out one after another */
  chain: Promise<unknown>;
  /** the node was told to be unreachable in this thread, and has not come back since */
  nodeDown: boolean;
}

export class Threads {
  private readonly bySession = new Map<string, Thread>();

  constructor(
    private readonly slack: ThreadPoster,
    private readonly coalesceMs: number,
    private readonly log: (line: string) => void,
    /** a thread forgotten: its session ended and its last reply went out, or the session was removed */
    private readonly forgotten: (t: Thread) => void = () => undefined,
  ) {}

  get(s: Pick<SessionSummary, 'node' | 'id'>): Thread | undefined {
    return this.bySession.get(sessionRef(s));
  }

  all(): Iterable<Thread> {
    return this.bySession.values();
  }

  /** A new thread following session `s`, its first reply `first`. */
  open(channel: string, ts: string, s: SessionSummary, first: SlackMessage): Thread {
    const t: Thread = {
      channel,
      ts,
      session: s,
      told: stateWords(s),
      passed: [],
      timer: null,
      chain: Promise.resolve(),
      nodeDown: false,
    };
    this.bySession.set(sessionRef(s), t);
    this.reply(t, first);
    return t;
  }

  /** A reply in the thread, after the ones before it; a failure to post is logged, never thrown. */
  reply(t: Thread, msg: SlackMessage): Promise<string | null> {
    const next = t.chain.then(() =>
      this.slack.post(t.channel, msg, t.ts).catch((e: Error) => {
        this.log(`could not post in the thread of ${sessionRef(t.session)}: ${e.message}`);
        return null;
      }),
    );
    t.chain = next;
    return next;
  }

  /** A newer summary of a followed session: its state change is told once things settle. */
  update(s: SessionSummary): void {
    const t = this.get(s);
    if (!t || s.updatedAt < t.session.updatedAt) return;
    t.session = s;
    const words = stateWords(s);
    if (t.passed.at(-1) !== words) t.passed.push(words);
    if (t.timer) return;
    t.timer = setTimeout(() => this.flush(t), this.coalesceMs);
  }

  /** Tells the thread where its session is now, unless that is where the last reply left it. */
  flush(t: Thread): void {
    if (t.timer) clearTimeout(t.timer);
    t.timer = null;
    const now = stateWords(t.session);
    const passed = t.passed.slice(0, -1);
    t.passed = [];
    if (now === t.told && passed.length === 0) {
      if (!isLive(t.session.state)) void t.chain.then(() => this.forgetEnded(t));
      return;
    }
    t.told = now;
    void this.reply(t, stateMessage(t.session, passed));
    if (!isLive(t.session.state)) void t.chain.then(() => this.forgetEnded(t));
  }

  /** Forgets a thread (its session was removed); a pending change is told first. */
  close(s: Pick<SessionSummary, 'node' | 'id'>): void {
    const t = this.get(s);
    if (!t) return;
    if (t.timer) this.flush(t);
    void t.chain.then(() => this.forget(t));
  }

  private forgetEnded(t: Thread): void {
    // resumed since, or a change waits to be told: kept
    if (isLive(t.session.state) || t.timer) return;
    this.forget(t);
  }

  private forget(t: Thread): void {
    if (this.bySession.get(sessionRef(t.session)) !== t) return;
    this.bySession.delete(sessionRef(t.session));
    this.forgotten(t);
  }

  /** Every pending reply sent: for stopping. */
  async drain(): Promise<void> {
    for (const t of this.bySession.values()) if (t.timer) this.flush(t);
    await Promise.all([...this.bySession.values()].map((t) => t.chain));
  }
}
