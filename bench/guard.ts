/**
 * Guard latency per tool call, p50 and p99, against a hook that runs `true`: the hook command exactly as
 * compiled into settings.json, run the way Claude Code runs it (sh -c, the call as JSON on stdin).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardCommand } from '../src/compiler/index.js';
import { guardScriptPath } from '../src/paths/package.js';
import { mergePolicy } from '../src/compiler/policy.js';
import { percentile, report } from './stats.js';

function runHook(command: string, input: string, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn('sh', ['-c', command], { cwd, stdio: ['pipe', 'ignore', 'ignore'] });
    p.on('error', reject);
    p.on('exit', () => resolve(performance.now() - t));
    p.stdin.on('error', () => {}); // `true` exits without reading its input
    p.stdin.end(input);
  });
}

export async function benchGuard(rounds = 200): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-guard-'));
  try {
    const policyPath = join(dir, 'policy.json');
    writeFileSync(policyPath, JSON.stringify(mergePolicy(dir, [])));
    const guard = guardCommand({ node: process.execPath, guard: guardScriptPath() }, policyPath);
    const input = JSON.stringify({
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      cwd: dir,
      tool_input: { command: 'npm test -- --reporter dot && git status && cat README.md | head -20' },
    });
    const g: number[] = [];
    const t: number[] = [];
    for (let i = 0; i < rounds + 10; i++) {
      const a = await runHook(guard, input, dir);
      const b = await runHook('true', input, dir);
      if (i >= 10) {
        g.push(a);
        t.push(b);
      }
    }
    report(
      'guard hook process, p50',
      percentile(g, 50),
      'ms',
      percentile(t, 50),
      'true',
      percentile(g, 50) / percentile(t, 50),
    );
    report(
      'guard hook process, p99',
      percentile(g, 99),
      'ms',
      percentile(t, 99),
      'true',
      percentile(g, 99) / percentile(t, 99),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
