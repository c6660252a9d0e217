/**
 * How many workers one node sustains: 200 read-only workers spawned at once through the real dispatcher
 * (its waves, limits, compiled folders, result files and table), each a stand-in for `claude -p
 * --output-format stream-json` that prints a realistic run for about 2 s (a line every 200 ms) and writes
 * its result file. A real claude costs 100 MB and more of memory each: 200 of them do not fit a small
 * machine, so the stand-in is a tiny shell script, and what is measured is agency's side. While they run:
 * how late the node's event loop answers (a setImmediate sampled every 50 ms, what any op or cockpit update
 * waits behind), how long a line a worker prints takes to reach the host's emit, and agency's own memory per
 * running worker against 200 bare `sleep 2` children spawned the same way in the same run.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dispatcher, type DispatchHost, type SessionView } from '../src/dispatch/dispatcher.js';
import type { NodeEvent, WorkerState } from '../src/protocol/messages.js';
import { createWorktree } from '../src/worktree/index.js';
import { commit, userRepo } from '../test/helpers/git-repo.js';
import { tempDir } from '../test/helpers/tmp.js';
import { gcNow, percentile, report } from './stats.js';

const WORKERS = Number(process.env.BENCH_WORKERS ?? 200);
const LIMIT_MS = 180_000;
const SAMPLE_MS = 50;
const SESSION = 's-5a5a01';
const REGISTRY = new URL('../test/fixtures/registry-min', import.meta.url).pathname;
const GUARD = new URL('../dist/guard/guard.cjs', import.meta.url).pathname;

/**
 * A stand-in for `claude -p --output-format stream-json --verbose ... -- <prompt>`: an init event, ten
 * turns 200 ms apart (text, a Bash call stamped with the time it is printed, its result; usage), the result file the
 * prompt names ending with DONE, and a result event with its cost.
 */
const FAKE_CLAUDE = String.raw`#!/bin/sh
sid=none
while [ $# -gt 0 ]; do
  case "$1" in
    --session-id) sid=$2; shift ;;
    --) prompt=$2; break ;;
  esac
  shift
done
result=$(printf '%s\n' "$prompt" | grep -o '[^[:space:]]*/\.context/result\.md' | head -n 1)
[ -n "$result" ] || { echo 'no result file in the prompt' >&2; exit 2; }
m=claude-haiku-4-5-20251001
u='"usage":{"input_tokens":1200,"output_tokens":40,"cache_creation_input_tokens":0,"cache_read_input_tokens":9000}'
echo '{"type":"system","subtype":"init","cwd":"'"$PWD"'","session_id":"'$sid'","tools":["Read","Grep","Glob","Write","Bash"],"mcp_servers":[],"model":"'$m'","permissionMode":"acceptEdits","claude_code_version":"2.1.197"}'
i=0
while [ $i -lt 10 ]; do
  sleep 0.2
  i=$((i + 1))
  echo '{"type":"assistant","message":{"id":"msg_'$i'","type":"message","role":"assistant","model":"'$m'","content":[{"type":"text","text":"Now I look at how module '$i' reads the cache."},{"type":"tool_use","id":"toolu_'$i'","name":"Bash","input":{"command":"grep -n cache src/module-'$i'.ts # printed at '$(date +%s%3N)'"}}],'"$u"'},"parent_tool_use_id":null,"session_id":"'$sid'"}'
  echo '{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_'$i'","type":"tool_result","content":"1:export const cache'$i' = new Map();"}]},"parent_tool_use_id":null,"session_id":"'$sid'"}'
done
mkdir -p "$(dirname "$result")"
printf 'The cache is read in three places.\nDONE\n' > "$result"
echo '{"type":"result","subtype":"success","is_error":false,"duration_ms":2100,"num_turns":10,"result":"Found where the cache is read and wrote it down.","session_id":"'$sid'","total_cost_usd":0.0123,"usage":{"input_tokens":12000,"output_tokens":400,"cache_creation_input_tokens":0,"cache_read_input_tokens":90000},"modelUsage":{"'$m'":{"inputTokens":12000,"outputTokens":400,"cacheReadInputTokens":90000,"cacheCreationInputTokens":0}}}'
`;

