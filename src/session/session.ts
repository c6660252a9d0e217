/**
 * One `claude` process in a pseudo-terminal: its output goes to a headless screen and to the node (for the
 * replay buffer and subscribers); dialogs no hook can answer are recognised on the screen and answered by
 * rule, and the API refusing it is recognised there too; hook events from the node move its state.
 */
import { Emitter } from '../protocol/events.js';
import { isLive, type SessionState } from '../protocol/messages.js';
import { singleLine } from '../protocol/safe-text.js';
import { HeadlessScreen, safeLine } from '../terminal/index.js';
import { continueTree, stopTree, processTree } from './process-tree.js';
import { nodePtyFactory, type Disposable, type PtyFactory, type PtyProcess } from './pty.js';
import { apiTroubleOnScreen, inputBoxEnd, type ApiTrouble } from './api-trouble.js';
import { cleanLine } from './prompts/normalise.js';
import { defaultDetector, type DialogDetector, type DialogSeen } from './dialogs.js';

export interface SessionOptions {
  id: string;
  cwd: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cols?: number;
  rows?: number;
  pty?: PtyFactory;
  detector?: DialogDetector;
  /**
   * started with no prompt (brought back after a restart): it becomes idle, with this activity, once claude
   * shows its input box
   */
  idleWhenReady?: string;
}

export interface SessionStatus {
  state: SessionState;
  reason: string | null;
  activity: string;
  exitCode: number | null;
}

const DIALOG_CHECK_MS = 120;
const DIALOG_REPEAT_MS = 2000;
const STOP_GRACE_MS = 5000;
const KEY_GAP_MS = 60;

export class Session {
  readonly screen: HeadlessScreen;
  private proc: PtyProcess | null = null;
  private status: SessionStatus = { state: 'starting', reason: null, activity: 'starting', exitCode: null };
  private beforePause: SessionState | null = null;
  private reasonBeforePause: string | null = null;
  private stopping = false;
  private failure: string | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private lastDialog = { key: '', at: 0 };
  private lastEscalation: string | null = null;
  private lastTrouble: string | null = null;
  private idleWhenReady: string | null;
  private readonly outputs = new Emitter<Buffer>();
  private readonly changes = new Emitter<SessionStatus>();
  private readonly dialogs = new Emitter<DialogSeen | null>();
  private readonly troubles = new Emitter<ApiTrouble>();
  private readonly detector: DialogDetector;
  private exited!: Promise<void>;

  constructor(private readonly opts: SessionOptions) {
    this.screen = new HeadlessScreen({ cols: opts.cols ?? 160, rows: opts.rows ?? 50 });
    this.detector = opts.detector ?? defaultDetector;
    this.idleWhenReady = opts.idleWhenReady ?? null;
  }

  get current(): SessionStatus {
    return { ...this.status };
  }

  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  onOutput(f: (data: Buffer) => void): Disposable {
    return this.outputs.on(f);
  }
  onChange(f: (s: SessionStatus) => void): Disposable {
    return this.changes.on(f);
  }
  /** the dialog the rules put to the operator (a permission prompt on the screen) appeared, changed, or went (null) */
  onDialog(f: (d: DialogSeen | null) => void): Disposable {
    return this.dialogs.on(f);
  }
  /** the screen shows that the API refused the session (a missing or refused login) */
  onApiTrouble(f: (t: ApiTrouble) => void): Disposable {
    return this.troubles.on(f);
  }

