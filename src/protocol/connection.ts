/**
 * One protocol connection over a duplex byte stream (a Unix socket, an SSH channel): the version
 * handshake, requests matched to responses, events, and PTY chunks.
 */
import type { Duplex } from 'node:stream';
import { Emitter, type Disposable } from './events.js';
import { encodeJson, encodePty, FrameDecoder, ProtocolError, type PtyChunk } from './frames.js';
import {
  PROTOCOL_VERSION,
  type ErrorCode,
  type Hello,
  type NodeEvent,
  type Op,
  type OpArgs,
  type OpResults,
  type Request,
  type Response,
} from './messages.js';

/** An error a node returned for a request: its code says what kind. */
export class RemoteError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

type RequestHandler = (op: Op, args: unknown) => Promise<unknown>;

export class Connection {
  readonly ready: Promise<Hello>;
  private readonly decoder = new FrameDecoder();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private handler: RequestHandler | null = null;
  private readonly events = new Emitter<NodeEvent>();
  private readonly ptys = new Emitter<PtyChunk>();
  private readonly closes = new Emitter<Error | undefined>();
  private peer: Hello | null = null;
  private closed = false;
  private resolveReady!: (h: Hello) => void;
  private rejectReady!: (e: Error) => void;

  constructor(
    private readonly stream: Duplex,
    hello: Omit<Hello, 't' | 'protocol'>,
  ) {
    this.ready = new Promise((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => undefined);
    stream.on('data', (d: Buffer) => this.onData(d));
    stream.on('error', (e) => this.fail(e));
    stream.on('close', () => this.fail(undefined));
    this.write(encodeJson({ t: 'hello', protocol: PROTOCOL_VERSION, ...hello }));
  }

  get peerHello(): Hello | null {
    return this.peer;
  }

  /** Bytes queued for the peer but not yet taken by it: how far behind a slow peer is. */
  get backlog(): number {
    return this.stream.writableLength;
  }

  request<O extends Op>(op: O, args: OpArgs[O]): Promise<OpResults[O]> {
    if (this.closed) return Promise.reject(new Error('the connection is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.write(encodeJson({ t: 'req', id, op, args } satisfies Request<O>));
    });
  }

  handle(handler: RequestHandler): void {
    this.handler = handler;
  }

  onEvent(f: (e: NodeEvent) => void): Disposable {
    return this.events.on(f);
  }

  onPty(f: (c: PtyChunk) => void): Disposable {
    return this.ptys.on(f);
  }

  onClose(f: (err: Error | undefined) => void): Disposable {
    return this.closes.on(f);
  }

  sendEvent(event: NodeEvent): void {
    this.write(encodeJson({ t: 'event', event }));
  }

  sendPty(chunk: PtyChunk): void {
    this.write(encodePty(chunk));
  }

  close(): void {
    this.stream.end();
    this.fail(undefined);
  }

  private write(buf: Buffer): void {
    if (!this.closed) this.stream.write(buf);
  }

  private onData(d: Buffer): void {
    let frames;
    try {
      frames = this.decoder.push(d);
    } catch (e) {
      this.fail(e as Error);
      this.stream.destroy();
      return;
    }
    for (const f of frames) {
      if (f.type === 'pty') {
        if (this.peer) this.ptys.emit(f.chunk);
        continue;
      }
      const m = f.message as { t?: unknown };
      if (!this.peer) {
        this.onHello(m);
        if (!this.peer) return;
        continue;
      }
      if (m.t === 'res') this.onResponse(m as Response);
      else if (m.t === 'req') void this.onRequest(m as Request);
      else if (m.t === 'event') this.events.emit((m as { event: NodeEvent }).event);
    }
  }

  private onHello(m: { t?: unknown; protocol?: unknown }): void {
    if (m.t !== 'hello' || typeof m.protocol !== 'number') {
      this.fail(new ProtocolError('the peer did not start with a hello: it is not an agency node or cockpit'));
      this.stream.destroy();
      return;
    }
    if (m.protocol !== PROTOCOL_VERSION) {
      this.fail(
        new ProtocolError(
          `protocol version ${m.protocol} on the other side, ${PROTOCOL_VERSION} here: run \`agency push\` so that both run the same agency`,
        ),
      );
      this.stream.destroy();
      return;
    }
    this.peer = m as Hello;
    this.resolveReady(this.peer);
  }

  private onResponse(r: Response): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.ok) p.resolve(r.result);
    else p.reject(new RemoteError(r.error.code, r.error.message));
  }

  private async onRequest(r: Request): Promise<void> {
    const respond = (res: Response) => this.write(encodeJson(res));
    if (!this.handler)
      return respond({
        t: 'res',
        id: r.id,
        ok: false,
        error: { code: 'bad-request', message: 'this side takes no requests' },
      });
    try {
      respond({ t: 'res', id: r.id, ok: true, result: await this.handler(r.op, r.args) });
    } catch (e) {
      const code = e instanceof RemoteError ? e.code : 'failed';
      respond({ t: 'res', id: r.id, ok: false, error: { code, message: (e as Error).message } });
    }
  }

  private fail(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    const e = err ?? new Error('the connection closed');
    this.rejectReady(e);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.closes.emit(err);
  }
}
