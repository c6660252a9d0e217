/**
 * `agency tui`: connects to the fleet, keeps a store of its state, and shows it on the alternate screen until
 * the operator quits. The terminal is given back as it was on every way out: quit, a signal, or a crash.
 */
import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { Cockpit, CockpitError, type CockpitEvent, type FleetSnapshot } from '../cockpit/client.js';
import { cockpitPort, EventTap, feedStore } from '../cockpit/port.js';
import { DEFAULT_VIEW_SETTINGS, type ViewSettings } from '../cockpit/settings.js';
import { FleetStore } from '../cockpit/store.js';
import type { TaskTriage } from '../cockpit/triage.js';
import { Controller } from './controller.js';
import { FOCUS_REPORTS_OFF, FOCUS_REPORTS_ON, type FocusReports } from './focus.js';
import type { DisciplineChoice } from './keys.js';
import { isUrl } from './new-task.js';
import { loadTheme } from './theme.js';

export type { DisciplineChoice } from './keys.js';

export interface TuiOptions {
  node?: string[];
  theme?: string;
  bell?: boolean;
  repo?: string;
  fps?: string;
  refresh?: string;
}

/** What the cockpit gives whoever tells the operator of what needs them (the command that starts it wires it). */
export interface TuiNoticeContext {
  /** the fleet as the cockpit's store hears it: its first status, then every event from the start */
  fleet: {
    status(): Promise<FleetSnapshot>;
    watch(f: (e: CockpitEvent) => void): void;
  };
  /** the nodes this cockpit watches; null: all of them */
  nodes: string[] | null;
  /** rings the terminal bell, when the operator has it on (b): whether it rang */
  ring(): boolean;
  /** whether the bell is on, and its changes */
  bell: { on(): boolean; subscribe(listener: () => void): () => void };
  /** whether the operator's terminal has focus */
  focus: Pick<FocusReports, 'focused' | 'reported' | 'subscribe'>;
  /** says something that went wrong on the cockpit's message line */
  say(text: string): void;
}
/** Starts telling the operator; the returned function stops it. */
export type TuiNotices = (ctx: TuiNoticeContext) => () => void;

/** A command-line option the view cannot use; the command that started it reports it as a usage error. */
export class TuiUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TuiUsageError';
  }
}

const ENTER_ALT = '\x1b[?1049h\x1b[H\x1b[2J';
// focus reports, which the cockpit asks for once it reads keys, are turned off with the rest
const LEAVE_ALT = `${FOCUS_REPORTS_OFF}\x1b[?25h\x1b[0m\x1b[?1049l`;

/** Switches to the alternate screen; the returned function switches back (once, synchronously: it runs on exit too). */
export function alternateScreen(fd = 1): () => void {
  writeSync(fd, ENTER_ALT);
  let done = false;
  const leave = () => {
    if (done) return;
    done = true;
    try {
      writeSync(fd, LEAVE_ALT);
    } catch {
      // the terminal went away: nothing to restore
    }
  };
  process.once('exit', leave);
  return leave;
}

/**
 * Asks the terminal for focus reports once it is in raw mode (ink sets it as the view mounts): asked before,
 * the terminal's answer would be echoed onto the screen.
 */
function askFocusReports(tries = 50): void {
  if (process.stdin.isRaw) writeSync(1, FOCUS_REPORTS_ON);
  else if (tries > 0) setTimeout(() => askFocusReports(tries - 1), 20).unref();
}

/**
 * Runs the view until the operator quits; `o` (the command line) wins over `settings` (the operator config).
 * `disciplines` are what the new-task form offers (the registry the caller knows); `triage`, the organisation
 * that places a task with no node chosen on its VP's node; `notices`, what tells the operator of what needs
 * them (the bell; away from the cockpit, more).
 */
export async function runTui(
  o: TuiOptions = {},
  settings: ViewSettings = DEFAULT_VIEW_SETTINGS,
  disciplines: readonly DisciplineChoice[] = [],
  triage?: TaskTriage,
  notices?: TuiNotices,
): Promise<void> {
  const { theme, problem } = loadTheme(o.theme ?? settings.theme);
  const fps = o.fps === undefined ? 30 : Number(o.fps);
  if (!Number.isFinite(fps) || fps < 1 || fps > 120)
    throw new TuiUsageError(`--fps must be a number from 1 to 120, not ${JSON.stringify(o.fps)}`);
  const refresh = o.refresh === undefined ? settings.refresh : Number(o.refresh);
  if (!Number.isFinite(refresh) || refresh < 0.1 || refresh > 60)
    throw new TuiUsageError(`--refresh must be a number of seconds from 0.1 to 60, not ${JSON.stringify(o.refresh)}`);
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new CockpitError('agency tui needs a terminal; for scripts use agency status --json or agency watch --json');
  }

  const cockpit = await Cockpit.open({ start: true, live: true, ...(o.node?.length ? { nodes: o.node } : {}) });
  const store = new FleetStore({ batchMs: Math.round(refresh * 1000) });
  const port = cockpitPort(cockpit);
  const tap = new EventTap();
  const first = feedStore(cockpit, store, tap.hear);
  const loaded = first.catch(() => undefined);

  // ink writes only the last frame when it believes it runs in CI; this is an interactive terminal
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  // React's development build is several times slower; it is chosen when React first loads, just below
  process.env.NODE_ENV ??= 'production';
  const { mount } = await import('./mount.js');

  const leave = alternateScreen();
  let instance: { unmount(): void; waitUntilExit(): Promise<unknown> } | null = null;
  let quitting = false;
  const quit = () => {
    if (quitting) return;
    quitting = true;
    instance?.unmount();
  };
  const controller = new Controller({
    fleet: store,
    port,
    // a path the operator typed is one on this machine; a URL is passed on as it is
    repo: o.repo ? (isUrl(o.repo) ? o.repo : resolve(o.repo)) : process.cwd(),
    cwd: process.cwd(),
    disciplines,
    ...(triage ? { triage } : {}),
    bell: o.bell ?? settings.bell,
    onQuit: quit,
    terminalSize: () => ({ columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 }),
  });
  if (problem) controller.say(problem, 'error');
  // A signal quits as q does, and the exit status says which (128 + its number). The handlers stay for the
  // life of the process: a library of the config (when-exit) raises the signal again after its own
  // cleanup, and with no handler left that second one would kill the process before it restored anything.
  const onSignal = (sig: NodeJS.Signals) => {
    process.exitCode = 128 + (constants.signals[sig] ?? 0);
    quit();
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  const crash = (e: unknown) => {
    leave();
    process.stderr.write(`agency tui: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  let stopNotices = () => {};
  try {
    instance = mount({ fleet: store, controller, port, theme, maxFps: fps });
    askFocusReports();
    void loaded.then(() => store.flush());
    stopNotices =
      notices?.({
        fleet: { status: () => first, watch: (f) => tap.listen(f) },
        nodes: o.node?.length ? o.node : null,
        ring: () => {
          const on = controller.getSnapshot().bell;
          if (on) process.stdout.write('\x07');
          return on;
        },
        bell: { on: () => controller.getSnapshot().bell, subscribe: (l) => controller.subscribe(l) },
        focus: controller.focus,
        say: (text) => controller.say(text, 'error'),
      }) ?? stopNotices;
    await instance.waitUntilExit();
  } finally {
    stopNotices();
    process.off('uncaughtException', crash);
    process.off('unhandledRejection', crash);
    store.dispose();
    cockpit.close();
    leave();
  }
}
