/** The pseudo-terminal behind a session, behind a small interface so that session logic can be tested without one. */
import * as nodePty from 'node-pty';

export type { Disposable } from '../protocol/events.js';
import type { Disposable } from '../protocol/events.js';

export interface PtyProcess {
  readonly pid: number;
  onData(listener: (data: Buffer) => void): Disposable;
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): Disposable;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
  /** stop reading output (the program blocks once the kernel's buffer is full), and start again */
  pause(): void;
  resume(): void;
}

export interface PtySpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  cols: number;
  rows: number;
}

export interface PtyFactory {
  spawn(file: string, args: string[], opts: PtySpawnOptions): PtyProcess;
}

/** node-pty, with output as raw bytes (sequence numbers count bytes, and replay must be exact). */
export const nodePtyFactory: PtyFactory = {
  spawn(file, args, opts) {
    const p = nodePty.spawn(file, args, {
      name: 'xterm-256color',
      cwd: opts.cwd,
      env: opts.env as Record<string, string>,
      cols: opts.cols,
      rows: opts.rows,
      encoding: null,
    } as nodePty.IPtyForkOptions);
    return {
      pid: p.pid,
      onData: (f) => p.onData((d: string | Buffer) => f(typeof d === 'string' ? Buffer.from(d, 'utf8') : d)),
      onExit: (f) => p.onExit((e) => f({ exitCode: e.exitCode, ...(e.signal ? { signal: e.signal } : {}) })),
      write: (d) => p.write(d),
      resize: (c, r) => p.resize(c, r),
      kill: (s) => p.kill(s),
      pause: () => p.pause(),
      resume: () => p.resume(),
    };
  },
};