  start(): void {
    const pty = this.opts.pty ?? nodePtyFactory;
    let proc: PtyProcess;
    try {
      proc = pty.spawn(this.opts.command, this.opts.args, {
        cwd: this.opts.cwd,
        env: this.opts.env,
        cols: this.opts.cols ?? 160,
        rows: this.opts.rows ?? 50,
      });
    } catch (e) {
      this.set({ state: 'failed', reason: `could not start ${this.opts.command}: ${(e as Error).message}` });
      this.exited = Promise.resolve();
      return;
    }
    this.proc = proc;
    this.screen.onResponse((reply) => this.proc?.write(reply));
    // a session that prints faster than the screen can parse is slowed down, not buffered without bound
    this.screen.onDrain(() => this.proc?.resume());
    proc.onData((data) => {
      if (!this.screen.write(data)) proc.pause();
      this.outputs.emit(data);
      this.scheduleDialogCheck();
    });
    this.exited = new Promise((resolve) => {
      proc.onExit(({ exitCode, signal }) => {
        this.proc = null;
        if (this.checkTimer) clearTimeout(this.checkTimer);
        const ok = (this.stopping || exitCode === 0) && this.failure === null;
        this.set({
          state: ok ? 'exited' : 'failed',
          exitCode,
          reason: ok
            ? this.stopping
              ? 'stopped by the operator'
              : null
            : (this.failure ?? `claude exited with ${signal ? `signal ${signal}` : `code ${exitCode}`}`),
          activity: ok ? 'exited' : 'failed',
        });
        resolve();
      });
    });
  }

  /** Waits for the process to end. */
  wait(): Promise<void> {
    return this.exited;
  }

  /** Moves the state on a hook event Claude Code reported (see node/hooks). */
  setState(state: SessionState, extra: { reason?: string | null; activity?: string } = {}): void {
    if (!isLive(this.status.state)) return;
    if (this.status.state === 'paused') {
      this.beforePause = state;
      return;
    }
    // a reason belongs to the state it was given with: what the session waited for is over when it moves on
    const reason = extra.reason !== undefined ? extra.reason : state === this.status.state ? this.status.reason : null;
    this.set({
      state,
      reason,
      ...(extra.activity !== undefined ? { activity: safeLine(extra.activity) } : {}),
    });
  }

  /**
   * Ends the session because it cannot go on (the API refused its key): claude is stopped, and the session
   * fails with `reason`. The first reason given stands.
   */
  fail(reason: string): void {
    if (!this.proc || this.failure !== null || this.stopping) return;
    this.failure = reason;
    this.setActivity('failed: ending claude');
    void this.end();
  }

  /**
   * Leaves the session waiting for the operator, with why and what they can do (`reason`). The first reason
   * given stands until the session moves on.
   */
  block(reason: string): void {
    if (this.status.state === 'needs-input' && this.status.reason !== null) return;
    this.setState('needs-input', { reason, activity: 'waiting for the operator' });
  }

  setActivity(activity: string): void {
    this.set({ activity: safeLine(activity) });
  }

  write(data: string): void {
    if (!this.proc) throw new Error('the session has no running process');
    this.proc.write(data);
  }

  /** Types a line into the session and submits it: line breaks and tabs become spaces, other unsafe characters go. */
  async sendLine(text: string): Promise<void> {
    this.write(singleLine(text));
    // submit separately, once the input box has taken the text: one write with "\r" reads as a paste
    await this.screen.flushed();
    await new Promise((r) => setTimeout(r, 80));
    this.write('\r');
  }

