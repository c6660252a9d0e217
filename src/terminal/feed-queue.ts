/**
 * Bytes on their way into xterm.js, with backpressure. xterm parses asynchronously (in slices of about
 * 12 ms, each on its own timer) and throws "write data discarded" once more than 50 MB wait unparsed, so a
 * session printing faster than the parser must neither crash the screen nor lose output. This queue hands
 * xterm at most `feedLimit` characters at a time, holds the rest itself, and tells the writer when to
 * pause its source (write returns false above `highWaterMark`) and when to resume (`onDrain`).
 */
import { Emitter } from '../protocol/events.js';
import type { Disposable } from './types.js';

export type Chunk = string | Uint8Array;

/** The part of xterm's Terminal the queue needs (a seam for tests). */
export interface ParserSink {
  write(data: Chunk, parsed: () => void): void;
}

export interface FeedQueueOptions {
  /** characters (string) or bytes (Uint8Array) handed to the parser at once; well under xterm's 50 MB */
  feedLimit?: number;
  /** unparsed data above which write() returns false */
  highWaterMark?: number;
}

type Held = Chunk | (() => void); // a function is a flush marker

export class FeedQueue {
  private readonly feedLimit: number;
  private readonly highWaterMark: number;
  private inParser = 0;
  private pending = 0;
  private held: Held[] = [];
  private heldHead = 0;
  private blocked = false;
  private readonly drain = new Emitter<void>();

  constructor(
    private readonly sink: ParserSink,
    opts: FeedQueueOptions = {},
  ) {
    this.feedLimit = opts.feedLimit ?? 8 * 1024 * 1024;
    this.highWaterMark = opts.highWaterMark ?? 4 * 1024 * 1024;
  }

  /** Data written and not parsed yet. */
  get pendingSize(): number {
    return this.pending;
  }

  /** Queue data for the parser; false means "pause the source until onDrain". Never throws, never drops. */
  write(data: Chunk): boolean {
    const n = data.length;
    if (n === 0) return !this.blocked;
    this.pending += n;
    if (n > this.feedLimit) {
      // split so that no single write reaches xterm's discard mark; xterm's decoders carry a UTF-16 surrogate
      // or a UTF-8 sequence cut at a chunk boundary over to the next chunk
      for (let i = 0; i < n; i += this.feedLimit) {
        this.enqueue(
          typeof data === 'string' ? data.slice(i, i + this.feedLimit) : data.subarray(i, i + this.feedLimit),
        );
      }
    } else {
      this.enqueue(data);
    }
    if (this.pending >= this.highWaterMark) this.blocked = true;
    return !this.blocked;
  }

  /** Calls `done` once everything written before has been parsed. */
  flush(done: () => void): void {
    if (this.heldHead < this.held.length) this.held.push(done);
    else this.sink.write('', done);
  }

  onDrain(listener: () => void): Disposable {
    return this.drain.on(listener);
  }

  dispose(): void {
    this.held = [];
    this.heldHead = 0;
    this.drain.clear();
  }

  private enqueue(data: Chunk): void {
    if (this.heldHead < this.held.length || (this.inParser > 0 && this.inParser + data.length > this.feedLimit)) {
      this.held.push(data);
    } else {
      this.feed(data);
    }
  }

  private feed(data: Chunk): void {
    const n = data.length;
    this.inParser += n;
    this.sink.write(data, () => this.parsed(n));
  }

  private parsed(n: number): void {
    this.inParser -= n;
    this.pending -= n;
    while (this.heldHead < this.held.length) {
      const next = this.held[this.heldHead]!;
      if (typeof next === 'function') {
        this.sink.write('', next);
      } else {
        if (this.inParser > 0 && this.inParser + next.length > this.feedLimit) break;
        this.feed(next);
      }
      this.heldHead++;
    }
    if (this.heldHead === this.held.length) {
      this.held = [];
      this.heldHead = 0;
    } else if (this.heldHead > 1024) {
      this.held = this.held.slice(this.heldHead);
      this.heldHead = 0;
    }
    if (this.blocked && this.pending <= this.highWaterMark / 2) {
      this.blocked = false;
      this.drain.emit();
    }
  }
}
