/**
 * Approval latency: from the scripted API sending a tool call that needs permission to the tool having
 * run (the CLI's next request, carrying the result). An interactive session on the node, where the
 * discipline's policy allows the call (compiled into Claude Code's own rules, so nobody is asked), against
 * the same scenario headless (`claude -p`) with the tool pre-allowed on the command line.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileInto } from '../src/compiler/index.js';
import { guardScriptPath } from '../src/paths/package.js';
import { loadRegistry } from '../src/registry/index.js';
import { startScriptedApi, type Scenario } from '../test/fixtures/messages-api.js';
import { isolatedHome, runClaudePrint } from '../test/helpers/claude.js';
import { MIN_REGISTRY, testNode } from '../test/helpers/node.js';
import { percentile, report } from './stats.js';

function scenario(calls: number): Scenario {
  const steps = Array.from({ length: calls }, (_, i) => ({
    tool: 'Bash',
    input: { command: `cp README.md copy-${i}.md`, description: 'copy' },
  }));
  return { steps: [...steps, { text: 'done' }] };
}

function intervals(at: number[]): number[] {
  return at.slice(1).map((t, i) => t - at[i]!);
}

export async function benchApproval(calls = 20): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'agency-bench-approval-'));
  try {
    // the fixture registry, with cp allowed by the node's policy (not by Claude Code's own rules)
    const registry = join(base, 'registry');
    cpSync(MIN_REGISTRY, registry, { recursive: true });
    const hooks = join(registry, 'hooks/guard.json');
    const h = JSON.parse(readFileSync(hooks, 'utf8'));
    h.approvals.allow.push('Bash(cp *)');
    writeFileSync(hooks, JSON.stringify(h));

    const n = await testNode(scenario(calls), { env: { AGENCY_REGISTRY: registry } });
    let interactive: number[];
    try {
      const run = JSON.parse((await n.agency(['run', 'copy files', '--discipline', 'backend', '--json'])).stdout);
      const w = await n.agency(['wait', run.session, '--timeout', '300'], { timeoutMs: 310_000 });
      if (w.code !== 0) throw new Error(`the interactive session did not finish: ${w.stdout}${w.stderr}`);
      interactive = intervals(n.api.requests.filter((r) => r.kind === 'main').map((r) => r.at));
    } finally {
      await n.cleanup();
    }

    const api = await startScriptedApi(scenario(calls));
    const home = await isolatedHome(api.url);
    let headless: number[];
    try {
      const dir = join(base, 'headless');
      execFileSync('git', ['init', '-q', dir]);
      writeFileSync(join(dir, 'README.md'), 'x\n');
      compileInto(
        dir,
        loadRegistry(registry),
        { discipline: 'backend', task: 'copy files' },
        { programs: { node: process.execPath, guard: guardScriptPath() } },
      );
      const r = await runClaudePrint({
        cwd: dir,
        prompt: 'copy files',
        env: { ...home.env, AGENCY_TEST_FIXTURES: join(MIN_REGISTRY, '..') },
        args: ['--allowedTools', 'Bash(cp *)'],
        timeoutMs: 300_000,
      });
      if (r.code !== 0) throw new Error(`the headless run failed: ${r.stderr}`);
      headless = intervals(api.requests.filter((x) => x.kind === 'main').map((x) => x.at));
    } finally {
      await api.close();
      await home.cleanup();
    }
    report(
      'approval latency, policy-allowed call, interactive, p50',
      percentile(interactive, 50),
      'ms',
      percentile(headless, 50),
      'headless pre-allowed',
    );
    report(
      'approval latency, policy-allowed call, interactive, p99',
      percentile(interactive, 99),
      'ms',
      percentile(headless, 99),
      'headless pre-allowed',
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
