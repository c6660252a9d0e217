/**
 * `agency cost --by model` over a node's ledger of a million recorded turns: the request over the node's socket
 * to its answer, against reading the same files' bytes and against parsing every line (what a ledger without
 * sums would do for each question); and the node's load time for the million turns and the memory it holds.
 * The turns are written by the bench into a temporary home (30 days, 2,000 sessions, 4 models), then removed.
 * Run alone: `node --import tsx bench/cost.ts [turns]` (default 1,000,000).
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readTurnLine, SpendLog, spendDir, turnLine } from '../src/budget/spend-log.js';
import { Connection } from '../src/protocol/connection.js';
import { PROTOCOL_VERSION } from '../src/protocol/messages.js';
import type { Turn } from '../src/protocol/economics.js';
import { gcNow, percentile, report } from './stats.js';

const DAYS = 30;
const SESSIONS = 2000;
const MODELS = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-8', 'claude-sonnet-4-5 (fast)'];
const VPS = ['vp-eng', 'vp-ops', 'vp-data', 'vp-risk', null];
const DISCIPLINES = ['backend', 'frontend', 'infra', 'data', 'docs', 'security'];

/** Writes `turns` turns spread over DAYS days into the ledger's folder, a day file at a time. */
function writeLedger(dir: string, turns: number): number {
  mkdirSync(dir, { recursive: true });
  const start = Date.UTC(2030, 0, 1);
  const perDay = Math.ceil(turns / DAYS);
  let bytes = 0;
  for (let d = 0, n = 0; d < DAYS && n < turns; d++) {
    const fd = openSync(join(dir, `${new Date(start + d * 86_400_000).toISOString().slice(0, 10)}.log`), 'w');
    let chunk = '';
    for (let i = 0; i < perDay && n < turns; i++, n++) {
      // a session lives a few hours of one day and makes its turns then
      const s = (d * 997 + Math.floor(i / (perDay / 70))) % SESSIONS;
      const t: Turn = {
        at: new Date(start + d * 86_400_000 + Math.floor((i / perDay) * 86_400_000)).toISOString(),
        session: `s-${s.toString(16).padStart(6, '0')}`,
        worker: i % 3 === 0 ? `w-${(i % 40).toString(16)}` : null,
        vp: VPS[s % VPS.length]!,
        discipline: DISCIPLINES[s % DISCIPLINES.length]!,
        model: MODELS[(s + (i % 3 === 0 ? 1 : 0)) % MODELS.length]!,
        spend: {
          inputTokens: 10 + (i % 50),
          outputTokens: 100 + (i % 700),
          cacheCreationTokens: i % 5 === 0 ? 2000 : 0,
          cacheReadTokens: 40_000 + (i % 9000),
          costUsd: 0.01 + (i % 100) / 10_000,
        },
      };
      chunk += turnLine(t);
      if (chunk.length > 1 << 20) {
        bytes += writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk) bytes += writeSync(fd, chunk);
    closeSync(fd);
  }
  return bytes;
}

function timeMs(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

export async function benchCost(turns = 1_000_000, rounds = 20): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'agency-bench-ledger-'));
  try {
    const dir = spendDir(home);
    const bytes = writeLedger(dir, turns);
    const files = readdirSync(dir).map((f) => join(dir, f));

    // baselines: the files' bytes read, and every line parsed
    let sink = 0;
    const read = timeMs(() => {
      for (const f of files) sink += readFileSync(f).length;
    });
    const parse = timeMs(() => {
      for (const f of files)
        for (const line of readFileSync(f, 'utf8').split('\n')) if (line && 'turn' in readTurnLine(line)) sink++;
    });

    const gc = gcNow();
    gc();
    const before = process.memoryUsage().heapUsed;
    let log!: SpendLog;
    const load = timeMs(() => {
      log = SpendLog.open({ dir });
    });
    gc();
    const held = process.memoryUsage().heapUsed - before;
    if (log.turnsLoaded !== turns) throw new Error(`loaded ${log.turnsLoaded} turns of ${turns}`);

    // the node's socket, its `cost` op answered from the ledger's sums, asked as `agency cost` asks it
    const socket = join(home, 'node.sock');
    const info = {
      name: 'bench',
      agentVersion: 'bench',
      build: 'dev',
      protocol: PROTOCOL_VERSION,
      host: 'localhost',
      platform: `${process.platform}-${process.arch}`,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    const server = createServer((s) => {
      const conn = new Connection(s, { role: 'node', agent: 'bench', node: info });
      conn.handle(async (op, args) => {
        if (op !== 'cost') throw new Error(`not ${op}`);
        const a = args as { by: 'model'; since?: string };
        return log.query(a.by, a.since ? new Date(a.since) : null, info.name);
      });
    });
    await new Promise<void>((r) => server.listen(socket, r));
    const client = new Connection(connect(socket), { role: 'cockpit', agent: 'bench' });
    await client.ready;
    const asked: number[] = [];
    let rows = 0;
    for (let i = 0; i < rounds; i++) {
      const t = performance.now();
      const r = await client.request('cost', { by: 'model' });
      asked.push(performance.now() - t);
      rows = r.rows.length;
      if (r.total.turns !== turns) throw new Error(`the answer counts ${r.total.turns} turns of ${turns}`);
    }
    client.close();
    await new Promise((r) => server.close(r));
    if (sink === 0 || rows !== MODELS.length) throw new Error('nothing was read');

    const mb = (bytes / 1024 / 1024).toFixed(0);
    const cost = percentile(asked, 50);
    report(`agency cost --by model, ${turns / 1e6}M turns, p50`, cost, 'ms', read, `reading its ${mb} MB`);
    report(`agency cost --by model, ${turns / 1e6}M turns, p50`, cost, 'ms', parse, 'parsing every line');
    report(`ledger load, ${turns / 1e6}M turns`, load, 'ms', parse, 'parsing every line');
    const size = log.size();
    console.log(
      `ledger memory held: ${(held / 1024 / 1024).toFixed(1)} MB for ${size.groups} groups, ${size.minutes} minutes (${mb} MB on disk)`,
    );
    log.close();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchCost(Number(process.argv[2] ?? 1_000_000));
}
