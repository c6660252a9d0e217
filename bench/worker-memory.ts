/**
 * Agency's own memory per worker, excluding claude: N WorkerProcesses whose "claude" is a tiny script that
 * prints a realistic stream-json run (an init event, turns of text, tool calls and tool results of a few KB,
 * some of 100 KB and more, about 3 MB in all) and then stays alive, measured in this process while all N are
 * live, against the same process with N bare child processes printing the same and read by nothing but a
 * byte count (each side in a fresh Node process). What a worker costs beyond a bare child is the difference
 * over N; the aim is under 5 MB, and bounded means it does not grow with how much a worker prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerProcess } from '../src/dispatch/worker-process.js';
import { gcNow, percentile, report } from './stats.js';

const READY = 'bench: all printed';
const WAIT_MS = 120_000;

interface Mem {
  /** heap, external and array buffers after a full collection */
  heap: number;
  rss: number;
}
function measure(gc: () => void): Mem {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss };
}

/** A run as Claude Code 2.1.197 prints it in stream-json, `turns` tool calls long. */
function streamOf(turns: number): string {
  const session = '6f1c2d3e-0000-4000-8000-000000000000';
  const usage = { input_tokens: 1200, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 9000 };
  const lines: unknown[] = [
    {
      type: 'system',
      subtype: 'init',
      cwd: '/work/w',
      session_id: session,
      tools: Array.from({ length: 30 }, (_, i) => `Tool${i}`),
      mcp_servers: [{ name: 'agency', status: 'connected' }],
      model: 'claude-haiku-4-5-20251001',
      permissionMode: 'acceptEdits',
      slash_commands: Array.from({ length: 40 }, (_, i) => `command-${i}`),
      claude_code_version: '2.1.197',
    },
  ];
  for (let t = 0; t < turns; t++) {
    const id = `msg_${t}`;
    const message = (content: unknown[]) => ({
      type: 'assistant',
      message: { id, type: 'message', role: 'assistant', model: 'claude-haiku-4-5-20251001', content, usage },
      parent_tool_use_id: null,
      session_id: session,
      uuid: `u-${t}`,
    });
    const file = `/work/w/src/module-${t}.ts`;
    const body = `export const value${t} = ${t};\n`.repeat(t % 10 === 9 ? 4000 : 300); // 9 KB, or 120 KB
    lines.push(
      message([{ type: 'text', text: `Now I look at module ${t} to see how it handles the cache. `.repeat(4) }]),
    );
    lines.push(message([{ type: 'tool_use', id: `toolu_${t}`, name: 'Read', input: { file_path: file } }]));
    lines.push({
      type: 'user',
      message: { role: 'user', content: [{ tool_use_id: `toolu_${t}`, type: 'tool_result', content: body }] },
      parent_tool_use_id: null,
      session_id: session,
      tool_use_result: { type: 'text', file: { filePath: file, content: body } },
    });
  }
  lines.push({
    type: 'assistant',
    message: { id: 'msg_last', model: 'claude-haiku-4-5-20251001', content: [{ type: 'text', text: READY }], usage },
  });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

function within<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`worker-memory: ${what} took more than ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** N bare children printing the stream, each read to its last byte; resolves when all have printed it. */
async function bare(bin: string, n: number, bytes: number): Promise<ChildProcess[]> {
  const children: ChildProcess[] = [];
  const printed: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const c = spawn(bin, [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(c);
    let got = 0;
    printed.push(
      new Promise((resolve) => {
        c.stdout!.on('data', (d: Buffer) => {
          got += d.length;
          if (got >= bytes) resolve();
        });
        c.stderr!.resume();
      }),
    );
  }
  await within('bare children printing', Promise.all(printed));
  return children;
}

/** N workers running the stream; resolves when each has read it to its last event. */
async function workers(bin: string, dir: string, n: number): Promise<WorkerProcess[]> {
  const procs: WorkerProcess[] = [];
  const read: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const p = WorkerProcess.start({
      id: `w-${i}`,
      cwd: dir,
      claudeBin: bin,
      model: 'haiku',
      prompt: `task ${i}`,
      env: { PATH: process.env.PATH },
      claudeSession: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      silenceMs: 10 * 60_000,
    });
    procs.push(p);
    read.push(
      new Promise((resolve) => {
        const off = p.onActivity(() => {
          if (p.output().lines.at(-1) !== READY) return;
          off();
          resolve();
        });
      }),
    );
  }
  await within('workers reading their output', Promise.all(read));
  return procs;
}

/** One side measured in this process: its memory while n of them are live (after a warm-up of two). */
async function side(kind: 'bare' | 'workers', bin: string, dir: string, n: number, bytes: number): Promise<Mem> {
  const gc = gcNow();
  // warm up once, so that both sides have loaded and compiled the code they run before they are measured
  if (kind === 'bare') for (const c of await bare(bin, 2, bytes)) process.kill(-c.pid!, 'SIGKILL');
  else await Promise.all((await workers(bin, dir, 2)).map((p) => p.stop('warm-up done')));
  let stop: () => Promise<unknown>;
  if (kind === 'bare') {
    const children = await bare(bin, n, bytes);
    stop = async () => {
      const closed = children.map((c) => new Promise((r) => c.once('close', r)));
      for (const c of children) process.kill(-c.pid!, 'SIGKILL');
      await Promise.all(closed);
    };
  } else {
    const procs = await workers(bin, dir, n);
    stop = async () => {
      const exits = await Promise.all(procs.map((p) => p.stop('benchmark done')));
      if (exits.some((e) => e.reason !== 'stopped: benchmark done')) throw new Error('a worker did not stop as told');
    };
  }
  const live = measure(gc);
  await stop();
  return live;
}

const CHILD = '--worker-memory-side';

/** Each side in a fresh Node process of its own, so that what one leaves behind is not counted in the other. */
function inChild(kind: 'bare' | 'workers', bin: string, dir: string, n: number, bytes: number): Promise<Mem> {
  const file = new URL(import.meta.url).pathname;
  const args = ['--import', 'tsx', file, CHILD, kind, bin, dir, String(n), String(bytes)];
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`worker-memory: the ${kind} side exited with ${code}`);
        resolve(JSON.parse(out) as Mem);
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

export async function benchWorkerMemory(
  n = Number(process.env.BENCH_WORKERS ?? 50),
  turns = Number(process.env.BENCH_TURNS ?? 150),
  repeat = Number(process.env.BENCH_REPEAT ?? 3),
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-workers-'));
  try {
    const stream = join(dir, 'stream.ndjson');
    writeFileSync(stream, streamOf(turns));
    const bytes = statSync(stream).size;
    const bin = join(dir, 'claude');
    writeFileSync(bin, `#!/bin/sh\ncat '${stream}'\nexec sleep 600\n`);
    chmodSync(bin, 0o755);
    // each side a few times, the median of each figure: allocators make a single measure noisy
    const bs: Mem[] = [];
    const ws: Mem[] = [];
    for (let i = 0; i < repeat; i++) {
      bs.push(await inChild('bare', bin, dir, n, bytes));
      ws.push(await inChild('workers', bin, dir, n, bytes));
    }
    const median = (xs: Mem[], k: keyof Mem) =>
      percentile(
        xs.map((x) => x[k]),
        50,
      );
    const b = { heap: median(bs, 'heap'), rss: median(bs, 'rss') };
    const w = { heap: median(ws, 'heap'), rss: median(ws, 'rss') };
    const mb = (x: number) => x / 1024 / 1024;
    const label = `${n} live, ${(bytes / 1024 / 1024).toFixed(1)} MB printed each, median of ${repeat}`;
    report(`worker memory: heap, ${label}`, mb(w.heap), 'MB', mb(b.heap), `${n} bare children`);
    report(`worker memory: RSS, ${label}`, mb(w.rss), 'MB', mb(b.rss), `${n} bare children`);
    const per = (k: keyof Mem) => (mb(w[k] - b[k]) / n).toFixed(2);
    console.log(
      `worker memory: per worker beyond a bare child: heap ${per('heap')} MB, RSS ${per('rss')} MB (aim: under 5 MB)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === CHILD) {
  const [kind, bin, dir, n, bytes] = process.argv.slice(3) as ['bare' | 'workers', string, string, string, string];
  const m = await side(kind, bin, dir, Number(n), Number(bytes));
  process.stdout.write(JSON.stringify(m));
  process.exit(0);
}
