/**
 * Per-tool-call latency of a session, as the scripted Messages API sees it (tool-steps.ts): 30 Bash calls
 * (`echo n`) and a Read, a Write, an Edit and a Read.
 * - A session on a real local agency node (the daemon, a compiled worktree, the guard, the lifecycle
 *   hooks, the sandbox) against bare interactive Claude Code in a PTY with the same allow rules and no
 *   hooks, without a sandbox and in the same sandbox (which parts agency's own cost from the sandbox's).
 * - Bash with Claude Code's sandbox on against off, both bare (`sandbox-latency`).
 * Rounds alternate between the two sides, so that a machine that gets busier slows both alike.
 * BENCH_ROUNDS sets the rounds (default 3), BENCH_CALLS the Bash calls per session (default 30); each
 * session has 180 s to finish its script.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileInto } from '../src/compiler/index.js';
import { guardScriptPath } from '../src/paths/package.js';
import { loadRegistry } from '../src/registry/index.js';
import { MIN_REGISTRY, testNode } from '../test/helpers/node.js';
import { bareCheckout, runBare } from './bare-claude.js';
import { percentile, report } from './stats.js';
import { callLatencies, expectAllRan, toolSteps, type CallLatency, type ToolSteps } from './tool-steps.js';

const SANDBOX = {
  enabled: true,
  failIfUnavailable: true,
  allowUnsandboxedCommands: false,
  autoAllowBashIfSandboxed: true,
};

/** The allow rules a node compiles for the fixture's backend discipline: the bare side gets the same. */
function compiledAllowRules(base: string): string[] {
  const dir = join(base, 'rules');
  bareCheckout(dir, {});
  compileInto(
    dir,
    loadRegistry(MIN_REGISTRY),
    { discipline: 'backend', task: 'benchmark' },
    { programs: { node: process.execPath, guard: guardScriptPath() } },
  );
  const local = JSON.parse(readFileSync(join(dir, '.claude/settings.local.json'), 'utf8'));
  return local.permissions.allow as string[];
}

/** One session on a fresh local node, started with `agency run`, until the script's last step. */
async function nodeSession(s: ToolSteps): Promise<CallLatency[]> {
  const n = await testNode(s.scenario);
  try {
    const r = await n.agency(['run', 'bench', '--discipline', 'backend', '--json']);
    if (r.code !== 0) throw new Error(`agency run failed: ${r.stderr}`);
    await n.api.waitForStep(s.scenario.steps.length - 1, 180_000);
    expectAllRan(n.api.toolResults(), 'the agency session');
    return callLatencies(n.api.requests, s.tools);
  } finally {
    await n.cleanup();
  }
}

async function bareSession(base: string, name: string, settings: object, s: ToolSteps): Promise<CallLatency[]> {
  const dir = join(base, name);
  rmSync(dir, { recursive: true, force: true });
  bareCheckout(dir, settings);
  const run = await runBare(dir, s.scenario);
  expectAllRan(run.results, `bare claude (${name})`);
  return callLatencies(run.requests, s.tools);
}

const ms = (xs: CallLatency[], tool?: string) => xs.filter((x) => !tool || x.tool === tool).map((x) => x.ms);

function compare(what: string, a: number[], b: number[], baseline: string): void {
  for (const p of [50, 99])
    report(`${what}, p${p}`, percentile(a, p), 'ms', percentile(b, p), baseline, percentile(a, p) / percentile(b, p));
}

export async function benchSandboxLatency(
  rounds = Number(process.env.BENCH_ROUNDS) || 3,
  calls = Number(process.env.BENCH_CALLS) || 30,
): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'agency-bench-sandbox-'));
  try {
    const allow = compiledAllowRules(base);
    const bash = toolSteps(calls, false);
    const on: CallLatency[] = [];
    const off: CallLatency[] = [];
    for (let i = 0; i < rounds; i++) {
      on.push(...(await bareSession(base, 'sandbox-on', { permissions: { allow }, sandbox: SANDBOX }, bash)));
      off.push(...(await bareSession(base, 'sandbox-off', { permissions: { allow } }, bash)));
    }
    compare('Bash call, bare claude, sandbox on', ms(on), ms(off), 'sandbox off');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

export async function benchToolLatency(
  rounds = Number(process.env.BENCH_ROUNDS) || 3,
  calls = Number(process.env.BENCH_CALLS) || 30,
): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'agency-bench-tools-'));
  try {
    const allow = compiledAllowRules(base);
    const mixed = toolSteps(calls);
    const node: CallLatency[] = [];
    const bare: CallLatency[] = [];
    const boxed: CallLatency[] = [];
    for (let i = 0; i < rounds; i++) {
      node.push(...(await nodeSession(mixed)));
      bare.push(...(await bareSession(base, 'bare', { permissions: { allow } }, mixed)));
      boxed.push(...(await bareSession(base, 'bare-sandboxed', { permissions: { allow }, sandbox: SANDBOX }, mixed)));
    }
    compare('tool call, agency session', ms(node), ms(bare), 'bare claude');
    compare('Bash call, agency session', ms(node, 'Bash'), ms(bare, 'Bash'), 'bare claude');
    // agency's own cost (guard, hooks, node) apart from the sandbox's, which the bare side pays here too
    compare('tool call, agency session', ms(node), ms(boxed), 'bare claude in the same sandbox');
    compare('Bash call, agency session', ms(node, 'Bash'), ms(boxed, 'Bash'), 'bare claude in the same sandbox');
    const files = (xs: CallLatency[]) => xs.filter((x) => x.tool !== 'Bash').map((x) => x.ms);
    compare('file tool call, agency session', files(node), files(bare), 'bare claude');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