  /**
   * Types key presses one at a time: a dialog may take a moment to move its cursor, and a press that
   * arrives in the same read as the one before can be lost.
   */
  async press(keys: string[]): Promise<void> {
    for (const [i, k] of keys.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, KEY_GAP_MS));
      this.proc?.write(k);
    }
  }

  interrupt(): void {
    this.write('\x1b');
  }

  /** Stops its process tree; `reason` says why (a budget ran out), kept until it is resumed. */
  pause(reason: string | null = null): number[] {
    if (!this.proc) throw new Error('the session has no running process');
    if (this.status.state === 'paused') {
      if (reason !== null) this.set({ reason });
      return [];
    }
    const pids = stopTree(this.proc.pid);
    this.beforePause = this.status.state;
    this.reasonBeforePause = this.status.reason;
    this.set({ state: 'paused', activity: 'paused', reason });
    return pids;
  }

  resume(): void {
    if (!this.proc) throw new Error('the session has no running process');
    if (this.status.state !== 'paused') return;
    continueTree(this.proc.pid);
    const back = this.beforePause ?? 'working';
    this.beforePause = null;
    this.set({ state: back, activity: back, reason: this.reasonBeforePause });
    this.reasonBeforePause = null;
  }

  /** Ends the session: SIGTERM to claude, then SIGKILL to everything left of its tree after a grace period. */
  async stop(): Promise<void> {
    if (!this.proc) return;
    this.stopping = true;
    await this.end();
  }

  private async end(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const tree = processTree(proc.pid);
    continueTree(proc.pid);
    proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const pid of tree) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }, STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  resize(cols: number, rows: number): void {
    this.proc?.resize(cols, rows);
    this.screen.resize(cols, rows);
  }

  dispose(): void {
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.screen.dispose();
  }

  private set(patch: Partial<SessionStatus>): void {
    const next = { ...this.status, ...patch };
    if (JSON.stringify(next) === JSON.stringify(this.status)) return;
    this.status = next;
    this.changes.emit({ ...next });
  }

  private scheduleDialogCheck(): void {
    if (this.checkTimer) return;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = null;
      void this.screen.flushed().then(() => this.checkDialogs());
    }, DIALOG_CHECK_MS);
  }

  /** The dialog on the screen now, if any (the screen as parsed so far). */
  visibleDialog(): DialogSeen | null {
    return this.proc ? this.detector.detect(this.screen.lines()) : null;
  }

  /**
   * Claude Code retrying a refused request (shown as the activity), or the API refusing the session's login;
   * and, for a session started with no prompt, its input box: it is ready, and idle.
   */
  private checkApi(): void {
    const lines = this.screen.lines();
    if (this.idleWhenReady !== null && this.status.state === 'starting' && inputBoxEnd(lines.map(cleanLine)) >= 0) {
      this.setState('idle', { activity: this.idleWhenReady });
      this.idleWhenReady = null;
    }
    const { retry, trouble } = apiTroubleOnScreen(lines);
    if (retry) this.setActivity(`${retry.what}: Claude Code retries (attempt ${retry.attempt} of ${retry.of})`);
    const key = trouble ? `${trouble.kind}|${trouble.message}` : null;
    if (key === this.lastTrouble) return;
    this.lastTrouble = key;
    if (trouble) this.troubles.emit(trouble);
  }

  private checkDialogs(): void {
    if (!this.proc || this.status.state === 'paused') return;
    const seen = this.detector.detect(this.screen.lines());
    if (seen?.fail) {
      this.failure = `Claude Code cannot go on (its screen shows ${seen.rule}): ${seen.fail}`;
      this.proc.kill('SIGTERM');
      return;
    }
    if (!seen) this.checkApi();
    const escalation = seen && seen.keys === null ? seen.key : null;
    if (escalation !== this.lastEscalation) {
      this.lastEscalation = escalation;
      this.dialogs.emit(escalation ? seen : null);
    }
    if (!seen || seen.keys === null) return;
    const now = Date.now();
    if (seen.key === this.lastDialog.key && now - this.lastDialog.at < DIALOG_REPEAT_MS) return;
    this.lastDialog = { key: seen.key, at: now };
    void this.press(seen.keys);
    this.setActivity(
      `answered ${seen.rule}${seen.choice ? `: ${seen.choice}` : ''}${seen.report ? ' (reported)' : ''}`,
    );
    if (seen.report)
      process.stderr.write(
        `agency session ${this.opts.id}: answered ${seen.rule}: ${seen.choice ?? ''} ${JSON.stringify(seen.details ?? {})}\n`,
      );
    // the screen changes after the keys; look again even if no new output arrives for a while
    this.scheduleDialogCheck();
  }
}
