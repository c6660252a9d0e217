/** `agency classify` wall time for one task, as a user runs it, against starting Node with nothing to do. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { percentile, report } from './stats.js';

const BIN = fileURLToPath(new URL('../bin/agency', import.meta.url));

function time(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return performance.now() - t;
}

export function benchClassify(rounds = 20): void {
  const c: number[] = [];
  const n: number[] = [];
  for (let i = 0; i < rounds; i++) {
    c.push(time([BIN, 'classify', 'Audit the Solidity vault contract for reentrancy', '--json']));
    n.push(time(['-e', '0']));
  }
  report(
    'classify, one task, whole CLI, p50',
    percentile(c, 50),
    'ms',
    percentile(n, 50),
    'node -e 0',
    percentile(c, 50) / percentile(n, 50),
  );
}
