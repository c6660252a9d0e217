/**
 * The node's dispatcher: the third tier. It takes a session's fan-out (spawn_workers), queues its workers in
 * waves per model across the whole node, within the node's memory ceiling, runs each as a headless claude in
 * a pooled worktree (write workers) or beside its session's worktree (read-only ones), keeps their result
 * files, sums groups up through coordinators, merges write workers' branches through the merge queue, and
 * keeps all of it across restarts of the node.
 */
import { randomUUID } from 'node:crypto';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { RemoteError } from '../protocol/connection.js';
import {
  isLive,
  isWorkerLive,
  type MergeWorkersResult,
  type OpArgs,
  type SpawnResult,
  type WaitResult,
  type WorkerOutput,
  type WorkersResult,
  type WorkerStatusResult,
  type WorkerStopResult,
  type WorkerSummary,
} from '../protocol/messages.js';
import type { DispatchHost, SessionView } from './host.js';
import { Launcher, type Prepared } from './launch.js';
import { MemoryGauge, workerLimits, DEFAULT_WORKER_BYTES, type WorkerLimits } from './limits.js';
import { MergeDesk } from './merge-desk.js';
import { clampWords } from './coordinator.js';
import { oneSentence } from './results.js';
import { fairOrder, pickStarts, zeroByModel } from './scheduler.js';
import { spawnProblems } from './spawn-check.js';
import { modelOf, routeWorkers, startsHeld } from './node-rules.js';
import { killGroup, lowerPriority } from './worker-os.js';
import { newWorkerId, oneLine, runFinished, statusOf, summaryOf, waitResult } from './views.js';
import { WorkerTable, type NewWorker, type WorkerRecord } from './worker-table.js';
import { WorkerProcess, type WorkerExit } from './worker-process.js';

export type { DispatchHost, SessionView } from './host.js';

/** A worker that ends without its result is started once more; then it has failed. */
const MAX_ATTEMPTS = 2;
/** How often a queue is looked at again while it waits (memory may have come free). */
const REVISIT_MS = 2000;
/** Output lines kept of a worker that has ended, for the operator to open. */
const KEPT_OUTPUTS = 200;

interface Running {
  proc: WorkerProcess | null;
  prepared: Prepared | null;
  /** why the node stopped it, if it did: then it is not retried */
  stopping: string | null;
}

export class Dispatcher {
  private readonly table: WorkerTable;
  private readonly limits: WorkerLimits;
  private readonly launcher: Launcher;
  private readonly merges: MergeDesk;
  private readonly running = new Map<string, Running>();
  private readonly changed = new Set<() => void>();
  private readonly ended = new Map<string, { lines: string[]; truncated: boolean }>();
  private readonly gauge = new MemoryGauge();
  private prepareTurn: Promise<void> = Promise.resolve();
  private scheduling = false;
  private again = false;

  constructor(private readonly host: DispatchHost) {
    const { table, warnings } = WorkerTable.load(join(host.home, 'workers.json'));
    this.table = table;
    for (const w of warnings) host.warn(w);
    try {
      this.limits = workerLimits(host.env);
    } catch (e) {
      host.warn(`${(e as Error).message}; the defaults hold`);
      this.limits = workerLimits({});
    }
    this.launcher = new Launcher(host);
    if (this.limits.memoryBytes < DEFAULT_WORKER_BYTES)
      host.warn(
        `AGENCY_WORKER_MEMORY_MB leaves room for no worker until one is measured smaller than ${DEFAULT_WORKER_BYTES / 1024 / 1024} MB`,
      );
    setInterval(() => {
      if ([...this.table.workers.values()].some((w) => w.state === 'queued')) this.schedule();
    }, REVISIT_MS).unref();
    this.merges = new MergeDesk(host, this.table, this.launcher, (w) => this.enqueue(w));
  }

  /** After the node restarts: workers that were running start again where their wave was; queued ones wait on. */
  recover(): void {
    for (const w of this.table.workers.values()) {
      if (w.state !== 'running') continue;
      if (w.pid) killGroup(w.pid, w.claudeSession);
      // a restart is not the worker's failure: it does not use up an attempt
      this.update(w, {
        state: 'queued',
        pid: null,
        attempts: Math.max(0, w.attempts - 1),
        activity: 'queued again: the node restarted',
      });
    }
    this.table.flush();
    for (const a of this.host.asked()) this.merges.await(a);
    this.schedule();
  }

  snapshot(): WorkerSummary[] {
    return [...this.table.workers.values()].map((w) => summaryOf(this.host.node, w));
  }

