/**
 * The node daemon's memory with many sessions that have printed a lot: 50 sessions each printing 50 MB.
 * The session program here is a stand-in for claude that only prints (what is measured is the daemon:
 * replay buffers, headless screens, logs), against the same daemon after 50 sessions printed 1 MB each.
 * Bounded means the ratio stays near 1.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testNode } from '../test/helpers/node.js';
import { report } from './stats.js';

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function daemonAfter(sessions: number, mbEach: number, base: string): Promise<number> {
  const printer = join(base, `printer-${mbEach}.sh`);
  // coloured log lines, then stay alive like an idle session
  writeFileSync(
    printer,
    `#!/bin/sh\nhead -c ${mbEach * 1024 * 1024} /dev/urandom | base64 -w 100 | sed 's/^/\\x1b[32mlog\\x1b[0m /'\nexec sleep 3600\n`,
  );
  chmodSync(printer, 0o755);
  const n = await testNode({ steps: [] }, { env: { AGENCY_CLAUDE_BIN: printer, AGENCY_PREPARE_CLAUDE: '0' } });
  try {
    const ids: string[] = [];
    for (let i = 0; i < sessions; i++) {
      const r = await n.agency(['run', `print ${i}`, '--discipline', 'backend', '--json']);
      if (r.code !== 0) throw new Error(r.stderr);
      ids.push(JSON.parse(r.stdout).session);
    }
    const target = mbEach * 1024 * 1024 * 1.3; // base64 and colour add a third
    for (;;) {
      const s = JSON.parse((await n.agency(['status', '--json'])).stdout);
      if (s.sessions.every((x: { outputSeq: number }) => x.outputSeq >= target)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (typeof global.gc === 'function') global.gc();
    return rssMb(n.daemonPid()!);
  } finally {
    await n.cleanup();
  }
}

export async function benchDaemonMemory(
  sessions = Number(process.env.BENCH_SESSIONS ?? 50),
  mb = Number(process.env.BENCH_MB ?? 50),
): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'agency-bench-mem-'));
  try {
    const small = await daemonAfter(sessions, 1, base);
    const big = await daemonAfter(sessions, mb, base);
    report(`daemon RSS, ${sessions} sessions × ${mb} MB printed`, big, 'MB', small, `${sessions} × 1 MB`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
