/**
 * A session's recent terminal output, bounded, addressed by sequence number: the byte offset of a chunk
 * in everything the session has printed. A client that has everything before `seq` asks for what follows.
 */
export class ReplayBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** sequence number of the first byte held */
  private start: number;

  constructor(
    private readonly capacity: number,
    startSeq = 0,
  ) {
    this.start = startSeq;
  }

  /** sequence number the next byte will get */
  get end(): number {
    return this.start + this.size;
  }

  get firstSeq(): number {
    return this.start;
  }

  /** Appends and returns the chunk's sequence number. Old bytes fall off the front past capacity. */
  append(data: Buffer): number {
    const seq = this.end;
    this.chunks.push(data);
    this.size += data.length;
    while (this.size > this.capacity && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.capacity;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.start += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.start += excess;
      }
    }
    return seq;
  }

  /** Everything from seq on, or null when seq is older than what is held (the caller needs a snapshot). */
  since(seq: number): Buffer | null {
    if (seq < this.start) return null;
    if (seq >= this.end) return Buffer.alloc(0);
    return Buffer.concat(this.chunks).subarray(seq - this.start);
  }

  /** All bytes held, from firstSeq. */
  contents(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
}
