/**
 * The cockpit app in memory: a fleet store fed with events (no network), a port that records requests,
 * and ink rendering into a terminal of a given size (ink-testing-library's streams, with rows and resize).
 */
import { EventEmitter } from 'node:events';
import { render, type Instance } from 'ink';
import type { CockpitEvent } from '../../src/cockpit/client.js';
import type { CockpitPort, PtyStream } from '../../src/cockpit/types.js';
import { FleetStore } from '../../src/cockpit/store.js';
import type { OpArgs, SessionSummary } from '../../src/protocol/messages.js';
import { App } from '../../src/tui/components/App.js';
import { Controller } from '../../src/tui/controller.js';
import { DEFAULT_THEME, type Theme } from '../../src/tui/theme.js';
import { decision as decisionOf, session as sessionOf } from '../cockpit/fixtures.js';
import { deferAfterEach } from '../helpers/defer.js';

class Stdout extends EventEmitter {
  frames: string[] = [];
  isTTY = false;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
  lastFrame = () => this.frames.at(-1) ?? '';
}

class Stdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string) => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

export interface Call {
  node: string;
  op: string;
  args: unknown;
}

/** A port that answers every request at once and records it; PTY streams are kept for the test to feed. */
export class FakePort implements CockpitPort {
  calls: Call[] = [];
  subscriptions: string[] = [];
  streams = new Map<string, PtyStream>();
  screen = { cols: 100, rows: 30 };
  fail: string | null = null;

  request<O extends keyof OpArgs>(node: string, op: O, args: OpArgs[O]): Promise<never> {
    this.calls.push({ node, op, args });
    if (this.fail) return Promise.reject(new Error(this.fail));
    const a = args as { session?: string };
    let result: unknown;
    if (op === 'screen')
      result = { session: a.session, cols: this.screen.cols, rows: this.screen.rows, lines: [], outputSeq: 0 };
    else if (op === 'status') result = { node: null, sessions: [], decisions: [] };
    else if (op === 'decide') {
      const d = args as OpArgs['decide'];
      result = {
        ...decisionOf(node, d.decision, 's-x'),
        state: d.approve ? 'approved' : 'denied',
        answeredAt: new Date().toISOString(),
      };
    } else result = sessionOf(node, a.session ?? 's-x');
    return Promise.resolve(result as never);
  }

  run(args: OpArgs['run'], node?: string): Promise<SessionSummary> {
    this.calls.push({ node: node ?? '', op: 'run', args });
    return Promise.resolve(sessionOf(node ?? 'any', 's-new', { task: args.task }));
  }

  subscribePty(node: string, session: string, fromSeq: number, out: PtyStream): () => void {
    const k = `${node}/${session}`;
    this.subscriptions.push(`subscribe ${k} from ${fromSeq}`);
    this.streams.set(k, out);
    return () => {
      this.subscriptions.push(`unsubscribe ${k}`);
      this.streams.delete(k);
    };
  }

  ops(op?: string): Call[] {
    return this.calls.filter((c) => op === undefined || c.op === op);
  }
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Until ink has drawn what the last change asked for (renders run on microtasks and timers). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await tick(2);
}

export interface Cockpit {
  store: FleetStore;
  port: FakePort;
  controller: Controller;
  stdout: Stdout;
  stdin: Stdin;
  instance: Instance;
  quits: number;
  /** events in, applied as one batch, and drawn */
  feed(events: CockpitEvent[]): Promise<void>;
  /** keys as a terminal sends them, one press at a time */
  press(...keys: string[]): Promise<void>;
  frame(): string;
  lines(): string[];
  resize(columns: number, rows: number): Promise<void>;
  unmount(): void;
}

export const KEY = {
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  enter: '\r',
  escape: '\x1b',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  end: '\x1b[F',
  backspace: '\x7f',
  ctrlRightBracket: '\x1d',
};

export async function cockpit(
  opts: { columns?: number; rows?: number; events?: CockpitEvent[]; theme?: Theme } = {},
): Promise<Cockpit> {
  const store = new FleetStore({ tickMs: 0 });
  const port = new FakePort();
  const stdout = new Stdout(opts.columns ?? 160, opts.rows ?? 48);
  const stdin = new Stdin();
  const c = { quits: 0 } as Cockpit;
  const controller = new Controller({ fleet: store, port, repo: '/work/repo', onQuit: () => c.quits++ });
  for (const e of opts.events ?? []) store.ingest(e);
  store.flush();
  const instance = render(
    <App fleet={store} controller={controller} port={port} theme={opts.theme ?? DEFAULT_THEME} />,
    {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      stderr: new Stdout(80, 24) as unknown as NodeJS.WriteStream,
      debug: true,
      exitOnCtrlC: false,
      patchConsole: false,
    },
  );
  Object.assign(c, {
    store,
    port,
    controller,
    stdout,
    stdin,
    instance,
    async feed(events: CockpitEvent[]) {
      for (const e of events) store.ingest(e);
      store.flush();
      await settle();
    },
    async press(...keys: string[]) {
      for (const k of keys) {
        stdin.write(k);
        await settle();
      }
    },
    frame: () => stdout.lastFrame(),
    lines: () => stripSgr(stdout.lastFrame()).split('\n'),
    async resize(columns: number, rows: number) {
      stdout.columns = columns;
      stdout.rows = rows;
      stdout.emit('resize');
      await settle();
    },
    unmount() {
      instance.unmount();
      store.dispose();
    },
  });
  await settle();
  return c;
}

/** The frame without the SGR sequences ink writes for colours. */
export function stripSgr(s: string): string {
  return s.replace(/\x1b\[[0-9;:]*m/g, '');
}

/** For a test file: mounts cockpits, each unmounted after the test that mounted it. */
export function mountEach(): (...a: Parameters<typeof cockpit>) => Promise<Cockpit> {
  const defer = deferAfterEach();
  return async (...a) => {
    const c = await cockpit(...a);
    defer(() => c.unmount());
    return c;
  };
}
