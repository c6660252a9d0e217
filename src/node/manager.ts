/**
 * The node's session table: starting sessions (worktree, compiled context, prepared Claude Code state, claude in
 * a PTY), keeping their output and state across restarts, and carrying out the operator's commands. Their hooks
 * are answered by hook-answers.ts, the prompts on their screens by screen-answers.ts.
 */
import { homedir } from 'node:os';
import type { AuditSink } from '../audit/sink.js';
import { compileInto, type HookPrograms } from '../compiler/index.js';
import {
  isLive,
  type Decision,
  type Landing,
  type NodeEvent,
  type MirrorResult,
  type NodeSettings,
  type NodeInfo,
  type NodeSpend,
  type OpArgs,
  type ScreenView,
  type SessionSummary,
  type Snapshot,
  type WorkerSummary,
} from '../protocol/messages.js';
import { RemoteError } from '../protocol/connection.js';
import { Emitter } from '../protocol/events.js';
import type { PtyFactory } from '../session/pty.js';
import { Session } from '../session/session.js';
import type { GuardPolicy } from '../guard/policy.js';
import type { Registry } from '../registry/index.js';
import { BACK_IDLE, comebackFor, startWith, type LaunchPlan } from './comeback.js';
import { newRuntime, nodeEnvFile, type Runtime } from './runtime.js';
import { Decisions } from './decisions.js';
import { ContextCheck } from './context-check.js';
import { HookAnswers } from './hook-answers.js';
import { newId } from './ids.js';
import { RepoSources } from './repo-source.js';
import { admitRun, newRecord } from './run-request.js';
import { OPEN_ADMISSION, startInTurn, type Admission } from './admission.js';
import { sessionModel } from '../budget/model-routing.js';
import { extensionProblem } from './budget-stops.js';
import { compiledWorktree } from './run-worktree.js';
import type { NodePaths } from '../paths/node-home.js';
import type { SessionTokens } from './session-tokens.js';
import { launchEnv, sessionCompileOptions, type SessionNode } from './session-env.js';
import { loadState, StateWriter, type SessionRecord } from './state-file.js';
import { warnOperator } from './warnings.js';
import type { TurnSink, UsageWatch } from './usage-watch.js';

export interface ManagerOptions {
  paths: NodePaths;
  info: NodeInfo;
  claudeBin: string;
  registryDir: string;
  /** the organisation's overlay the node was given, used instead of registryDir when there is one */
  orgRegistry?: () => Registry | null;
  programs: Required<Omit<HookPrograms, 'session' | 'keyFile'>>;
  /** the token each session's hook command carries */
  tokens: Pick<SessionTokens, 'token'>;
  env?: NodeJS.ProcessEnv;
  pty?: PtyFactory;
  /** bytes of output kept per session for replay */
  replayBytes?: number;
  /** budgets and rate limits a session passes to start (admission.ts); the daemon sets it once they are built */
  admission?: Admission;
  /** where the answers the policy gives by itself are recorded */
  audit?: AuditSink;
  /** where sessions' turns are recorded (the node's ledger) */
  turns?: TurnSink;
  /** the settings the operator's config gave the node (model routing) */
  settings?: () => NodeSettings;
}

const USAGE_INTERVAL_MS = 3000;

export class NodeManager {
  private readonly runtimes = new Map<string, Runtime>();
  /** the operator's open questions and their answers (the merge queue asks its own through them) */
  readonly decisions: Decisions;
  private readonly hooks: HookAnswers;
  private readonly writer: StateWriter;
  private readonly context: ContextCheck;
  private readonly events = new Emitter<NodeEvent>();
  private readonly output = new Emitter<{ session: string; seq: number; data: Buffer }>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly node: SessionNode;
  private readonly repos: RepoSources;
  /** the node's workers, as the dispatcher lists them (the daemon wires it) */
  workerList: () => WorkerSummary[] = () => [];
  /** what a session passes to start (the daemon wires the budget and rate modules) */
  admission: Admission;
  /** throws when the operator may not resume a session (its budget is still spent); the budget guard sets it */
  resumable: (session: Readonly<SessionRecord>) => void = () => undefined;
  /** what the node spent, for snapshots (the daemon wires its ledger) */
  spendNow: () => NodeSpend | undefined = () => undefined;