  list(args: OpArgs['workers']): WorkersResult {
    if (args.session && !this.host.session(args.session))
      throw new RemoteError('not-found', `no session ${JSON.stringify(args.session)} on node ${this.host.node}`);
    const ws = args.session ? this.table.ofSession(args.session) : [...this.table.workers.values()];
    return { session: args.session ?? null, workers: ws.map((w) => summaryOf(this.host.node, w)) };
  }

  output(args: OpArgs['worker-output']): WorkerOutput {
    const w = this.worker(args.worker);
    const r = this.running.get(w.id);
    const out = r?.proc?.output() ?? this.ended.get(w.id) ?? { lines: [], truncated: false };
    return { worker: w.id, lines: out.lines, truncated: out.truncated, result: this.merges.resultText(w) };
  }

  async stop(args: OpArgs['worker-stop']): Promise<WorkerStopResult> {
    let targets: WorkerRecord[];
    if ('worker' in args) targets = [this.worker(args.worker)];
    else {
      if (!this.table.runs.has(args.run))
        throw new RemoteError('not-found', `no run ${JSON.stringify(args.run)} on node ${this.host.node}`);
      targets = this.table.ofRun(args.run);
    }
    const live = targets.filter((w) => isWorkerLive(w));
    await Promise.all(live.map((w) => this.halt(w, 'stopped by the operator')));
    return { stopped: live.map((w) => w.id) };
  }

  async spawn(args: OpArgs['spawn-workers']): Promise<SpawnResult> {
    const s = this.session(args.session);
    const mine = this.table.ofSession(s.id);
    const registry = this.launcher.registry(s);
    const routes = routeWorkers(this.host, args.workers, s.discipline, registry);
    const problems = await spawnProblems(args, s, mine, registry, this.limits, this.host.env, routes);
    if (problems.length)
      throw new RemoteError(
        'bad-request',
        `${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`,
      );
    const run = newWorkerId('r', (id) => this.table.runs.has(id));
    const now = new Date().toISOString();
    const groups = [...new Set(args.workers.map((w) => w.group ?? 'default'))];
    this.table.runs.set(run, {
      id: run,
      session: s.id,
      coordinate: args.coordinate ?? false,
      createdAt: now,
      groups,
      merged: [],
      sentBack: [],
      decisions: [],
    });
    for (const [i, spec] of args.workers.entries())
      this.add({
        name: spec.id,
        session: s.id,
        run,
        group: spec.group ?? 'default',
        role: 'worker',
        ...modelOf(routes[i]!),
        write: spec.write ?? false,
        discipline: spec.discipline ?? s.discipline,
        prompt: spec.prompt,
        paths: spec.paths ?? null,
        resolves: null,
      });
    this.table.flush();
    this.schedule();
    return { run, queued: args.workers.length };
  }

