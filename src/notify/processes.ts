/**
 * Running the small programs that tell the operator (notify-send, osascript, the operator's command): never
 * through a shell unless the operator's command is one, each in its own process group so that a timeout
 * kills all it started, a bounded number at once and a bounded number waiting, and what failed said once.
 */
import { spawn } from 'node:child_process';
import { cleanLine } from './text.js';

export interface Launch {
  file: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
}

export type Outcome = { ok: true } | { ok: false; why: string };

export interface BoundedOptions {
  /** killed (with all it started) after this long (default 5 s) */
  timeoutMs?: number;
  /** at most this many at once (default 2) */
  concurrency?: number;
  /** at most this many waiting; more are dropped (default 20) */
  queue?: number;
}

/** How much of a failing program's stderr is kept to say why it failed. */
const STDERR_KEPT = 2048;

/** Runs one program to its end, or kills its process group at the timeout. Never rejects. */
export function runOnce(l: Launch, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let stderr = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(l.file, [...l.args], { env: l.env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    } catch (e) {
      resolve({ ok: false, why: (e as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < STDERR_KEPT) stderr += d.toString('utf8').slice(0, STDERR_KEPT - stderr.length);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({
        ok: false,
        why: (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${l.file} was not found` : e.message,
      });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut)
        return resolve({ ok: false, why: `it was still running after ${timeoutMs / 1000} s and was killed` });
      if (code === 0) return resolve({ ok: true });
      const said = cleanLine(stderr.split('\n').find((x) => x.trim() !== '') ?? '', 200);
      resolve({ ok: false, why: `${signal ? `killed by ${signal}` : `exit ${code}`}${said ? `: ${said}` : ''}` });
    });
  });
}

/**
 * Runs programs a few at a time. A failure is reported once (`report`), and not again until one has worked;
 * what is dropped because too many wait is reported once too.
 */
export class BoundedRunner {
  private running = 0;
  private readonly waiting: Launch[] = [];
  private failing = false;
  private dropping = false;
  private idle: (() => void)[] = [];
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly queue: number;

  constructor(
    private readonly what: string,
    private readonly report: (message: string) => void,
    o: BoundedOptions = {},
  ) {
    this.timeoutMs = o.timeoutMs ?? 5000;
    this.concurrency = o.concurrency ?? 2;
    this.queue = o.queue ?? 20;
  }

  run(l: Launch): void {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) {
        if (!this.dropping)
          this.report(`${this.what} is slow: notifications were dropped while too many waited for it`);
        this.dropping = true;
        return;
      }
      this.waiting.push(l);
      return;
    }
    this.start(l);
  }

  /** Resolves when nothing runs or waits (for tests and for a clean exit). */
  settled(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private start(l: Launch): void {
    this.running++;
    void runOnce(l, this.timeoutMs).then((o) => {
      this.running--;
      if (o.ok) this.failing = this.dropping = false;
      else if (!this.failing) {
        this.failing = true;
        this.report(`${this.what} failed (${o.why}); this is said once until it works again`);
      }
      const next = this.waiting.shift();
      if (next) this.start(next);
      else if (this.running === 0) for (const r of this.idle.splice(0)) r();
    });
  }
}