  constructor(private readonly o: ManagerOptions) {
    this.env = o.env ?? process.env;
    this.admission = o.admission ?? OPEN_ADMISSION;
    this.node = { paths: o.paths, info: o.info, env: this.env };
    this.repos = new RepoSources(o.paths.home, this.env);
    const { state, warnings } = loadState(o.paths.state, o.paths);
    for (const w of warnings) warnOperator(o.info, w);
    this.context = new ContextCheck(o.paths.sessions);
    this.decisions = new Decisions(state.decisions, (d) => {
      this.emit({ kind: 'decision', decision: d });
      const rt = this.runtimes.get(d.session);
      if (rt) this.emitSession(rt);
      this.writer.schedule();
    });
    this.writer = new StateWriter(o.paths.state, () => ({
      version: 1,
      sessions: [...this.runtimes.values()].map((r) => r.record),
      decisions: this.decisions.list(),
    }));
    this.hooks = new HookAnswers({
      node: o.info.name,
      home: this.env.HOME || homedir(),
      decisions: this.decisions,
      policy: (id) => this.context.policy(id),
      audit: o.audit,
    });
    for (const record of state.sessions) this.runtimes.set(record.id, this.runtime(record));
    // tokens and cost of live sessions, for watchers; status requests read them fresh besides
    setInterval(() => {
      for (const rt of this.runtimes.values()) if (isLive(rt.record)) void rt.usage.refresh();
    }, USAGE_INTERVAL_MS).unref();
  }

  onEvent(f: (e: NodeEvent) => void): () => void {
    const sub = this.events.on(f);
    return () => sub.dispose();
  }

  onPty(f: (session: string, seq: number, data: Buffer) => void): () => void {
    const sub = this.output.on((o) => f(o.session, o.seq, o.data));
    return () => sub.dispose();
  }

  /**
   * Brings back the sessions that were live when the node stopped, with Claude Code's own resume: a new turn
   * for those that were at work, none for idle and paused ones; queued ones wait their turn again (comeback.ts).
   */
  recover(): void {
    for (const d of this.decisions.list())
      if (!this.runtimes.has(d.session)) this.decisions.withdraw(d.id, 'its session is not on this node');
    for (const rt of this.runtimes.values()) {
      // a merge queue's decision is about a branch, a budget's about spend, not the session's turn: they stay open
      for (const d of this.decisions.openFor(rt.record.id))
        if (d.source !== 'merge' && d.source !== 'budget')
          this.decisions.withdraw(d.id, 'the node restarted; the session will ask again');
      const back = comebackFor(rt.record.state);
      if (!back) continue;
      if (back === 'queue-again') {
        this.begin(rt);
        continue;
      }
      rt.record.resumes += 1;
      this.launch(rt, ['--resume', rt.record.claudeSession], back);
    }
    this.writer.flush();
  }

  /** The snapshot, with every session's usage read fresh from its transcripts. */
  async freshSnapshot(): Promise<Snapshot> {
    await Promise.all([...this.runtimes.values()].map((rt) => rt.usage.refresh(true)));
    return this.snapshot();
  }

  snapshot(): Snapshot {
    return {
      node: this.o.info,
      sessions: [...this.runtimes.values()].map((r) => this.summary(r)),
      decisions: this.decisions.list(),
      workers: this.workerList(),
      spend: this.spendNow(),
    };
  }

  /** Tells the node's watchers of an event of a module wired to the table (a worker's summary). */
  relay(e: NodeEvent): void {
    this.emit(e);
  }

  async run(args: OpArgs['run']): Promise<SessionSummary> {
    const { registry, discipline, vp } = await admitRun(
      {
        ...this.node,
        claudeBin: this.o.claudeBin,
        registryDir: this.o.registryDir,
        orgRegistry: this.o.orgRegistry,
        nodeEnvFile: nodeEnvFile(this.o.paths),
      },
      args,
    );
    this.admission.check({ vp: vp.id, discipline });
    const id = newId('s', (x) => this.runtimes.has(x));
    const source = await this.repos.resolve(args);
    const session = { id, token: this.o.tokens.token(id) };
    const options = sessionCompileOptions(this.node, this.o.programs, session, vp.context);
    const wt = await compiledWorktree({ ...source, id, under: this.o.paths.worktrees }, (path) =>
      compileInto(path, registry, { discipline, task: args.task }, options),
    );
    this.context.keep(id, wt.path);
    const own = registry.disciplines.get(discipline)!.value;
    const models = this.o.settings?.().models;
    const model = sessionModel({ asked: args.model, discipline, models, registry: own.model });
    const record = newRecord(id, args, discipline, model, wt, source.origin, vp.id);
    const limit = args.budget ?? own.budget;
    if (limit) record.budget = { limit, spent: 0, warned: false };
    const rt = this.runtime(record);
    this.runtimes.set(id, rt);
    this.begin(rt);
    this.writer.flush();
    return this.summary(rt);
  }

  /** A new session (or one still queued when the node stopped) starts with its task when admission lets it. */
  private begin(rt: Runtime): void {
    const start = () => this.launch(rt, ['--session-id', rt.record.claudeSession], startWith(rt.record.task));
    startInTurn(this.admission, rt.record, (patch) => this.update(rt, patch), start);
  }

