/**
 * The cockpit app in memory: a fleet store fed with events (no network), a port that records requests,
 * and ink rendering into a terminal of a given size (ink-testing-library's streams, with rows and resize).
 */
import { EventEmitter } from 'node:events';
import { render, type Instance } from 'ink';
import type { CockpitEvent } from '../../src/cockpit/client.js';
import type { CockpitPort, PtyStream, TaskTriage } from '../../src/cockpit/types.js';
import { FleetStore } from '../../src/cockpit/store.js';
import type { OpArgs, SessionSummary } from '../../src/protocol/messages.js';
import { App } from '../../src/tui/components/App.js';
import { Controller, type PaneInfo } from '../../src/tui/controller.js';
import type { DisciplineChoice } from '../../src/tui/keys.js';
import { DEFAULT_THEME, type Theme } from '../../src/tui/theme.js';
import { decision as decisionOf, session as sessionOf } from '../cockpit/fixtures.js';
import { deferAfterEach } from '../helpers/defer.js';
import { until } from '../helpers/until.js';

class Stdout extends EventEmitter {
  frames: string[] = [];
  isTTY = false;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  onFrame: () => void = () => {};
  write = (frame: string) => {
    this.frames.push(frame);
    this.onFrame();
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
  /**
   * What the node answers to an op, instead of the default (a session of that id): a value, or a function of
   * the args (a thrown error is a refusal, a promise an answer still on its way)
   */
  answer: Partial<Record<string, (args: unknown, node: string) => unknown>> = {};
  /** called on every request and (un)subscription, so that a test waiting for one sees it at once */
  onChange: () => void = () => {};

  request<O extends keyof OpArgs>(node: string, op: O, args: OpArgs[O]): Promise<never> {
    this.calls.push({ node, op, args });
    this.onChange();
    if (this.fail) return Promise.reject(new Error(this.fail));
    const a = args as { session?: string };
    let result: unknown;
    const answer = this.answer[op];
    if (answer) {
      try {
        return Promise.resolve(answer(args, node) as never);
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
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
    this.onChange();
    const answer = this.answer.run;
    if (answer) {
      try {
        return Promise.resolve(answer(args, node ?? '') as SessionSummary);
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    return Promise.resolve(sessionOf(node ?? 'any', 's-new', { task: args.task }));
  }

  subscribePty(node: string, session: string, fromSeq: number, out: PtyStream): () => void {
    const k = `${node}/${session}`;
    this.subscriptions.push(`subscribe ${k} from ${fromSeq}`);
    this.streams.set(k, out);
    this.onChange();
    return () => {
      this.subscriptions.push(`unsubscribe ${k}`);
      this.streams.delete(k);
      this.onChange();
    };
  }

  ops(op?: string): Call[] {
    return this.calls.filter((c) => op === undefined || c.op === op);
  }
}

/**
 * What a key, a batch of events or a resize is waited for: text the frame shows (SGR colours stripped),
 * text it no longer shows, or any condition on the cockpit (a request made, a count of quits).
 */
export type Until = { shows: string | RegExp } | { gone: string | RegExp } | ((c: Cockpit) => boolean);

const has = (frame: string, t: string | RegExp) => (typeof t === 'string' ? frame.includes(t) : t.test(frame));

function describeUntil(u: Until): string {
  if (typeof u === 'function') return u.toString().replace(/\s+/g, ' ');
  return 'shows' in u ? `the frame to show ${String(u.shows)}` : `the frame no longer to show ${String(u.gone)}`;
}

export interface Cockpit {
  store: FleetStore;
  port: FakePort;
  controller: Controller;
  stdout: Stdout;
  stdin: Stdin;
  instance: Instance;
  quits: number;
  /** events in, applied as one batch; then until the frame shows what they bring */
  feed(events: CockpitEvent[], until: Until): Promise<void>;
  /** one read of keys as a terminal sends it (one key, or keys typed ahead, or a paste); then until what it brings */
  press(keys: string, until: Until): Promise<void>;
  /** text typed key by key (one read each, no escape among them); then until it shows, or until `until` */
  type(text: string, until?: Until): Promise<void>;
  /** until the condition holds: checked after every frame drawn and every request made (5 s at most) */
  until(until: Until): Promise<void>;
  /** what the session pane on screen last told the controller (its rows and how far it scrolls back) */
  pane(): PaneInfo | null;
  frame(): string;
  lines(): string[];
  resize(columns: number, rows: number, until: Until): Promise<void>;
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

/** The bytes a terminal sends for a key as the key table names it (`up`, `ctrl+b`, `shift+tab`, `a`…). */
export function keySeq(name: string): string {
  const seqs: Record<string, string> = {
    up: KEY.up,
    down: KEY.down,
    left: KEY.left,
    right: KEY.right,
    pageup: KEY.pageUp,
    pagedown: KEY.pageDown,
    end: KEY.end,
    enter: KEY.enter,
    escape: KEY.escape,
    backspace: KEY.backspace,
    'ctrl+]': KEY.ctrlRightBracket,
    'ctrl+b': '\x02',
    'ctrl+f': '\x06',
    'ctrl+c': '\x03',
    tab: '\t',
    'shift+tab': '\x1b[Z',
  };
  return seqs[name] ?? name;
}

export async function cockpit(
  opts: {
    columns?: number;
    rows?: number;
    events?: CockpitEvent[];
    theme?: Theme;
    batchMs?: number;
    disciplines?: DisciplineChoice[];
    cwd?: string;
    triage?: TaskTriage;
  } = {},
): Promise<Cockpit> {
  // events wait for the batch (default 1 s) unless a test feeds them, which flushes at once
  const store = new FleetStore({ tickMs: 0, batchMs: opts.batchMs });
  const port = new FakePort();
  const stdout = new Stdout(opts.columns ?? 160, opts.rows ?? 48);
  const stdin = new Stdin();
  const c = { quits: 0 } as Cockpit;
  const changes = new EventEmitter();
  const changed = () => changes.emit('change');
  stdout.onFrame = port.onChange = changed;
  const controller = new Controller({
    fleet: store,
    port,
    repo: '/work/repo',
    cwd: opts.cwd ?? '/work',
    disciplines: opts.disciplines ?? [],
    ...(opts.triage ? { triage: opts.triage } : {}),
    onQuit: () => {
      c.quits++;
      changed();
    },
  });
  controller.subscribe(changed);
  // the pane reports its scroll range after it is drawn (an effect): a key that scrolls waits for that report
  let pane: PaneInfo | null = null;
  const setPane = controller.setPane.bind(controller);
  controller.setPane = (p) => {
    pane = p;
    setPane(p);
    changed();
  };
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
  const wait = (u: Until, ms = 5_000) => {
    const check = (): boolean => {
      if (typeof u === 'function') return u(c);
      const frame = stripSgr(stdout.lastFrame());
      return 'shows' in u ? has(frame, u.shows) : !has(frame, u.gone);
    };
    return until(
      describeUntil(u),
      check,
      ms,
      () => `the frame:\n${stripSgr(stdout.lastFrame())}`,
      (wake) => {
        changes.on('change', wake);
        return () => changes.off('change', wake);
      },
    );
  };
  Object.assign(c, {
    store,
    port,
    controller,
    stdout,
    stdin,
    instance,
    async feed(events: CockpitEvent[], u: Until) {
      for (const e of events) store.ingest(e);
      store.flush();
      await wait(u);
    },
    async press(keys: string, u: Until) {
      stdin.write(keys);
      await wait(u);
    },
    async type(text: string, u: Until = { shows: text }) {
      for (const ch of text) stdin.write(ch);
      await wait(u);
    },
    until: (u: Until) => wait(u),
    pane: () => pane,
    frame: () => stdout.lastFrame(),
    lines: () => stripSgr(stdout.lastFrame()).split('\n'),
    async resize(columns: number, rows: number, u: Until) {
      stdout.columns = columns;
      stdout.rows = rows;
      stdout.emit('resize');
      await wait(u);
    },
    unmount() {
      instance.unmount();
      store.dispose();
    },
  });
  // mounted: the first frame drawn, and ink reading keys (its input handlers are attached after that frame)
  await wait(() => stdout.frames.length > 0 && stdin.listenerCount('readable') > 0);
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
