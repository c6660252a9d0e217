/**
 * The node's socket: one protocol connection per cockpit or hook, who it is checked from its hello (a
 * hook's token against the session it names), its requests dispatched through the op table (ops.ts), and
 * the streams a connection asks for: its watch events and its PTY subscriptions.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Connection, RemoteError } from '../protocol/connection.js';
import type { NodeEvent, NodeInfo } from '../protocol/messages.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { NodeLanding } from './landing.js';
import type { NodeOrgStore } from './org-store.js';
import type { NodeEconomics } from './economics.js';
import type { NodeManager } from './manager.js';
import { baseRegistryDir } from '../paths/package.js';
import { dispatch, identify, type OpContext, type Peer } from './ops.js';
import type { SessionTokens } from './session-tokens.js';

/** Past this many bytes queued for a slow subscriber, its PTY bytes wait in the replay buffer instead. */
const PTY_BACKLOG_LIMIT = 4 * 1024 * 1024;
/** PTY bytes for a subscriber are gathered this long, or up to this size, into one frame */
const PTY_BATCH_MS = 16;
const PTY_BATCH_BYTES = 32 * 1024;
/** how often a watcher hears of a session that keeps changing */
const SUMMARY_INTERVAL_MS = 200;

interface Subscription {
  next: number;
  lagging: boolean;
  pending: Buffer;
  timer: NodeJS.Timeout | null;
}

export interface NodeServerOptions {
  manager: NodeManager;
  landing: NodeLanding;
  workers: Dispatcher;
  org: NodeOrgStore;
  economics: NodeEconomics;
  /** the registry `run-split` classifies over (default: AGENCY_REGISTRY, else the one agency ships) */
  registryDir?: string;
  info: NodeInfo;
  /** what a hook connection's token is checked against */
  tokens: Pick<SessionTokens, 'holds'>;
  onShutdown: () => void;
}

export function createNodeServer(o: NodeServerOptions): Server {
  return createServer((socket) => serveConnection(socket, o));
}

function serveConnection(socket: Socket, o: NodeServerOptions): void {
  const { manager, info, onShutdown } = o;
  const conn = new Connection(socket, { role: 'node', agent: info.agentVersion, node: info });
  const disposers: (() => void)[] = [];
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  conn.onClose(() => {
    for (const d of disposers) d();
    resolveClosed();
  });
  /** session → the next sequence number the subscriber needs, and bytes gathered for it */
  const subscriptions = new Map<string, Subscription>();
  const flushPty = (session: string, sub: Subscription) => {
    if (sub.timer) clearTimeout(sub.timer);
    sub.timer = null;
    if (sub.pending.length === 0 || subscriptions.get(session) !== sub) return;
    conn.sendPty({ session, seq: sub.next, data: sub.pending });
    sub.next += sub.pending.length;
    sub.pending = Buffer.alloc(0);
  };

  const catchUp = () => {
    for (const [session, sub] of subscriptions) {
      if (!sub.lagging || conn.backlog > PTY_BACKLOG_LIMIT / 2) continue;
      const data = manager.outputSince(session, sub.next);
      if (data === null) {
        // the gap is larger than the replay buffer: the subscriber repaints from the screen instead
        const view = manager.screen({ session });
        conn.sendEvent({ kind: 'pty-reset', view });
        sub.next = view.outputSeq;
      } else if (data.length > 0) {
        conn.sendPty({ session, seq: sub.next, data });
        sub.next += data.length;
      }
      sub.lagging = false;
    }
  };
  socket.on('drain', catchUp);

  /** summaries at a bounded rate: a session's or worker's changes within the interval go as its latest state; decisions at once */
  const watch = () => {
    const latest = new Map<string, NodeEvent>();
    let timer: NodeJS.Timeout | null = null;
    const flush = () => {
      timer = null;
      for (const e of latest.values()) conn.sendEvent(e);
      latest.clear();
    };
    disposers.push(
      manager.onEvent((e) => {
        // sessions and workers go as their latest state within the interval; decisions and removals at once
        const key = e.kind === 'session' ? e.session.id : e.kind === 'worker' ? e.worker.id : null;
        if (key === null) {
          // what was held back goes first: a watcher sees events in the order the node had them
          if (timer) clearTimeout(timer);
          flush();
          return conn.sendEvent(e);
        }
        latest.set(key, e);
        timer ??= setTimeout(flush, SUMMARY_INTERVAL_MS);
      }),
    );
    disposers.push(() => timer && clearTimeout(timer));
    return manager.snapshot();
  };

  const subscribePty = (session: string, fromSeq: number) => {
    if (!manager.has(session))
      throw new RemoteError('not-found', `no session ${JSON.stringify(session)} on node ${info.name}`);
    if (subscriptions.size === 0) {
      disposers.push(
        manager.onPty((s, seq, data) => {
          const sub = subscriptions.get(s);
          if (!sub) return;
          if (sub.lagging || seq !== sub.next + sub.pending.length || conn.backlog > PTY_BACKLOG_LIMIT) {
            // from here the replay buffer holds what this subscriber still needs (from sub.next on)
            sub.lagging = true;
            sub.pending = Buffer.alloc(0);
            if (sub.timer) clearTimeout(sub.timer);
            sub.timer = null;
            // a full socket catches up on 'drain'; anything else at once
            if (conn.backlog <= PTY_BACKLOG_LIMIT / 2) setImmediate(catchUp);
            return;
          }
          // gather small writes into one frame: a terminal UI writes many small pieces
          sub.pending = sub.pending.length ? Buffer.concat([sub.pending, data]) : data;
          if (sub.pending.length >= PTY_BATCH_BYTES) flushPty(s, sub);
          else sub.timer ??= setTimeout(() => flushPty(s, sub), PTY_BATCH_MS);
        }),
      );
      disposers.push(() => {
        for (const sub of subscriptions.values()) if (sub.timer) clearTimeout(sub.timer);
      });
    }
    const data = manager.outputSince(session, fromSeq);
    if (data === null) {
      const snapshot = manager.screen({ session });
      subscriptions.set(session, { next: snapshot.outputSeq, lagging: false, pending: Buffer.alloc(0), timer: null });
      return { fromSeq: snapshot.outputSeq, snapshot };
    }
    subscriptions.set(session, { next: fromSeq + data.length, lagging: false, pending: Buffer.alloc(0), timer: null });
    if (data.length > 0) conn.sendPty({ session, seq: fromSeq, data });
    return { fromSeq, snapshot: null };
  };

  const unsubscribePty = (session: string) => {
    const sub = subscriptions.get(session);
    if (sub?.timer) clearTimeout(sub.timer);
    subscriptions.delete(session);
  };

  const ctx: OpContext = {
    manager,
    landing: o.landing,
    workers: o.workers,
    org: o.org,
    economics: o.economics,
    registryDir: o.registryDir ?? baseRegistryDir(),
    closed,
    watch,
    subscribePty,
    unsubscribePty,
    shutdown: () => setImmediate(onShutdown),
  };
  // who the peer is, decided once from its hello (requests come only after it)
  let peer: Peer | null = null;
  const who = (): Peer => {
    if (peer) return peer;
    peer = identify(conn.peerHello, o.tokens);
    if (peer.role === null && conn.peerHello?.role === 'hook')
      process.stderr.write(`agency node: refused ${peer.who}\n`);
    return peer;
  };
  // the op is as the peer sent it: dispatch checks it, the role, and the args before anything runs
  conn.handle((op, args) => dispatch(op, args, who(), ctx));
}
