/**
 * Lines of a child's output, in bounded memory. Bytes are split at `\n` (which never occurs inside a
 * UTF-8 sequence, so each line decodes on its own); a line longer than the cap is dropped whole, its bytes
 * discarded as they arrive rather than kept, so a process that prints a gigabyte without a line break costs
 * no more than the cap.
 */

export interface LineSink {
  /** a whole line, without its `\n` (nor a `\r` before it) */
  line(text: string): void;
  /** a line longer than the cap was dropped; `bytes` is how long it was */
  dropped(bytes: number): void;
}

export class BoundedLines {
  private parts: Buffer[] = [];
  private pending = 0;
  /** bytes of a line being dropped (it passed the cap); 0 when none */
  private dropping = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly sink: LineSink,
  ) {}

  /** bytes held for the line not yet ended (never more than the cap) */
  get held(): number {
    return this.pending;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      this.take(chunk.subarray(start, end));
      if (nl < 0) return;
      this.endLine();
      start = nl + 1;
    }
  }

  /** The output ended: a last line without `\n` still counts. */
  end(): void {
    if (this.pending > 0 || this.dropping > 0) this.endLine();
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.dropping > 0) {
      this.dropping += piece.length;
      return;
    }
    if (this.pending + piece.length > this.maxLineBytes) {
      this.dropping = this.pending + piece.length;
      this.parts = [];
      this.pending = 0;
      return;
    }
    // a copy: the chunk's buffer may be a slice of a larger pooled one that must not be kept alive
    this.parts.push(Buffer.from(piece));
    this.pending += piece.length;
  }

  private endLine(): void {
    if (this.dropping > 0) {
      const bytes = this.dropping;
      this.dropping = 0;
      this.sink.dropped(bytes);
      return;
    }
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    let text = buf.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    this.sink.line(text);
  }
}

/** The last `max` bytes of a stream (a child's stderr), decoded leniently when read. */
export class Tail {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    const piece = chunk.length > this.max ? chunk.subarray(chunk.length - this.max) : chunk;
    this.parts.push(Buffer.from(piece));
    this.size += piece.length;
    while (this.size - this.parts[0]!.length >= this.max) this.size -= this.parts.shift()!.length;
  }

  text(): string {
    const all = Buffer.concat(this.parts, this.size);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}
