/**
 * Landing a session's work: its diff and log against the commit it branched from, merging it into the
 * branch it started from in the repository it came from, pushing it for a pull request, and removing
 * ended sessions' worktrees without ever losing a commit. How each session's branch stands (`landing` in
 * its summary) is measured here when it goes idle or ends and after a merge, never on a `status`.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NodePaths } from '../paths/node-home.js';
import { RemoteError } from '../protocol/connection.js';
import {
  isLive,
  type DiffResult,
  type GcResult,
  type Landing,
  type LogResult,
  type MergeResult,
  type OpArgs,
  type PrResult,
  type RemoveResult,
  type SessionState,
} from '../protocol/messages.js';
import { forgetTrust } from '../session/claude-state.js';
import {
  diffOf,
  isBare,
  LandingError,
  logOf,
  measureLanding,
  mergeBranch,
  pushForReview,
  removeSession,
  type SessionBranch,
} from '../worktree/index.js';
import { findProgram } from './find-program.js';
import { sessionDir } from './ids.js';
import type { NodeManager } from './manager.js';
import { removeSessionTmpDir } from './session-tmp.js';
import type { SessionRecord } from './state-file.js';

export interface LandingOptions {
  manager: NodeManager;
  paths: NodePaths;
  /** the node's environment: where `gh` is found, and whose ~/.claude.json holds the sessions' trust */
  env?: NodeJS.ProcessEnv;
}

/** States in which a session may still change its branch: its work is not to be landed yet. */
const UNSETTLED: Partial<Record<SessionState, string>> = {
  starting: 'is starting',
  working: 'is working',
  'needs-input': 'is waiting for an answer (agency decisions)',
  paused: 'is paused in the middle of its work',
};

/** One operation at a time per key (a repository): merges, pushes and removals there take turns. */
class Turns {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, f: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(f, f);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => this.tails.get(key) === tail && this.tails.delete(key));
    return next;
  }
}

const branchOf = (r: Readonly<SessionRecord>): SessionBranch => ({
  repo: r.repo,
  branch: r.branch,
  worktree: r.worktree,
  base: r.base,
});

/** Errors of git and of the session's branch, as the operator's errors; anything else is the node's. */
async function answer<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof RemoteError) throw e;
    if (e instanceof LandingError) throw new RemoteError(e.code, e.message);
    throw new RemoteError('failed', (e as Error).message);
  }
}

/** A task's first line, plain, for a merge commit's message. */
const taskLine = (task: string) =>
  (task.split('\n').find((l) => l.trim() !== '') ?? '').replace(/[\x00-\x1f\x7f-\x9f]/g, ' ').slice(0, 200);

export class NodeLanding {
  private readonly manager: NodeManager;
  private readonly env: NodeJS.ProcessEnv;
  private readonly states = new Map<string, SessionState>();
  private readonly measuring = new Map<string, Promise<Landing | null>>();
  private readonly turns = new Turns();

  constructor(private readonly o: LandingOptions) {
    this.manager = o.manager;
    this.env = o.env ?? process.env;
    for (const s of this.manager.snapshot().sessions) this.states.set(s.id, s.state);
    this.manager.onEvent((e) => {
      if (e.kind === 'removed') this.states.delete(e.session);
      if (e.kind !== 'session') return;
      const before = this.states.get(e.session.id);
      this.states.set(e.session.id, e.session.state);
      if (before !== e.session.state && (e.session.state === 'idle' || !isLive(e.session)))
        void this.measure(e.session.id);
    });
  }

  /** Measures the ended sessions that have never been measured (those from before the node measured them). */
  async measureMissing(): Promise<void> {
    for (const s of this.manager.snapshot().sessions) if (!isLive(s) && s.landing === null) await this.measure(s.id);
  }

  /** Measures how a session's branch stands and keeps it in its record; one measurement at a time per session. */
  measure(id: string): Promise<Landing | null> {
    const running = this.measuring.get(id);
    if (running) return running.then(() => this.measure(id));
    const p = (async () => {
      if (!this.manager.has(id)) return null;
      try {
        const m = await measureLanding(branchOf(this.manager.record(id)));
        if (!m) return null;
        const landing = { ...m, measuredAt: new Date().toISOString() };
        this.manager.setLanding(id, landing);
        return landing;
      } catch (e) {
        process.stderr.write(`agency node: ${id}: cannot measure its branch: ${(e as Error).message}\n`);
        return null;
      } finally {
        this.measuring.delete(id);
      }
    })();
    this.measuring.set(id, p);
    return p;
  }

