/**
 * Guard latency per tool call as a session feels it: the real Claude Code CLI runs a scripted series of
 * Bash calls in a compiled worktree, once with the guard as its PreToolUse hook and once with a hook that
 * runs `true`. A call's latency is the time from the API's tool_use reply to the CLI's next request.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileInto } from '../src/compiler/index.js';
import { guardScriptPath } from '../src/paths/package.js';
import { loadRegistry } from '../src/registry/index.js';
import { startScriptedApi } from '../test/fixtures/messages-api.js';
import { isolatedHome, runClaudePrint } from '../test/helpers/claude.js';
import { percentile, report } from './stats.js';

const MIN = fileURLToPath(new URL('../test/fixtures/registry-min', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../test/fixtures', import.meta.url));

async function perCallLatencies(dir: string, calls: number): Promise<number[]> {
  const steps = Array.from({ length: calls }, (_, i) => ({
    tool: 'Bash',
    input: { command: `ls -la src${i % 2 ? ' && git status' : ''}`, description: 'look' },
  }));
  const api = await startScriptedApi({ steps: [...steps, { text: 'done' }] });
  const home = await isolatedHome(api.url);
  try {
    const run = await runClaudePrint({
      cwd: dir,
      prompt: 'look around',
      env: { ...home.env, AGENCY_TEST_FIXTURES: FIXTURES },
      args: ['--strict-mcp-config'],
      timeoutMs: 120_000,
    });
    if (run.code !== 0) throw new Error(`claude exited ${run.code}: ${run.stderr}`);
    const main = api.requests.filter((r) => r.kind === 'main');
    const out: number[] = [];
    for (let i = 1; i < main.length; i++) out.push((main[i] as { at: number }).at - (main[i - 1] as { at: number }).at);
    return out;
  } finally {
    await api.close();
    await home.cleanup();
  }
}

export async function benchGuardE2e(calls = 30, rounds = 4): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'agency-bench-e2e-'));
  try {
    const reg = loadRegistry(MIN);
    const dirs = { guard: join(base, 'guard'), true: join(base, 'true') };
    for (const d of Object.values(dirs)) {
      execFileSync('git', ['init', '-q', d]);
      execFileSync('mkdir', ['-p', join(d, 'src')]);
      compileInto(
        d,
        reg,
        { discipline: 'backend', task: 'benchmark' },
        { programs: { node: process.execPath, guard: guardScriptPath() } },
      );
    }
    const settingsPath = join(dirs.true, '.claude/settings.json');
    const s = JSON.parse(readFileSync(settingsPath, 'utf8'));
    s.hooks.PreToolUse[0].hooks[0].command = 'true';
    writeFileSync(settingsPath, JSON.stringify(s));
    const g: number[] = [];
    const t: number[] = [];
    for (let round = 0; round < rounds; round++) {
      g.push(...(await perCallLatencies(dirs.guard, calls)));
      t.push(...(await perCallLatencies(dirs.true, calls)));
    }
    report(
      'guard per tool call in Claude Code, p50',
      percentile(g, 50),
      'ms',
      percentile(t, 50),
      'hook `true`',
      percentile(g, 50) / percentile(t, 50),
    );
    report(
      'guard per tool call in Claude Code, p99',
      percentile(g, 99),
      'ms',
      percentile(t, 99),
      'hook `true`',
      percentile(g, 99) / percentile(t, 99),
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
