/**
 * A session's terminal bytes, followed across reconnects: after a drop the cockpit asks for everything
 * after the last sequence number it holds, so the stream it hands on has no gap and no duplicate; when
 * the node no longer holds that far back, it hands on the node's screen to repaint from instead.
 */
import type { NodeLink } from '../fleet/link.js';
import type { Connection } from '../protocol/connection.js';
import type { Disposable } from '../protocol/events.js';
import type { ScreenView } from '../protocol/messages.js';

export interface PtyStream {
  /** bytes in order, each chunk starting at `seq` */
  onData(seq: number, data: Buffer): void;
  /** the node could not replay from where we were: repaint from this screen; bytes resume at view.outputSeq */
  onReset(view: ScreenView): void;
}

export function subscribePty(link: NodeLink, session: string, fromSeq: number, out: PtyStream): () => void {
  let next = fromSeq;
  let stopped = false;
  const perConnection: Disposable[] = [];

  const attach = (c: Connection) => {
    if (stopped) return;
    perConnection.push(
      c.onPty((chunk) => {
        if (chunk.session !== session) return;
        const end = chunk.seq + chunk.data.length;
        if (end <= next) return; // all of it was had already
        if (chunk.seq > next) return; // a gap: the node sends a reset or the replay instead
        const fresh = chunk.data.subarray(next - chunk.seq);
        next = end;
        out.onData(end - fresh.length, fresh);
      }),
    );
    perConnection.push(
      c.onEvent((e) => {
        if (e.kind !== 'pty-reset' || e.view.session !== session) return;
        next = e.view.outputSeq;
        out.onReset(e.view);
      }),
    );
    c.request('pty-subscribe', { session, fromSeq: next }).then(
      (r) => {
        if (r.snapshot) {
          next = r.fromSeq;
          out.onReset(r.snapshot);
        }
      },
      () => undefined,
    );
  };
  const onConn = link.onConnection(attach);
  const now = link.connection();
  if (now) attach(now);
  return () => {
    stopped = true;
    onConn.dispose();
    for (const d of perConnection) d.dispose();
    link
      .connection()
      ?.request('pty-unsubscribe', { session })
      .catch(() => undefined);
  };
}
