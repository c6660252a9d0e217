/**
 * One worker's claude: a headless `claude -p` with stream-json output, in a process group of its own (so
 * that stopping it reaches the shells, servers and hooks it started), stdin closed. What it prints is read
 * line by line in bounded memory (bounded-lines.ts, stream-events.ts): agency keeps of a worker only a short
 * plain-text log, its current activity, its usage and, at the end, its result. A worker that prints
 * nothing for `silenceMs` is interrupted (SIGINT, which Claude Code takes as the user's interrupt), then
 * terminated, then killed.
 *
 * Observed with Claude Code 2.1.197 in `-p` mode: SIGINT ends the run with exit code 0, sometimes after a
 * `result` of subtype `error_during_execution`, sometimes with no result at all; SIGTERM ends it with 143
 * and no result. So a run is a success only when its result says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Usage } from '../protocol/messages.js';
import { BoundedLines, Tail } from './bounded-lines.js';
import { ClaudeEvents, OUTPUT_LINE_CHARS, type PriceOf, type TokenCounts } from './stream-events.js';
import { oneLine } from './views.js';

export type { PriceOf, TokenCounts } from './stream-events.js';

export interface WorkerLaunch {
  /** the node's id for the worker (w-…), for messages */
  id: string;
  cwd: string;
  claudeBin: string;
  /** a model alias (haiku, sonnet, opus) or id, passed as --model */
  model: string;
  prompt: string;
  env: NodeJS.ProcessEnv;
  /** a fresh UUID for --session-id; with `resume: true` it is resumed instead (--resume) with the prompt as the next turn */
  claudeSession: string;
  resume?: boolean;
  /** folders besides cwd it may read (--add-dir) */
  addDirs?: string[];
  /** more claude arguments (--permission-mode, --settings, --tools "" for a coordinator...) */
  extraArgs?: string[];
  /** a worker that prints nothing for this long is interrupted (SIGINT, then SIGTERM, then SIGKILL to its process group); 0 or Infinity: never */
  silenceMs: number;
  /** lines of output kept (default 200) */
  keepLines?: number;
  /** how long each signal of an interrupt or a stop is given before the next, harder one (default 5 s) */
  graceMs?: number;
  /** prices usage while it runs (Claude Code's own figure replaces it at the end); without it, cost counts 0 and the models are listed unpriced */
  price?: PriceOf;
  /** stops and continues its whole process tree (children that left its process group too); else the group alone */
  tree?: ProcessTree;
}

/** A process tree's pause: the node's (session/process-tree.ts), given by the host. */
export interface ProcessTree {
  stop(root: number): void;
  continue(root: number): void;
}

/** One response's usage as a worker printed it (or what a later event of it added). */
export interface WorkerTurn {
  model: string;
  tokens: TokenCounts;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the `result` event's text, if one came (control characters removed, line breaks kept) */
  result: string | null;
  isError: boolean;
  /** one line: why it failed, when it did (the result's error, the signal, silence, a start failure) */
  reason: string | null;
  /** it was killed for printing nothing for silenceMs */
  silent: boolean;
  /** from the result event (total_cost_usd, modelUsage) when there is one, else summed from assistant events by message id */
  usage: Usage;
}

const DEFAULT_KEEP_LINES = 200;
const DEFAULT_GRACE_MS = 5_000;
/** an event longer than this is dropped (the largest real ones, a file read or written whole, are far smaller) */
export const MAX_EVENT_BYTES = 1024 * 1024;
const STDERR_TAIL_BYTES = 8 * 1024;
/** after the process exits, how long its output may take to close (a stray child holding it open) */
const CLOSE_GRACE_MS = 2_000;
/** the longest delay a Node timer takes (a longer one fires at once) */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The command line of a worker's claude: flags first, the prompt after `--` so it is never read as one. */
export function claudeArgs(o: WorkerLaunch): string[] {
  return [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    '--model',
    o.model,
    o.resume ? '--resume' : '--session-id',
    o.claudeSession,
    ...(o.addDirs ?? []).flatMap((d) => ['--add-dir', d]),
    ...(o.extraArgs ?? []),
    '--',
    o.prompt,
  ];
}

export class WorkerProcess {
  readonly pid: number | null;
  readonly exited: Promise<WorkerExit>;