  diff(a: OpArgs['diff']): Promise<DiffResult> {
    return answer(async () => ({
      session: a.session,
      ...(await diffOf(branchOf(this.manager.record(a.session)), { stat: a.stat ?? false })),
    }));
  }

  log(a: OpArgs['log']): Promise<LogResult> {
    return answer(async () => {
      const r = this.manager.record(a.session);
      const { commits, truncated } = await logOf(branchOf(r));
      return { session: a.session, branch: r.branch, base: r.base, commits, truncated };
    });
  }

  merge(a: OpArgs['merge']): Promise<MergeResult> {
    return answer(async () => {
      const r = this.settled(a.session, 'merging');
      const into = a.into ?? r.base?.branch;
      if (!into)
        throw new RemoteError(
          'bad-request',
          `session ${r.id} started from a detached HEAD, so it has no branch to merge into; name one with --into BRANCH`,
        );
      if (await isBare(r.repo))
        throw new RemoteError(
          'conflict',
          `session ${r.id} works on the node's own copy of ${r.origin ?? r.repo}, where there is no checkout of yours to merge into; push its branch with agency pr ${r.id}`,
        );
      const merged = await this.turns.run(r.repo, () =>
        mergeBranch({
          session: branchOf(r),
          into,
          message: `Merge ${r.branch} into ${into}\n\nagency session ${r.id}: ${taskLine(r.task)}`,
        }),
      );
      await this.measure(r.id);
      return { session: r.id, ...merged };
    });
  }

  pr(a: OpArgs['pr']): Promise<PrResult> {
    return answer(async () => {
      const r = this.settled(a.session, 'pushing it');
      const gh = findProgram('gh', this.env.PATH);
      const pushed = await this.turns.run(r.repo, () => pushForReview({ session: branchOf(r), gh, env: this.env }));
      return { session: r.id, ...pushed };
    });
  }

  rm(a: OpArgs['rm']): Promise<RemoveResult> {
    return answer(() => this.remove(a.session, a.force ?? false));
  }

  /** Every ended session removed that can be; those whose work would be lost are kept, with why. */
  gc(a: OpArgs['gc']): Promise<GcResult> {
    return answer(async () => {
      const result: GcResult = { removed: [], kept: [] };
      for (const s of this.manager.snapshot().sessions) {
        if (isLive(s)) continue;
        try {
          result.removed.push(await this.remove(s.id, a.force ?? false));
        } catch (e) {
          // one session that cannot go (its work, a repository that fails) does not stop the others
          result.kept.push({ session: s.id, reason: (e as Error).message });
        }
      }
      return result;
    });
  }

  /** The record of a session whose branch will not change under an operation. */
  private settled(id: string, doing: string): Readonly<SessionRecord> {
    const r = this.manager.record(id);
    const why = UNSETTLED[r.state];
    if (why)
      throw new RemoteError(
        'conflict',
        `session ${id} ${why}, so its work may still change; wait until it is idle (agency wait ${id}) or stop it (agency stop ${id}) before ${doing}`,
      );
    return r;
  }

  private async remove(id: string, force: boolean): Promise<RemoveResult> {
    const r = this.manager.record(id);
    if (isLive(r))
      throw new RemoteError(
        'conflict',
        `session ${id} is ${r.state}; stop it first (agency stop ${id}), then remove it`,
      );
    const removed = await this.turns.run(r.repo, () => removeSession({ id, session: branchOf(r), force }));
    try {
      forgetTrust(r.worktree, this.env);
    } catch (e) {
      // the worktree and branch are gone already: the record goes too, and the operator hears what is left
      process.stderr.write(`agency node: ${id}: its trust in ~/.claude.json stays: ${(e as Error).message}\n`);
    }
    this.manager.forget(id);
    const dir = sessionDir(this.o.paths.sessions, id);
    // what the node set aside from the worktree was kept for the operator: it stays
    let setAside: string | null = null;
    if (existsSync(join(dir, 'set-aside'))) {
      setAside = join(this.o.paths.home, 'set-aside', id);
      mkdirSync(join(setAside, '..'), { recursive: true, mode: 0o700 });
      renameSync(join(dir, 'set-aside'), setAside);
    }
    rmSync(dir, { recursive: true, force: true });
    removeSessionTmpDir(this.o.paths, id);
    return { session: id, ...removed, setAside };
  }
}
