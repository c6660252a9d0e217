/** The node's socket: one protocol connection per cockpit or hook, requests dispatched to the manager. */
import { createServer, type Server, type Socket } from 'node:net';
import { Connection, RemoteError } from '../protocol/connection.js';
import type { NodeEvent, NodeInfo, Op, OpArgs } from '../protocol/messages.js';
import type { NodeManager } from './manager.js';

/** Past this many bytes queued for a slow subscriber, its PTY bytes wait in the replay buffer instead. */
const PTY_BACKLOG_LIMIT = 4 * 1024 * 1024;
/** how often a watcher hears of a session that keeps changing */
const SUMMARY_INTERVAL_MS = 200;

export function createNodeServer(manager: NodeManager, info: NodeInfo, onShutdown: () => void): Server {
  return createServer((socket) => serveConnection(socket, manager, info, onShutdown));
}

function serveConnection(socket: Socket, manager: NodeManager, info: NodeInfo, onShutdown: () => void): void {
  const conn = new Connection(socket, { role: 'node', agent: info.agentVersion, node: info });
  const disposers: (() => void)[] = [];
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  conn.onClose(() => {
    for (const d of disposers) d();
    resolveClosed();
  });
  /** session → next sequence number the subscriber needs */
  const subscriptions = new Map<string, { next: number; lagging: boolean }>();

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

  conn.handle(async (op: Op, raw: unknown) => {
    const args = (raw ?? {}) as never;
    switch (op) {
      case 'status':
        return manager.freshSnapshot();
      case 'watch': {
        // summaries at a bounded rate: a session's changes within the interval go as its latest state;
        // decisions go at once (the operator is waiting for them)
        const latest = new Map<string, NodeEvent>();
        let timer: NodeJS.Timeout | null = null;
        const flush = () => {
          timer = null;
          for (const e of latest.values()) conn.sendEvent(e);
          latest.clear();
        };
        disposers.push(manager.onEvent((e) => {
          if (e.kind !== 'session') return conn.sendEvent(e);
          latest.set(e.session.id, e);
          timer ??= setTimeout(flush, SUMMARY_INTERVAL_MS);
        }));
        disposers.push(() => timer && clearTimeout(timer));
        return manager.snapshot();
      }
      case 'run':
        return manager.run(args as OpArgs['run']);
      case 'hook':
        return manager.hook(args as OpArgs['hook'], closed);
      case 'decide':
        return manager.decide(args as OpArgs['decide']);
      case 'send':
        return manager.send(args as OpArgs['send']);
      case 'pause':
        return manager.pause(args as OpArgs['pause']);
      case 'resume':
        return manager.resume(args as OpArgs['resume']);
      case 'interrupt':
        return manager.interrupt(args as OpArgs['interrupt']);
      case 'stop':
        return manager.stop(args as OpArgs['stop']);
      case 'screen':
        return manager.screen(args as OpArgs['screen']);
      case 'pty-subscribe': {
        const { session, fromSeq } = args as OpArgs['pty-subscribe'];
        if (!manager.has(session)) throw new RemoteError('not-found', `no session ${JSON.stringify(session)} on node ${info.name}`);
        if (subscriptions.size === 0) {
          disposers.push(manager.onPty((s, seq, data) => {
            const sub = subscriptions.get(s);
            if (!sub) return;
            if (sub.lagging || seq !== sub.next || conn.backlog > PTY_BACKLOG_LIMIT) {
              sub.lagging = true;
              return;
            }
            conn.sendPty({ session: s, seq, data });
            sub.next = seq + data.length;
          }));
        }
        const data = manager.outputSince(session, Math.max(0, fromSeq));
        if (data === null) {
          const snapshot = manager.screen({ session });
          subscriptions.set(session, { next: snapshot.outputSeq, lagging: false });
          return { fromSeq: snapshot.outputSeq, snapshot };
        }
        subscriptions.set(session, { next: fromSeq + data.length, lagging: false });
        if (data.length > 0) conn.sendPty({ session, seq: fromSeq, data });
        return { fromSeq, snapshot: null };
      }
      case 'pty-unsubscribe':
        subscriptions.delete((args as OpArgs['pty-unsubscribe']).session);
        return {};
      case 'shutdown':
        setImmediate(onShutdown);
        return {};
      default:
        throw new RemoteError('bad-request', `unknown operation ${JSON.stringify(op)}`);
    }
  });
}