  /** The bare mirror the operator pushes a repository of theirs into (see repo-source.ts). */
  mirror(args: OpArgs['mirror']): Promise<MirrorResult> {
    return this.repos.mirror(args);
  }

  /** A hook event from a session's claude; for PermissionRequest, the answer Claude Code is to follow. */
  async hook(args: OpArgs['hook'], closed: Promise<void>): Promise<{ output?: unknown }> {
    return this.hooks.answer(this.get(args.session), args.event, args.input, closed);
  }

  decide(args: OpArgs['decide']): Decision {
    const d = this.decisions.all.get(args.decision);
    if (!d)
      throw new RemoteError('not-found', `no decision ${JSON.stringify(args.decision)} on node ${this.o.info.name}`);
    if (d.state !== 'open') throw new RemoteError('conflict', `decision ${d.id} is already ${d.state}`);
    const problem = extensionProblem(d, args);
    if (problem) throw new RemoteError('bad-request', `decision ${d.id}: ${problem}`);
    const settle = () =>
      this.decisions.settle(d.id, args.approve, args.reason ?? null, args.by ?? 'operator', args.amount);
    // a hook waits for this answer; otherwise the prompt is on the screen, and answered there
    if (this.decisions.isWaited(d.id)) return settle();
    return this.get(d.session).dialogs.answer(args.approve, settle);
  }

  async send(args: OpArgs['send']): Promise<SessionSummary> {
    const rt = this.live(args.session);
    if (args.enter === false) rt.session!.write(args.text);
    else await rt.session!.sendLine(args.text);
    return this.summary(rt);
  }

  pause(args: OpArgs['pause']): SessionSummary {
    const rt = this.live(args.session);
    rt.session!.pause();
    this.update(rt, { held: 'operator' });
    return this.summary(rt);
  }

  resume(args: OpArgs['resume']): SessionSummary {
    const rt = this.live(args.session);
    this.resumable(rt.record);
    rt.session!.resume();
    this.update(rt, { held: null });
    return this.summary(rt);
  }

  interrupt(args: OpArgs['interrupt']): SessionSummary {
    const rt = this.live(args.session);
    rt.session!.interrupt();
    return this.summary(rt);
  }

  resize(args: OpArgs['resize']): SessionSummary {
    const rt = this.live(args.session);
    // the size was checked against the op's schema (protocol/ops.ts) before it got here
    rt.session!.resize(args.cols, args.rows);
    return this.summary(rt);
  }

  async stop(args: OpArgs['stop']): Promise<SessionSummary> {
    const rt = this.get(args.session);
    if (rt.session && rt.session.pid !== null) await rt.session.stop();
    else if (isLive(rt.record)) {
      if (rt.record.state === 'queued') this.admission.cancel(rt.record.id);
      this.update(rt, {
        state: 'exited',
        held: null,
        reason: 'stopped by the operator',
        endedAt: new Date().toISOString(),
      });
    }
    return this.summary(rt);
  }

  screen(args: OpArgs['screen']): ScreenView {
    const rt = this.get(args.session);
    const lines = rt.session ? rt.session.screen.lines() : [];
    return {
      session: rt.record.id,
      cols: rt.session?.screen.cols ?? 0,
      rows: rt.session?.screen.rows ?? 0,
      lines,
      outputSeq: rt.log.buffer.end,
    };
  }

  /** Output from seq on, or null if it is older than the replay buffer holds. */
  outputSince(session: string, seq: number): Buffer | null {
    return this.get(session).log.buffer.since(seq);
  }

  async shutdown(): Promise<void> {
    this.writer.close();
    for (const rt of this.runtimes.values()) rt.log.close();
  }

  has(session: string): boolean {
    return this.runtimes.has(session);
  }

  /** A session's record as the table holds it, for the modules wired to the table (landing.ts). */
  record(session: string): Readonly<SessionRecord> {
    return this.get(session).record;
  }

  /** A budget's hand on a session: its budget kept, and (unless undefined) paused for `reason` or let go (null). */
  hold(session: string, reason: string | null | undefined, budget?: SessionRecord['budget']): void {
    const rt = this.get(session);
    const running = !!rt.session?.pid && reason !== undefined && (reason !== null || rt.record.held === 'budget');
    if (running && reason) rt.session!.pause(reason);
    else if (running) rt.session!.resume();
    this.update(rt, { ...(running ? { held: reason ? 'budget' : null } : {}), ...(budget ? { budget } : {}) });
  }

  /** Writes the session table and its decisions to disk now (a budget stop keeps its decision before itself). */
  flush(): void {
    this.writer.flush();
  }

  /** Keeps how a session's branch stands (measured by landing.ts), and tells watchers. */
  setLanding(session: string, landing: Landing): void {
    const rt = this.runtimes.get(session);
    if (rt) this.update(rt, { landing });
  }

