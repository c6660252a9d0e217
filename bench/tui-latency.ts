/**
 * How soon the cockpit shows what the operator must see or asked for:
 * - a decision, from the node's event arriving to the frame that shows it (the store applies decisions
 *   within 50 ms whatever its batch), against a session summary's change, which waits for the batch (1 s),
 *   in the app rendering 16 nodes × 8 sessions (ink, 160×48, 30 frames a second at most);
 * - a key, from tmux sending it to tmux's screen showing what it brings (the help, opened and closed), in
 *   the real `agency tui` on a local node while the open pane's session prints as fast as it can, against
 *   the same with a quiet session in the pane.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CockpitEvent } from '../src/cockpit/client.js';
import { FleetStore } from '../src/cockpit/store.js';
import { decision, decisionEvent, fleetEvents, session, sessionEvent } from '../test/cockpit/fixtures.js';
import { testNode } from '../test/helpers/node.js';
import { tmux, tuiScript, until, type Tmux } from '../test/helpers/tmux.js';
import { percentile, report } from './stats.js';
import { idle, Keys, Screen } from './tui.js';

const iso = (t: number) => new Date(t).toISOString();
const median = (xs: number[]) => percentile(xs, 50);

/** ms from an event into the store to the first frame drawn after the store applied it, `times` times. */
async function eventToFrame(times: number, event: (i: number) => CockpitEvent): Promise<number[]> {
  process.env.NODE_ENV = 'production'; // React's production build, as the built CLI uses
  const { mount } = await import('../src/tui/mount.js');
  const { Controller } = await import('../src/tui/controller.js');
  const { DEFAULT_THEME } = await import('../src/tui/theme.js');
  const store = new FleetStore({ tickMs: 0 }); // the default batch: 1 s
  for (const e of fleetEvents(16, 8)) store.ingest(e);
  store.flush();
  let onFrame: (() => void) | null = null;
  const controller = new Controller({ fleet: store, port: idle, repo: '/repo', onQuit: () => {} });
  const app = mount({
    fleet: store,
    controller,
    port: idle,
    theme: DEFAULT_THEME,
    maxFps: 30,
    stdout: new Screen() as never,
    stdin: new Keys() as never,
    onRender: () => {
      const f = onFrame;
      onFrame = null;
      f?.();
    },
  });
  // the store's batch timer does not keep a process alive (the app does, on a real terminal): this does
  const alive = setInterval(() => undefined, 1000);
  try {
    await new Promise((r) => setTimeout(r, 500)); // first frames, JIT warm
    const samples: number[] = [];
    for (let i = 0; i < times; i++) {
      const t0 = performance.now();
      const drawn = new Promise<number>((resolve) => {
        const off = store.subscribe(() => {
          off();
          onFrame = () => resolve(performance.now() - t0);
        });
      });
      store.ingest(event(i));
      samples.push(await drawn);
      await new Promise((r) => setTimeout(r, 50)); // the next sample starts from a quiet app
    }
    return samples;
  } finally {
    clearInterval(alive);
    app.unmount();
    store.dispose();
  }
}

/** Screen captures as fast as tmux answers, until the condition holds: a sample's resolution is one capture. */
async function screenUntil(t: Tmux, check: (screen: string) => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check(t.screen())) {
    if (Date.now() > end) throw new Error(`the screen did not change as expected:\n${t.screen()}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** ms from a key to the screen showing what it brings: the help opened, then closed; `times` of each. */
export async function keyToScreen(t: Tmux, times: number): Promise<number[]> {
  const help = 'take over the session';
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    let t0 = performance.now();
    t.keys('?');
    await screenUntil(t, (s) => s.includes(help));
    samples.push(performance.now() - t0);
    t0 = performance.now();
    t.keys('?');
    await screenUntil(t, (s) => !s.includes(help));
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** The pane of a new session on the local node, in the TUI in tmux; the session floods if the file `flood` exists. */
async function openPane(t: Tmux, node: Awaited<ReturnType<typeof testNode>>): Promise<string> {
  const run = await node.agency(['run', 'print', '--discipline', 'backend', '--json']);
  if (run.code !== 0) throw new Error(run.stderr);
  const { session } = JSON.parse(run.stdout) as { session: string };
  await until('the session on the tile', () => t.screen().includes(session) || /local\s+\d live/.test(t.screen()), t);
  t.keys('Enter');
  await until('the node view', () => t.screen().includes(session) && t.screen().includes('fleet › local'), t);
  const selected = () =>
    t
      .screen()
      .split('\n')
      .find((l) => l.includes('›') && !l.includes('fleet ›')) ?? '';
  for (let i = 0; i < 10 && !selected().includes(session); i++) {
    const was = selected();
    t.keys('j');
    await until('the selection moved', () => selected() !== was, t);
  }
  t.keys('Enter');
  await until('the pane', () => t.screen().includes(`fleet › local › ${session}`), t);
  return session;
}

async function keysInTmux(times: number): Promise<{ quiet: number[]; flooding: number[] } | null> {
  if (!existsSync('/usr/bin/tmux') && !existsSync('/usr/local/bin/tmux')) return null;
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-keys-'));
  chmodSync(dir, 0o755);
  const printer = join(dir, 'print.sh');
  writeFileSync(
    printer,
    `#!/bin/sh\nif [ -f ${dir}/flood ]; then exec yes "flooding the terminal with a line that never ends"; fi\necho quiet\nexec sleep 3600\n`,
  );
  chmodSync(printer, 0o755);
  const node = await testNode({ steps: [] }, { env: { AGENCY_CLAUDE_BIN: printer, AGENCY_PREPARE_CLAUDE: '0' } });
  const t = tmux(`bench-${process.pid}`);
  try {
    t.start(tuiScript(node.env, node.agencyHome, node.repo));
    await until('the local tile', () => /local\s+\d+ live/.test(t.screen()), t);
    await openPane(t, node);
    const quiet = await keyToScreen(t, times);
    t.keys('Escape');
    t.keys('Escape');
    await until('the fleet view', () => t.screen().split('\n')[1]?.trim() === 'fleet', t);
    writeFileSync(join(dir, 'flood'), '');
    await openPane(t, node);
    await screenUntil(t, (s) => s.includes('flooding the terminal'));
    const flooding = await keyToScreen(t, times);
    return { quiet, flooding };
  } finally {
    t.kill();
    await node.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchTuiLatency(): Promise<void> {
  const decisions = await eventToFrame(20, (i) => decisionEvent(decision('studio-16', `d-${i}`, 's-16001')));
  const summaries = await eventToFrame(5, (i) =>
    sessionEvent(session('studio-16', 's-16002', { activity: `running the tests (${i})`, updatedAt: iso(Date.now()) })),
  );
  report(
    'decision to frame, median of 20',
    median(decisions),
    'ms',
    median(summaries),
    'a summary change (1 s batch), median of 5',
  );
  const keys = await keysInTmux(5);
  if (!keys) return console.log('key to screen: skipped (no tmux)');
  report(
    'key to screen, pane flooding, median of 10',
    median(keys.flooding),
    'ms',
    median(keys.quiet),
    'the same, pane quiet',
  );
  console.log(
    `  slowest: flooding ${Math.max(...keys.flooding).toFixed(0)} ms, quiet ${Math.max(...keys.quiet).toFixed(0)} ms`,
  );
}