  private readonly events: ClaudeEvents;
  private readonly lines: string[] = [];
  private truncated = false;
  private readonly keepLines: number;
  private readonly grace: number;
  private readonly stderr = new Tail(STDERR_TAIL_BYTES);
  private readonly stdout: BoundedLines;
  private readonly activityListeners = new Set<(line: string) => void>();
  private readonly usageListeners = new Set<(u: Usage) => void>();
  private readonly turnListeners = new Set<(t: WorkerTurn) => void>();
  private readonly rateListeners = new Set<(retryMs: number | null) => void>();
  private resolve!: (e: WorkerExit) => void;
  private done: WorkerExit | null = null;
  private startError: string | null = null;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private activity = '';
  private lastOutput = Date.now();
  private silent = false;
  private paused = false;
  private stopReason: string | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private signalTimer: NodeJS.Timeout | null = null;
  private closeTimer: NodeJS.Timeout | null = null;

  static start(o: WorkerLaunch): WorkerProcess {
    return new WorkerProcess(o);
  }

  private constructor(private readonly o: WorkerLaunch) {
    this.keepLines = Math.max(1, o.keepLines ?? DEFAULT_KEEP_LINES);
    this.grace = o.graceMs ?? DEFAULT_GRACE_MS;
    this.exited = new Promise((r) => (this.resolve = r));
    this.events = new ClaudeEvents(
      o.cwd,
      {
        activity: (line) => {
          if (line === this.activity) return; // told once, however many events say the same
          this.activity = line;
          this.emit(this.activityListeners, line);
        },
        output: (line) => this.keep(line),
        usage: (u) => this.emit(this.usageListeners, u),
        turn: (model, tokens) => this.emit(this.turnListeners, { model, tokens }),
        rateLimited: (ms) => this.emit(this.rateListeners, ms),
      },
      o.price,
    );
    this.stdout = new BoundedLines(MAX_EVENT_BYTES, {
      line: (text) => this.events.line(text),
      dropped: (bytes) => this.keep(`(an output line of ${(bytes / 1024 / 1024).toFixed(1)} MB was dropped)`),
    });

    let child: ChildProcess;
    try {
      child = spawn(o.claudeBin, claudeArgs(o), {
        cwd: o.cwd,
        env: o.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (e) {
      this.pid = null;
      this.failToStart(e as Error);
      return;
    }
    this.pid = child.pid ?? null;
    child.on('error', (e) => {
      if (child.pid === undefined) this.failToStart(e);
    });
    if (child.pid === undefined) return; // the error event follows
    child.stdout!.on('data', (d: Buffer) => {
      this.lastOutput = Date.now();
      this.stdout.push(d);
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.lastOutput = Date.now();
      this.stderr.push(d);
    });
    child.on('exit', (code, signal) => {
      this.exitStatus = { code, signal };
      this.clearTimers();
      this.signalGroup('SIGKILL'); // what it started and left behind goes with it
      this.closeTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        this.finish();
      }, CLOSE_GRACE_MS);
    });
    child.on('close', () => this.finish());
    this.watchSilence();
  }

  /** A line of plain text of what it is doing now, for activity. */
  onActivity(f: (line: string) => void): () => void {
    this.activityListeners.add(f);
    return () => this.activityListeners.delete(f);
  }

  /** Usage so far (per assistant message). */
  onUsage(f: (u: Usage) => void): () => void {
    this.usageListeners.add(f);
    return () => this.usageListeners.delete(f);
  }

  /** Each response's usage as it is printed (what a later event of the same response added, too), with its model. */
  onTurn(f: (t: WorkerTurn) => void): () => void {
    this.turnListeners.add(f);
    return () => this.turnListeners.delete(f);
  }

  /** The API rate-limited it (429): the wait the API named, or null when none is known. */
  onRateLimited(f: (retryMs: number | null) => void): () => void {
    this.rateListeners.add(f);
    return () => this.rateListeners.delete(f);
  }

  /** Bounded plain-text log: what it said and which tools it called, oldest first; `truncated` if older lines went. */
  output(): { lines: string[]; truncated: boolean } {
    return { lines: [...this.lines], truncated: this.truncated };
  }

  /** Stops its process group and tree where they are (SIGSTOP); its silence does not count while it is paused. */
  pause(): void {
    if (this.paused || this.done || this.exitStatus || this.pid === null) return;
    this.paused = true;
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
    this.signalGroup('SIGSTOP');
    this.o.tree?.stop(this.pid);
  }

  /** Lets a paused worker go on (SIGCONT); its silence is counted from now. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.pid !== null) this.o.tree?.continue(this.pid);
    this.signalGroup('SIGCONT');
    this.lastOutput = Date.now();
    if (!this.exitStatus && !this.silenceTimer) this.watchSilence();
  }

  /** Stops it: SIGTERM to its process group, SIGKILL after a grace period; resolves when it has exited. */
  stop(reason: string): Promise<WorkerExit> {
    // one that has exited already (its output still closing) ends as it did
    if (!this.done && !this.exitStatus && this.stopReason === null) {
      this.stopReason = oneLine(reason, 200) || 'stopped';
      this.escalate(['SIGTERM', 'SIGKILL']);
      // a paused worker takes the signal only once it runs again
      if (this.paused) {
        this.paused = false;
        this.signalGroup('SIGCONT');
      }
    }
    return this.exited;
  }

  private emit<T>(listeners: Set<(x: T) => void>, x: T): void {
    for (const f of [...listeners]) {
      try {
        f(x);
      } catch {
        // a listener's failure is its own; the worker goes on
      }
    }
  }

  private keep(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.keepLines) {
      this.lines.splice(0, this.lines.length - this.keepLines);
      this.truncated = true;
    }
  }