  /** Takes an ended session out of the table, with its decisions; its files are landing.ts's to remove. */
  forget(session: string): void {
    const rt = this.get(session);
    if (isLive(rt.record)) throw new RemoteError('conflict', `session ${session} is ${rt.record.state}`);
    rt.log.close();
    this.runtimes.delete(session);
    for (const d of this.decisions.list()) if (d.session === session) this.decisions.all.delete(d.id);
    this.writer.flush();
    this.emit({ kind: 'removed', node: this.o.info.name, session });
  }

  /** the watch on a session's transcripts, or null if the node has no such session (turn-gate.ts) */
  transcripts(session: string): UsageWatch | null {
    return this.runtimes.get(session)?.usage ?? null;
  }

  /** the guard policy the node compiled for a session (its own copy), or null if the node has no such session */
  guardPolicy(session: string): GuardPolicy | null {
    return this.runtimes.has(session) ? this.context.policy(session) : null;
  }

  private runtime(record: SessionRecord): Runtime {
    const { paths, info, replayBytes, turns } = this.o;
    const rateLimited = (retryMs: number | null) => this.admission.rateLimited?.(record.id, retryMs);
    const node = { paths, info, env: this.env, decisions: this.decisions, replayBytes, turns, rateLimited };
    return newRuntime(node, record, (rt, patch) => this.update(rt, patch));
  }

  private launch(rt: Runtime, claudeArgs: string[], how: LaunchPlan): void {
    const r = rt.record;
    // the compiled context is checked (and restored) before every launch: claude reads it as it starts
    const problem = this.context.beforeLaunch(r.id, r.worktree, (w) => warnOperator(this.o.info, w));
    if (problem !== null) {
      this.update(rt, { state: 'failed', reason: problem, endedAt: new Date().toISOString() });
      return;
    }
    // the hooks find the node through their command line (lifecycleCommand), not through this environment
    const env = launchEnv(this.node, r.id, r.worktree);
    // `--`: a prompt that starts with a dash is the prompt, not an option of claude's
    const prompt = how.prompt === null ? [] : ['--', how.prompt];
    const args = [...claudeArgs, ...(r.model ? ['--model', r.model] : []), ...prompt];
    const session = new Session({
      id: r.id,
      cwd: r.worktree,
      command: this.o.claudeBin,
      args,
      env,
      ...(this.o.pty ? { pty: this.o.pty } : {}),
      ...(how.prompt === null ? { idleWhenReady: BACK_IDLE } : {}),
    });
    rt.session = session;
    session.onOutput((data) => {
      const seq = rt.log.append(data);
      r.outputSeq = rt.log.buffer.end;
      this.output.emit({ session: r.id, seq, data });
    });
    session.onChange((s) => {
      const ended = !isLive(s);
      this.update(rt, {
        state: s.state,
        reason: s.reason,
        activity: s.activity,
        exitCode: s.exitCode,
        ...(ended ? { endedAt: new Date().toISOString() } : {}),
      });
      if (ended) {
        rt.dialogs.ended();
        for (const d of this.decisions.openFor(r.id))
          if (d.source !== 'merge') this.decisions.withdraw(d.id, `the session ${s.state}`);
        void rt.usage.refresh();
        this.writer.flush();
      }
    });
    session.onDialog((seen) => rt.dialogs.seen(seen));
    session.onApiTrouble((t) => rt.refusals.seen(t));
    rt.usage.since(new Date().toISOString());
    this.update(rt, { state: 'starting', reason: null, exitCode: null, endedAt: null, activity: 'starting' });
    session.start();
    if (how.pause && session.pid !== null) session.pause();
  }

  private update(rt: Runtime, patch: Partial<SessionRecord>): void {
    Object.assign(rt.record, patch, { updatedAt: new Date().toISOString() });
    this.emitSession(rt);
    this.writer.schedule();
  }

  private emitSession(rt: Runtime): void {
    this.emit({ kind: 'session', session: this.summary(rt) });
  }

  private emit(e: NodeEvent): void {
    this.events.emit(e);
  }

  private summary(rt: Runtime): SessionSummary {
    const { registry: _registry, resumes: _resumes, ...rest } = rt.record;
    return {
      ...rest,
      node: this.o.info.name,
      openDecisions: this.decisions.openFor(rt.record.id).length,
      outputSeq: rt.log.buffer.end,
    };
  }

  private get(session: string): Runtime {
    const rt = this.runtimes.get(session);
    if (!rt) throw new RemoteError('not-found', `no session ${JSON.stringify(session)} on node ${this.o.info.name}`);
    return rt;
  }

  private live(session: string): Runtime {
    const rt = this.get(session);
    if (!rt.session || rt.session.pid === null)
      throw new RemoteError('conflict', `session ${session} is not running (it is ${rt.record.state})`);
    return rt;
  }
}
