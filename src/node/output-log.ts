/**
 * A session's replay buffer, kept on disk as well, so that after the node restarts the session's output
 * (and its sequence numbers) are as they were. The file's name carries the sequence number of its first
 * byte; past twice the capacity it is rewritten with only the newest bytes.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { ReplayBuffer } from './replay-buffer.js';

const NAME = /^output-(\d+)\.bin$/;

export class OutputLog {
  readonly buffer: ReplayBuffer;
  private fd: number;
  private base: number;
  private fileSize: number;

  private constructor(
    private readonly dir: string,
    private readonly capacity: number,
    buffer: ReplayBuffer,
    base: number,
    fileSize: number,
  ) {
    this.buffer = buffer;
    this.base = base;
    this.fileSize = fileSize;
    this.fd = openSync(this.path(), 'a', 0o600);
  }

  /** Opens the log in dir, loading what an earlier run of the node left there. */
  static open(dir: string, capacity: number): OutputLog {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const files = readdirSync(dir)
      .map((n) => NAME.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[0], base: Number(m[1]) }))
      .sort((a, b) => b.base - a.base);
    const latest = files[0];
    for (const old of files.slice(1)) rmSync(join(dir, old.name), { force: true });
    if (!latest) return new OutputLog(dir, capacity, new ReplayBuffer(capacity, 0), 0, 0);
    const path = join(dir, latest.name);
    const size = statSync(path).size;
    const keep = Math.min(size, capacity);
    const data = Buffer.alloc(keep);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, data, 0, keep, size - keep);
    } finally {
      closeSync(fd);
    }
    const buffer = new ReplayBuffer(capacity, latest.base + size - keep);
    buffer.append(data);
    return new OutputLog(dir, capacity, buffer, latest.base, size);
  }

  /** Appends output; returns its sequence number. */
  append(data: Buffer): number {
    const seq = this.buffer.append(data);
    writeSync(this.fd, data);
    this.fileSize += data.length;
    if (this.fileSize > 2 * this.capacity) this.rotate();
    return seq;
  }

  close(): void {
    closeSync(this.fd);
  }

  private path(base = this.base): string {
    return join(this.dir, `output-${base}.bin`);
  }

  private rotate(): void {
    const old = this.path();
    closeSync(this.fd);
    this.base = this.buffer.firstSeq;
    writeFileAtomic(this.path(), this.buffer.contents());
    this.fileSize = this.buffer.end - this.base;
    rmSync(old, { force: true });
    this.fd = openSync(this.path(), 'a', 0o600);
  }
}