  private watchSilence(): void {
    if (this.paused) return;
    if (!(this.o.silenceMs > 0 && Number.isFinite(this.o.silenceMs))) return; // no limit
    const left = this.lastOutput + this.o.silenceMs - Date.now();
    if (left > 0) {
      this.silenceTimer = setTimeout(() => this.watchSilence(), Math.min(left, MAX_TIMER_MS));
      return;
    }
    this.silenceTimer = null;
    this.silent = true;
    this.keep(`(printed nothing for ${seconds(this.o.silenceMs)}: interrupted)`);
    this.escalate(['SIGINT', 'SIGTERM', 'SIGKILL']);
  }

  /** Sends the first signal now and each next one a grace period later, until the process has exited. */
  private escalate(signals: NodeJS.Signals[]): void {
    if (this.signalTimer) clearTimeout(this.signalTimer);
    this.signalTimer = null;
    const [first, ...rest] = signals;
    if (!first || this.exitStatus) return;
    this.signalGroup(first);
    if (rest.length) this.signalTimer = setTimeout(() => this.escalate(rest), this.grace);
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.pid === null) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // the group is gone already
    }
  }

  private clearTimers(): void {
    for (const t of [this.silenceTimer, this.signalTimer, this.closeTimer]) if (t) clearTimeout(t);
    this.silenceTimer = this.signalTimer = this.closeTimer = null;
  }

  private failToStart(e: Error & { code?: string }): void {
    this.startError =
      e.code === 'ENOENT' && !existsSync(this.o.cwd)
        ? `could not start claude: its folder ${this.o.cwd} does not exist`
        : `could not start ${this.o.claudeBin}: ${e.message}`;
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.clearTimers();
    this.stdout.end();
    const { code, signal } = this.exitStatus ?? { code: null, signal: null };
    const r = this.events.result;
    const succeeded = r !== null && !r.isError;
    let reason: string | null;
    if (this.startError) reason = this.startError;
    else if (this.stopReason !== null && !succeeded) reason = `stopped: ${this.stopReason}`;
    else if (this.silent && !succeeded) reason = `printed nothing for ${seconds(this.o.silenceMs)} and was interrupted`;
    else if (r) reason = r.reason;
    else {
      const how = signal
        ? `was ended by ${signal}`
        : code === 0
          ? 'exited without a result'
          : `exited with code ${code}`;
      const said = lastLines(this.stderr.text());
      reason = said ? `${how}: ${said}` : how;
    }
    this.done = {
      code,
      signal,
      result: r?.text ?? null,
      isError: !succeeded || this.startError !== null,
      reason: reason === null ? null : oneLine(reason, 300),
      silent: this.silent,
      usage: this.events.finalUsage(),
    };
    if (this.done.isError && this.done.reason === null) this.done.reason = 'it failed, and did not say why';
    if (reason) this.keep(oneLine(`ended: ${reason}`, OUTPUT_LINE_CHARS));
    this.activityListeners.clear();
    this.usageListeners.clear();
    this.turnListeners.clear();
    this.resolve(this.done);
  }
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

/** The last few non-empty lines of a process's error output, as one line. */
function lastLines(text: string): string {
  return oneLine(
    text
      .split('\n')
      .filter((l) => l.trim())
      .slice(-3)
      .join(' '),
    300,
  );
}
