/**
 * The cockpit's cost. CPU: the fleet store and the rendered app (ink, 160×48, 30 frames a second at most;
 * tiles refreshed every second as by default, then twice a second) while 16 nodes × 8 sessions each change
 * what they are doing 10 times a second for 10 s, against tmux showing 16 panes in the same 160×48 window,
 * each printing 80 lines a second (the same 1,280 updates a second), with a client attached: the CPU
 * seconds of the tmux server and client over the same 10 s.
 * Memory: the store holding 16 nodes, 200 sessions and 3,200 workers, against the same state as JSON.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CockpitEvent } from '../src/cockpit/client.js';
import type { CockpitPort } from '../src/cockpit/port.js';
import { FleetStore } from '../src/cockpit/store.js';
import type { SessionSummary } from '../src/protocol/messages.js';
import { report } from './stats.js';

const NODES = 16;
const PER_NODE = 8;
const HZ = 10;

/** A terminal that counts what is written to it. */
export class Screen extends EventEmitter {
  isTTY = true;
  columns = 160;
  rows = 48;
  bytes = 0;
  writes = 0;
  write = (s: string) => {
    this.bytes += Buffer.byteLength(s);
    this.writes++;
    return true;
  };
}

/** A keyboard nobody types on. */
export class Keys extends EventEmitter {
  isTTY = true;
  setRawMode() {}
  setEncoding() {}
  ref() {}
  unref() {}
  resume() {}
  pause() {}
  read() {
    return null;
  }
}

const iso = (t: number) => new Date(t).toISOString();

export function summary(node: string, id: string, i: number, t: number): SessionSummary {
  return {
    id,
    node,
    state: i % 17 === 0 ? 'needs-input' : 'working',
    task: `task ${id}: make the build faster`,
    discipline: 'backend',
    repo: '/repo',
    origin: null,
    base: null,
    landing: null,
    worktree: `/wt/${id}`,
    branch: `agency/${id}`,
    model: null,
    claudeSession: '0',
    createdAt: iso(0),
    updatedAt: iso(t),
    endedAt: null,
    exitCode: null,
    reason: null,
    activity: `editing src/module-${i % 50}.ts (step ${i})`,
    openDecisions: 0,
    outputSeq: i * 100,
    usage: {
      inputTokens: i * 120,
      outputTokens: i * 30,
      cacheCreationTokens: 0,
      cacheReadTokens: i * 400,
      costUsd: i * 0.0011,
      unpricedModels: [],
    },
  };
}

export const idle: CockpitPort = {
  request: () => Promise.reject(new Error('no node in the benchmark')),
  run: () => Promise.reject(new Error('no node in the benchmark')),
  subscribePty: () => () => {},
};

/** CPU seconds of this process while the app renders a fleet whose every session changes HZ times a second. */
async function tuiCpu(
  seconds: number,
  refreshMs: number,
): Promise<{ cpu: number; heapGrowth: number; frames: number; frameMs: number; bytes: number; events: number }> {
  process.env.NODE_ENV = 'production'; // React's production build, as the built CLI uses
  const { mount } = await import('../src/tui/mount.js');
  const { Controller } = await import('../src/tui/controller.js');
  const { DEFAULT_THEME } = await import('../src/tui/theme.js');
  const store = new FleetStore({ batchMs: refreshMs });
  const names = Array.from({ length: NODES }, (_, n) => `studio-${String(n + 1).padStart(2, '0')}`);
  for (const name of names) {
    store.ingest({
      kind: 'node',
      node: { name, transport: 'ssh', state: 'up', error: null, info: null, since: iso(0) },
    });
  }
  const screen = new Screen();
  const controller = new Controller({ fleet: store, port: idle, repo: '/repo', onQuit: () => {} });
  let frames = 0;
  let renderMs = 0;
  const app = mount({
    fleet: store,
    controller,
    port: idle,
    theme: DEFAULT_THEME,
    maxFps: 30,
    stdout: screen as never,
    stdin: new Keys() as never,
    onRender: (m) => {
      frames++;
      renderMs += m.renderTime;
    },
  });
  // every session changes HZ times a second, each at its own moment: a slice of them every 10 ms
  const sessions = names.flatMap((node) =>
    Array.from({ length: PER_NODE }, (_, s) => ({ node, id: `s-${node.slice(-2)}${s}`, step: s })),
  );
  const SLICES = 100 / HZ;
  let slice = 0;
  let events = 0;
  const tick = () => {
    const t = Date.now();
    for (let i = slice; i < sessions.length; i += SLICES) {
      const x = sessions[i]!;
      store.ingest({ kind: 'session', session: summary(x.node, x.id, ++x.step, t) } as CockpitEvent);
      events++;
    }
    slice = (slice + 1) % SLICES;
  };
  for (let i = 0; i < SLICES; i++) tick();
  await new Promise((r) => setTimeout(r, 500)); // first frames, JIT warm
  const framesBefore = frames;
  const renderBefore = renderMs;
  const bytesBefore = screen.bytes;
  const gc = collectGarbage();
  const heapNow = () => {
    for (let i = 0; i < 4; i++) gc();
    return process.memoryUsage().heapUsed;
  };
  const heapBefore = heapNow();
  const start = process.cpuUsage();
  events = 0;
  const timer = setInterval(tick, 10);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(timer);
  const used = process.cpuUsage(start);
  const heapGrowth = heapNow() - heapBefore;
  app.unmount();
  store.dispose();
  return {
    cpu: (used.user + used.system) / 1e6,
    heapGrowth,
    frames: frames - framesBefore,
    frameMs: (renderMs - renderBefore) / Math.max(1, frames - framesBefore),
    bytes: screen.bytes - bytesBefore,
    events,
  };
}

