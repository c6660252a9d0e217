/** A cockpit's link to one node: its state for the operator, and the protocol connection while it is up. */
import type { Connection, Disposable } from '../protocol/connection.js';
import type { NodeInfo } from '../protocol/messages.js';

export type LinkState = 'connecting' | 'up' | 'down' | 'refused' | 'no-agent' | 'incompatible';

export interface LinkStatus {
  name: string;
  transport: 'local' | 'ssh' | 'ssh-exec';
  state: LinkState;
  /** why it is not up, one line */
  error: string | null;
  info: NodeInfo | null;
  since: string;
}

export interface NodeLink {
  readonly name: string;
  status(): LinkStatus;
  connection(): Connection | null;
  /** every change of state */
  onStatus(f: (s: LinkStatus) => void): Disposable;
  /** each time a connection comes up (first time and after every reconnect) */
  onConnection(f: (c: Connection) => void): Disposable;
  /** starts connecting; keeps reconnecting after a drop unless told to stop */
  start(opts: { reconnect: boolean; attempts?: number }): void;
  /** resolves once the first attempt has settled (up or not) */
  settled(): Promise<LinkStatus>;
  close(): void;
}

export function listeners<T>() {
  const set = new Set<(v: T) => void>();
  return {
    add(f: (v: T) => void): Disposable {
      set.add(f);
      return { dispose: () => set.delete(f) };
    },
    emit(v: T) {
      for (const f of [...set]) f(v);
    },
  };
}

/** Exponential backoff with jitter, capped. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 15_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}