interface Mem {
  heap: number;
  rss: number;
}
function memNow(): Mem {
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss };
}

/**
 * Samples the event loop every SAMPLE_MS: how long a trivial op due at that moment waits to run (the timer's
 * delay past its due time, then a setImmediate), and memory; `count` says how many run now.
 */
function sampler(count: () => number) {
  const lags: number[] = [];
  let peak = 0;
  let atPeak: Mem = memNow();
  let stopped = false;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const due = performance.now() + SAMPLE_MS;
    timer = setTimeout(
      () =>
        setImmediate(() => {
          if (stopped) return;
          lags.push(performance.now() - due);
          const n = count();
          if (n > 0 && n >= peak) {
            peak = n;
            atPeak = memNow();
          }
          arm();
        }),
      SAMPLE_MS,
    );
  };
  arm();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      return { lags, peak, atPeak };
    },
  };
}

function within<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`worker-sustain: ${what} took more than ${LIMIT_MS} ms`)), LIMIT_MS);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The baseline: n bare `sleep 2` children, their output read, all live at once. */
async function bare(n: number): Promise<{ before: Mem; peak: Mem; live: number }> {
  const gc = gcNow();
  gc();
  const before = memNow();
  let live = 0;
  const s = sampler(() => live);
  const closed: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const c = spawn('sleep', ['2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout.resume();
    c.stderr.resume();
    c.once('spawn', () => (live += 1));
    closed.push(
      new Promise((resolve) =>
        c.once('close', () => {
          live -= 1;
          resolve();
        }),
      ),
    );
  }
  await within('bare children', Promise.all(closed));
  const { peak, atPeak } = s.stop();
  return { before, peak: atPeak, live: peak };
}

function fixture(dir: string): Promise<{ repo: string; worktree: string; branch: string }> {
  const repo = userRepo(join(dir, 'repo'));
  const files: Record<string, string> = {};
  for (let i = 0; i < 50; i++) files[`src/module-${i}.ts`] = `export const cache${i} = new Map();\n`;
  commit(repo, 'modules', files);
  return createWorktree({ repo, id: SESSION, under: join(dir, 'worktrees') }).then((w) => ({
    repo,
    worktree: w.path,
    branch: w.branch,
  }));
}

export async function benchWorkerSustain(n = WORKERS): Promise<void> {
  const t = tempDir('agency-bench-sustain-');
  let started: { d: Dispatcher; run: string | null } | null = null;
  try {
    const base = await bare(n);

    const f = await fixture(t.path);
    const home = join(t.path, 'home');
    const tmp = join(t.path, 'tmp');
    mkdirSync(home);
    mkdirSync(tmp);
    const claudeBin = join(t.path, 'claude');
    writeFileSync(claudeBin, FAKE_CLAUDE);
    chmodSync(claudeBin, 0o755);
    const session: SessionView = {
      id: SESSION,
      state: 'working',
      worktree: f.worktree,
      branch: f.branch,
      repo: f.repo,
      discipline: 'backend',
      registry: null,
    };
    const states = new Map<string, WorkerState>();
    const activities = new Map<string, string>();
    let running = 0;
    const stateLag: number[] = [];
    const lineLag: number[] = [];
    const warnings: string[] = [];
    const host: DispatchHost = {
      node: 'bench',
      home,
      claudeBin,
      env: { ...process.env, AGENCY_WORKER_LIMITS: `haiku=${n}`, AGENCY_WORKER_MEMORY_MB: '1000000' },
      registryDir: REGISTRY,
      sandbox: false,
      emit: (e: NodeEvent) => {
        if (e.kind !== 'worker') return;
        const now = Date.now();
        const w = e.worker;
        const was = states.get(w.id);
        if (w.state !== was) {
          stateLag.push(now - Date.parse(w.updatedAt));
          running += (w.state === 'running' ? 1 : 0) - (was === 'running' ? 1 : 0);
          states.set(w.id, w.state);
        }
        // a line is told once, with the activity it sets (usage events after it repeat that activity)
        if (activities.get(w.id) === w.activity) return;
        activities.set(w.id, w.activity);
        const printed = /printed at (\d{13})/.exec(w.activity);
        if (printed) lineLag.push(now - Number(printed[1]));
      },
      session: (id) => (id === SESSION ? session : null),
      compileOptions: () => ({ programs: { node: process.execPath, guard: GUARD }, sandbox: { enabled: false } }),
      workerEnv: (_id, tmpDir) => ({ ...process.env, TMPDIR: tmpDir }),
      tmpDir: (id) => {
        const dir = join(tmp, id);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        return dir;
      },
      removeTmpDir: (id) => rmSync(join(tmp, id), { recursive: true, force: true }),
      ask: () => {
        throw new Error('worker-sustain: read-only workers ask nothing');
      },
      asked: () => [],
      warn: (text) => warnings.push(text),
    };
    const dispatcher = new Dispatcher(host);
    started = { d: dispatcher, run: null };
    const workers = Array.from({ length: n }, (_, i) => ({
      id: `w${String(i).padStart(3, '0')}`,
      prompt: `Find where module ${i % 50} reads the cache and say how.`,
    }));

    gcNow()();
    const before = memNow();
    const s = sampler(() => running);
    const t0 = performance.now();
    const spawning = dispatcher.spawn({ session: SESSION, workers });
    // spawn() starts the first wave before it returns: how long the op held the node
    const spawnMs = performance.now() - t0;
    const firstWave = running;
    const { run } = await spawning;
    started.run = run;
    const never = new Promise<void>(() => {});
    const out = await within(
      `${n} workers`,
      dispatcher.wait({ session: SESSION, run, timeoutS: LIMIT_MS / 1000 }, never),
    );
    const seconds = (performance.now() - t0) / 1000;
    const { lags, peak, atPeak } = s.stop();
    if (out.done !== n)
      throw new Error(
        `worker-sustain: ${out.done} of ${n} done, ${out.failed} failed, ${out.pending} pending; ${warnings.join('; ')}`,
      );

    const mb = (x: number) => x / 1024 / 1024;
    const per = (m: { before: Mem; peak: Mem }, k: keyof Mem, count: number) => mb(m.peak[k] - m.before[k]) / count;
    console.log(
      `worker sustain: each claude a ~2 s shell stand-in (a real one is 100+ MB; ${n} do not fit this machine); the node's side is real`,
    );
    console.log(`worker sustain: ${n} read-only workers done in ${seconds.toFixed(1)} s, peak ${peak} running at once`);
    const ms = (xs: number[], p: number) => percentile(xs, p);
    console.log(
      `  the spawn op (${n} workers) held the event loop ${spawnMs.toFixed(0)} ms, starting its first wave of ${firstWave}`,
    );
    console.log(
      `  cockpit update latency on the node (a trivial op's wait, sampled every ${SAMPLE_MS} ms, ${lags.length} samples): p50 ${ms(lags, 50).toFixed(1)} ms, p95 ${ms(lags, 95).toFixed(1)} ms, max ${ms(lags, 100).toFixed(1)} ms (aim: under 1000 ms)`,
    );
    console.log(
      `  a worker's printed line to the host's emit (${lineLag.length} lines): p50 ${ms(lineLag, 50)} ms, p95 ${ms(lineLag, 95)} ms, max ${ms(lineLag, 100)} ms`,
    );
    console.log(
      `  a worker's state change (updatedAt) to the host's emit (${stateLag.length} changes): p50 ${ms(stateLag, 50)} ms, p95 ${ms(stateLag, 95)} ms, max ${ms(stateLag, 100)} ms`,
    );
    const w = { before, peak: atPeak };
    for (const k of ['heap', 'rss'] as const)
      report(
        `worker sustain: ${k} per running worker (${peak})`,
        per(w, k, peak),
        'MB',
        per(base, k, base.live),
        `bare sleep child (${base.live})`,
      );
    console.log(
      `worker sustain: per worker beyond a bare child: heap ${(per(w, 'heap', peak) - per(base, 'heap', base.live)).toFixed(2)} MB, RSS ${(per(w, 'rss', peak) - per(base, 'rss', base.live)).toFixed(2)} MB (aim: under 5 MB)`,
    );
  } finally {
    // workers still running (a failed run) are stopped and have ended before their folders go
    if (started?.run) await started.d.stop({ run: started.run });
    await started?.d.close();
    t.remove();
  }
}