function ticks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** CPU seconds of a tmux server and an attached client showing 16 panes that print 80 lines a second each. */
async function tmuxCpu(seconds: number): Promise<number | null> {
  if (spawnSync('tmux', ['-V']).status !== 0 || spawnSync('perl', ['-v']).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-tmux-'));
  const sock = `agency-bench-${process.pid}`;
  const t = (...a: string[]) => execFileSync('tmux', ['-L', sock, '-f', '/dev/null', ...a], { encoding: 'utf8' });
  const printer = join(dir, 'print.pl');
  writeFileSync(
    printer,
    '$|=1; my $i=0; while (1) { printf("\\e[2m%s\\e[0m \\e[32mINFO\\e[0m session %d: editing src/module-%d.ts (step %d)\\n", scalar(localtime), $$, $i % 50, $i); $i++; select(undef, undef, undef, 1/80); }\n',
  );
  const { spawn } = await import('node-pty');
  let client: ReturnType<typeof spawn> | null = null;
  try {
    t('new-session', '-d', '-s', 'b', '-x', '160', '-y', '48', `perl ${printer}`);
    for (let i = 1; i < NODES; i++) {
      t('split-window', '-t', 'b', `perl ${printer}`);
      t('select-layout', '-t', 'b', 'tiled');
    }
    const server = Number(t('display-message', '-p', '-t', 'b', '#{pid}').trim());
    client = spawn('tmux', ['-L', sock, 'attach', '-t', 'b'], {
      cols: 160,
      rows: 48,
      env: { ...process.env, TERM: 'xterm-256color' },
    });
    client.onData(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
    const pids = [server, client.pid];
    const before = pids.reduce((a, p) => a + ticks(p), 0);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = pids.reduce((a, p) => a + ticks(p), 0);
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return (after - before) / hz;
  } finally {
    client?.kill();
    spawnSync('tmux', ['-L', sock, 'kill-server']);
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, sock), { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

function collectGarbage(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap the store takes for 16 nodes, 200 sessions and 3,200 workers (built inside, kept only by the store). */
function storeMemory(): { heap: number; json: number } {
  const gc = collectGarbage();
  const build = () => {
    const events: CockpitEvent[] = [];
    const extra: unknown[] = [];
    for (let n = 0; n < NODES; n++) {
      const node = `studio-${String(n + 1).padStart(2, '0')}`;
      events.push({
        kind: 'node',
        node: { name: node, transport: 'ssh', state: 'up', error: null, info: null, since: iso(0) },
      });
    }
    for (let i = 0; i < 200; i++) {
      const node = `studio-${String((i % NODES) + 1).padStart(2, '0')}`;
      events.push({ kind: 'session', session: summary(node, `s-${i}`, i, 1000 + i) });
      for (let w = 0; w < 16; w++) {
        extra.push({
          kind: 'worker',
          worker: {
            id: `w-${i}-${w}`,
            node,
            session: `s-${i}`,
            state: w % 4 === 0 ? 'running' : 'queued',
            activity: `worker ${w} of s-${i}: tests`,
            updatedAt: iso(i),
          },
        });
      }
    }
    return [...events, ...extra] as Parameters<FleetStore['ingest']>[0][];
  };
  const json = JSON.stringify(build()).length;
  const fill = () => {
    const store = new FleetStore({ tickMs: 0 });
    for (const e of build()) store.ingest(e);
    store.flush();
    return store;
  };
  fill().dispose(); // once, so that code and shapes are in place before anything is measured
  const settled = () => {
    for (let i = 0; i < 4; i++) gc();
    return process.memoryUsage().heapUsed;
  };
  const before = settled();
  const store = fill();
  const heap = settled() - before;
  if (store.getSnapshot().health.workers.queued + store.getSnapshot().health.workers.running !== 3200)
    throw new Error('the store lost workers');
  store.dispose();
  return { heap, json };
}

export async function benchTui(seconds = Number(process.env.BENCH_SECONDS ?? 10)): Promise<void> {
  const mem = storeMemory();
  report(
    'cockpit store heap: 16 nodes, 200 sessions, 3,200 workers',
    mem.heap / 1024 / 1024,
    'MB',
    mem.json / 1024 / 1024,
    'the same state as JSON',
  );
  // the default refresh (1 s), then twice a second; decisions and links are immediate in both
  const runs = [
    { refresh: 1000, tui: await tuiCpu(seconds, 1000) },
    { refresh: 500, tui: await tuiCpu(seconds, 500) },
  ];
  const tmux = process.env.BENCH_SKIP_TMUX ? null : await tmuxCpu(seconds);
  for (const { refresh, tui } of runs) {
    const label = `tui CPU, ${NODES}×${PER_NODE} sessions × ${HZ}/s, ${seconds} s, refresh ${refresh / 1000} s`;
    if (tmux === null) report(label, tui.cpu, 'CPU s', seconds, 'wall clock (tmux or perl missing)');
    else report(label, tui.cpu, 'CPU s', tmux, 'tmux, 16 panes × 80 lines/s');
    console.log(
      `  ${tui.events} events in, ${tui.frames} frames (${(tui.frames / seconds).toFixed(1)}/s, ${tui.frameMs.toFixed(1)} ms each to lay out and draw), ${(tui.bytes / seconds / 1024).toFixed(0)} KB/s to the terminal; heap ${tui.heapGrowth >= 0 ? '+' : ''}${(tui.heapGrowth / 1024 / 1024).toFixed(2)} MB over the run`,
    );
  }
}
