/**
 * What a flood costs the node daemon in memory: its peak RSS growth while a session prints 100 MB to a
 * cockpit that subscribed to its terminal and then stopped reading, against the same flood with nobody
 * subscribed, in the same run (each on a fresh node). Bounded means the ratio stays near 1: the slow reader
 * costs its 4 MB backlog, not a copy of the flood.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '../src/protocol/connection.js';
import { testNode } from '../test/helpers/node.js';
import { report } from './stats.js';

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Peak RSS growth of a fresh node's daemon while one session prints `bytes`, with or without a stalled reader. */
async function floodPeak(dir: string, bytes: number, stalledReader: boolean): Promise<number> {
  const printer = join(dir, 'flood.sh');
  writeFileSync(printer, `#!/bin/sh\nhead -c ${bytes} /dev/zero | tr "\\0" "x" | fold -w 120\nexec sleep 3600\n`);
  chmodSync(printer, 0o755);
  const n = await testNode({ steps: [] }, { env: { AGENCY_CLAUDE_BIN: printer, AGENCY_PREPARE_CLAUDE: '0' } });
  let conn: Connection | null = null;
  try {
    const run = await n.agency(['run', 'flood', '--discipline', 'backend', '--json']);
    if (run.code !== 0) throw new Error(run.stderr);
    const { session } = JSON.parse(run.stdout);
    const daemon = n.daemonPid()!;
    const before = rssMb(daemon);
    if (stalledReader) {
      const socket = connect(join(n.agencyHome, 'run', 'node.sock'));
      conn = new Connection(socket, { role: 'cockpit', agent: 'bench' });
      await conn.ready;
      await conn.request('pty-subscribe', { session, fromSeq: 0 });
      socket.pause();
    }
    let peak = before;
    let done = false;
    const sample = (async () => {
      while (!done) {
        peak = Math.max(peak, rssMb(daemon));
        await sleep(20);
      }
    })();
    while (JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0].outputSeq < bytes) await sleep(200);
    done = true;
    await sample;
    return peak - before;
  } finally {
    conn?.close();
    await n.cleanup();
  }
}

export async function benchFlood(mb = Number(process.env.BENCH_FLOOD_MB ?? 100)): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-flood-'));
  try {
    const alone = await floodPeak(dir, mb * 1_000_000, false);
    const stalled = await floodPeak(dir, mb * 1_000_000, true);
    report(
      `node RSS peak growth, ${mb} MB flood, stalled reader`,
      stalled,
      'MB',
      alone,
      'the same flood, nobody subscribed',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