  async wait(args: OpArgs['wait-workers'], closed: Promise<void>): Promise<WaitResult> {
    const run = this.run(args.session, args.run);
    const timeoutS = args.timeoutS ?? 600;
    const finished = () => runFinished(run.coordinate, this.table.ofRun(run.id));
    if (!finished() && timeoutS > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutS * 1000);
        const check = () => finished() && done();
        function done() {
          clearTimeout(timer);
          changed.delete(check);
          resolve();
        }
        const changed = this.changed;
        changed.add(check);
        void closed.then(done);
      });
    }
    return waitResult(run, this.table.ofRun(run.id));
  }

  status(args: OpArgs['worker-status']): WorkerStatusResult {
    const run = this.run(args.session, args.run);
    return statusOf(run.id, this.table.ofRun(run.id));
  }

  async merge(args: OpArgs['merge-workers']): Promise<MergeWorkersResult> {
    const run = this.run(args.session, args.run);
    const s = this.session(args.session);
    return this.merges.merge(run, s);
  }

  /** A session ended: its workers that have not, stop (their work is kept). */
  /** Pauses (SIGSTOP) a session's running workers, or lets them go on; its queued ones wait while `held` says so. */
  hold(session: string, paused: boolean): void {
    for (const [id, slot] of this.running) {
      const w = this.table.workers.get(id);
      if (w?.session !== session || !slot.proc) continue;
      if (paused) slot.proc.pause();
      else slot.proc.resume();
      this.update(w, { activity: paused ? 'paused' : 'resumed' });
    }
    if (!paused) this.schedule();
  }

  sessionEnded(session: string): void {
    for (const w of this.table.ofSession(session))
      if (isWorkerLive(w)) void this.halt(w, `its session ${session} ended`);
  }

  /** A session was removed: its workers go from the table (rm kept their branches). */
  sessionRemoved(session: string): void {
    for (const w of this.table.ofSession(session)) {
      if (isWorkerLive(w)) continue;
      this.table.workers.delete(w.id);
      this.ended.delete(w.id);
    }
    this.table.trim((id) => this.host.session(id) !== null);
    this.table.schedule();
  }

  /**
   * The node is stopping: its workers' processes go with it (they are not the operator's to lose: their
   * records stay `running`, and recover() starts them again when the node is back).
   */
  async close(): Promise<void> {
    for (const r of this.running.values()) if (r.proc?.pid) killGroup(r.proc.pid, null);
    this.table.flush();
  }

  // --- the table ---

  private add(f: NewWorker): WorkerRecord {
    const w = this.table.add(f);
    this.host.emit({ kind: 'worker', worker: summaryOf(this.host.node, w) });
    return w;
  }

  /** A new worker in the queue (a coordinator, a resolver), then a wave. */
  private enqueue(f: Parameters<Dispatcher['add']>[0]): WorkerRecord {
    const w = this.add(f);
    this.table.schedule();
    this.schedule();
    return w;
  }

  private update(w: WorkerRecord, patch: Partial<WorkerRecord>): void {
    Object.assign(w, patch, { updatedAt: new Date().toISOString() });
    // a change of state is on disk before anyone hears of it: a node killed right after a worker is done
    // never runs it again; what it is doing and its tokens may wait for the next write
    if (patch.state !== undefined) this.table.flush();
    else this.table.schedule();
    this.host.emit({ kind: 'worker', worker: summaryOf(this.host.node, w) });
    for (const f of [...this.changed]) f();
  }

  private worker(id: string): WorkerRecord {
    const w = this.table.workers.get(id);
    if (!w) throw new RemoteError('not-found', `no worker ${JSON.stringify(id)} on node ${this.host.node}`);
    return w;
  }

  private session(id: string): SessionView {
    const s = this.host.session(id);
    if (!s) throw new RemoteError('not-found', `no session ${JSON.stringify(id)} on node ${this.host.node}`);
    return s;
  }

  private run(session: string, id: string) {
    const run = this.table.runs.get(id);
    if (!run || run.session !== session)
      throw new RemoteError(
        'not-found',
        `no run ${JSON.stringify(id)} of session ${session} on node ${this.host.node}`,
      );
    return run;
  }

  // --- waves ---

  /** Starts what the limits leave room for; runs again if something changed meanwhile. */
  private schedule(): void {
    if (this.scheduling) {
      this.again = true;
      return;
    }
    this.scheduling = true;
    try {
      do {
        this.again = false;
        const waiting = [...this.table.workers.values()].filter(
          (w) => w.state === 'queued' && !this.host.held?.(w.session),
        );
        if (waiting.length === 0 || startsHeld(this.host, waiting, (w, p) => this.update(w, p))) break;
        const queued = fairOrder(waiting);
        const running = zeroByModel();
        for (const id of this.running.keys()) running[this.table.workers.get(id)!.model] += 1;
        const load = this.load();
        const start = pickStarts(
          queued,
          { running, usedBytes: load.used, perWorkerBytes: load.per, freeBytes: freemem() },
          this.limits,
        );
        for (const id of start) void this.start(this.table.workers.get(id)!);
      } while (this.again);
    } finally {
      this.scheduling = false;
    }
  }

  /** Memory the running workers use, measured at most once a second; per worker, the larger of the measure and a floor. */
  private load(): { used: number; per: number } {
    return this.gauge.load([...this.running.values()].map((r) => r.proc?.pid ?? null));
  }

  private async start(w: WorkerRecord): Promise<void> {
    const s = this.host.session(w.session);
    if (!s || !isLive(s.state)) {
      this.update(w, { state: 'stopped', reason: `its session ${w.session} ended`, endedAt: new Date().toISOString() });
      this.merges.workerEnded(w);
      return;
    }
    const slot: Running = { proc: null, prepared: null, stopping: null };
    this.running.set(w.id, slot);
    const now = new Date().toISOString();
    this.update(w, {
      state: 'running',
      attempts: w.attempts + 1,
      activity: 'preparing',
      startedAt: w.startedAt ?? now,
      reason: null,
    });
    let prepared: Prepared;
    try {
      // a wave starts many at once, and preparing one (its folder, its compiled context) is work done in
      // one go: they take turns, one per pass of the event loop, so the node answers in between
      const turn = this.prepareTurn.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
      this.prepareTurn = turn;
      await turn;
      prepared = await this.launcher.prepare(w, s, w.role === 'coordinator' ? this.merges.groupResults(w) : undefined);
    } catch (e) {
      this.running.delete(w.id);
      const why = `could not be prepared: ${oneLine((e as Error).message, 300)}`;
      const endedAt = new Date().toISOString();
      if (slot.stopping) this.update(w, { state: 'stopped', reason: slot.stopping, endedAt });
      else if (w.attempts < MAX_ATTEMPTS)
        this.update(w, { state: 'queued', reason: `retrying: ${why}`, activity: 'queued again' });
      else this.update(w, { state: 'failed', reason: why, endedAt, activity: 'failed' });
      if (!isWorkerLive(w)) this.merges.workerEnded(w);
      this.schedule();
      return;
    }
    slot.prepared = prepared;
    if (slot.stopping) return this.ended_(w, slot, null);
    const proc = WorkerProcess.start({
      id: w.id,
      cwd: prepared.cwd,
      claudeBin: this.host.claudeBin,
      model: w.modelId ?? w.model,
      prompt: prepared.prompt,
      env: this.host.workerEnv(w.id, this.host.tmpDir(w.id)),
      claudeSession: w.claudeSession,
      addDirs: prepared.addDirs,
      extraArgs: prepared.extraArgs,
      silenceMs: this.limits.silenceMs,
      ...(this.host.price ? { price: this.host.price } : {}),
      ...(this.host.tree ? { tree: this.host.tree } : {}),
    });
    slot.proc = proc;
    if (this.host.held?.(w.session)) proc.pause();
    lowerPriority(proc.pid);
    this.update(w, { pid: proc.pid, cwd: prepared.cwd, worktree: w.write ? prepared.cwd : null, activity: 'starting' });
    proc.onActivity((line) => this.update(w, { activity: line }));
    proc.onUsage((u) => this.update(w, { usage: u }));
    proc.onTurn((t) => this.host.turn?.(w, t));
    proc.onRateLimited((ms) => this.host.rateLimited?.(w.id, ms));
    const exit = await proc.exited;
    await this.ended_(w, slot, exit);
  }

  /** A worker's claude has ended (or never started): its result decides done, a retry, or failed. */
  private async ended_(w: WorkerRecord, slot: Running, exit: WorkerExit | null): Promise<void> {
    const s = this.host.session(w.session);
    let outcome = {
      done: false,
      text: '',
      problem: 'it did not start' as string | null,
      recovered: null as string | null,
    };
    if (slot.prepared)
      try {
        outcome = await this.launcher.finish(w, s, slot.prepared);
      } catch (e) {
        outcome.problem = `its folder could not be given back: ${(e as Error).message}`;
      }
    if (slot.proc) this.keepOutput(w.id, slot.proc.output());
    this.running.delete(w.id);
    const usage = exit?.usage ?? w.usage;
    const endedAt = new Date().toISOString();
    const recovered = outcome.recovered ? ` (uncommitted work kept at ${outcome.recovered})` : '';
    if (slot.stopping) {
      this.update(w, {
        state: 'stopped',
        reason: slot.stopping + recovered,
        endedAt,
        pid: null,
        usage,
        activity: 'stopped',
      });
    } else if (w.role === 'coordinator' ? exit && !exit.isError && exit.result : outcome.done) {
      const sentence = w.role === 'coordinator' ? clampWords(exit!.result ?? '', 300) : oneSentence(exit?.result ?? '');
      this.update(w, { state: 'done', sentence, reason: null, endedAt, pid: null, usage, activity: 'done' });
    } else {
      const why = oneLine(
        exit?.silent
          ? `printed nothing for ${Math.round(this.limits.silenceMs / 1000)} s and was interrupted`
          : (exit?.reason ??
              outcome.problem ??
              (exit?.result ? 'it ended without the DONE line in its result file' : 'it ended without a result')),
        300,
      );
      if (w.attempts < MAX_ATTEMPTS)
        this.update(w, {
          state: 'queued',
          reason: `retrying: ${why}`,
          pid: null,
          usage,
          claudeSession: randomUUID(),
          activity: 'queued again',
        });
      else this.update(w, { state: 'failed', reason: why + recovered, endedAt, pid: null, usage, activity: 'failed' });
    }
    if (!isWorkerLive(w)) this.merges.workerEnded(w);
    this.schedule();
  }

  private keepOutput(id: string, out: { lines: string[]; truncated: boolean }): void {
    this.ended.set(id, out);
    while (this.ended.size > KEPT_OUTPUTS) this.ended.delete(this.ended.keys().next().value!);
  }

  /** Stops a worker the node or the operator no longer wants: queued ones at once, running ones through their process. */
  private async halt(w: WorkerRecord, why: string): Promise<void> {
    const slot = this.running.get(w.id);
    if (!slot) {
      if (w.state === 'queued')
        this.update(w, { state: 'stopped', reason: why, endedAt: new Date().toISOString(), activity: 'stopped' });
      this.merges.workerEnded(w);
      return;
    }
    slot.stopping = why;
    if (slot.proc) await slot.proc.stop(why);
    // one being prepared stops as soon as its folder is ready (start() sees `stopping`)
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.running.has(w.id)) return;
        this.changed.delete(check);
        resolve();
      };
      this.changed.add(check);
      check();
    });
  }
}
