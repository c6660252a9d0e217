/**
 * Framing of the cockpit ↔ node byte stream. A frame is a 4-byte big-endian length (of what follows it),
 * a 1-byte type, and a payload:
 *   JSON (1): a UTF-8 JSON message;
 *   PTY  (2): u16 session-id length, the session id, a u64 sequence number (the byte offset of this chunk
 *             in the session's whole output), and the raw bytes.
 * PTY bytes travel as bytes (no base64), and can never be read as a frame: they only ever sit inside one.
 */
export const FRAME_JSON = 1;
export const FRAME_PTY = 2;
/** a frame larger than this is a protocol error, not a reason to buffer without bound */
export const MAX_FRAME = 16 * 1024 * 1024;

export interface PtyChunk {
  session: string;
  seq: number;
  data: Buffer;
}
export type Frame = { type: 'json'; message: unknown } | { type: 'pty'; chunk: PtyChunk };

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function encodeJson(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const out = Buffer.allocUnsafe(5 + body.length);
  out.writeUInt32BE(body.length + 1, 0);
  out[4] = FRAME_JSON;
  body.copy(out, 5);
  return out;
}

export function encodePty(chunk: PtyChunk): Buffer {
  const id = Buffer.from(chunk.session, 'utf8');
  const out = Buffer.allocUnsafe(5 + 2 + id.length + 8 + chunk.data.length);
  out.writeUInt32BE(1 + 2 + id.length + 8 + chunk.data.length, 0);
  out[4] = FRAME_PTY;
  out.writeUInt16BE(id.length, 5);
  id.copy(out, 7);
  out.writeBigUInt64BE(BigInt(chunk.seq), 7 + id.length);
  chunk.data.copy(out, 15 + id.length);
  return out;
}

/** Incremental decoder: push bytes as they arrive, get whole frames out. Throws ProtocolError on garbage. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(data: Buffer): Frame[] {
    this.chunks.push(data);
    this.buffered += data.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(5);
      const len = head.readUInt32BE(0);
      if (len < 1 || len > MAX_FRAME)
        throw new ProtocolError(`frame of ${len} bytes is out of bounds (the peer is not speaking agency's protocol)`);
      if (this.buffered < 4 + len) break;
      const frame = this.take(4 + len).subarray(4);
      frames.push(decodeFrame(frame));
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

function decodeFrame(f: Buffer): Frame {
  const type = f[0];
  if (type === FRAME_JSON) {
    let message: unknown;
    try {
      message = JSON.parse(f.subarray(1).toString('utf8'));
    } catch {
      throw new ProtocolError('a JSON frame does not hold valid JSON');
    }
    return { type: 'json', message };
  }
  if (type === FRAME_PTY) {
    if (f.length < 11) throw new ProtocolError('a PTY frame is too short');
    const idLen = f.readUInt16BE(1);
    if (f.length < 3 + idLen + 8) throw new ProtocolError('a PTY frame is too short for its session id');
    const session = f.subarray(3, 3 + idLen).toString('utf8');
    const seq = Number(f.readBigUInt64BE(3 + idLen));
    return { type: 'pty', chunk: { session, seq, data: Buffer.from(f.subarray(11 + idLen)) } };
  }
  throw new ProtocolError(`unknown frame type ${type}`);
}
