/**
 * Bare interactive Claude Code for benchmarks: the real CLI in a PTY (node-pty, 160×50 as a node runs its
 * sessions), in a git checkout whose `.claude/settings.local.json` is the caller's (allow rules, a sandbox),
 * with no hooks, against a scripted Messages API. It runs until the script's last step was asked for.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pty from 'node-pty';
import { prepareClaudeState } from '../src/session/claude-state.js';
import {
  startScriptedApi,
  type RecordedRequest,
  type Scenario,
  type ToolResult,
} from '../test/fixtures/messages-api.js';
import { CLAUDE_BIN, isolatedHome } from '../test/helpers/claude.js';

/** A git checkout with a README, ready for a bare session. */
export function bareCheckout(dir: string, settingsLocal: object): void {
  mkdirSync(join(dir, '.claude'), { recursive: true });
  execFileSync('git', ['init', '-q', dir]);
  writeFileSync(join(dir, 'README.md'), 'fixture repository\n');
  writeFileSync(join(dir, '.claude', 'settings.local.json'), `${JSON.stringify(settingsLocal, null, 2)}\n`);
}

/** Runs the scenario in `dir` with interactive claude; returns the scripted API's requests and the tools' results. */
export async function runBare(
  dir: string,
  scenario: Scenario,
  timeoutMs = 180_000,
  args: string[] = [],
): Promise<{ requests: RecordedRequest[]; results: ToolResult[] }> {
  const api = await startScriptedApi(scenario);
  const home = await isolatedHome(api.url);
  const env = { ...home.env, TERM: 'xterm-256color' };
  prepareClaudeState({ trust: [dir], env });
  let screen = '';
  const p = pty.spawn(CLAUDE_BIN, [...args, 'bench'], {
    name: 'xterm-256color',
    cwd: dir,
    env: env as Record<string, string>,
    cols: 160,
    rows: 50,
  });
  p.onData((d) => (screen = (screen + d).slice(-4000)));
  const exited = new Promise<void>((r) => p.onExit(() => r()));
  try {
    await Promise.race([
      api.waitForStep(scenario.steps.length - 1, timeoutMs),
      exited.then(() => {
        throw new Error(`bare claude exited early; its screen ended with: ${screen.slice(-500)}`);
      }),
    ]);
    return { requests: [...api.requests], results: api.toolResults() };
  } finally {
    // its own session and process group (node-pty): the shells it started go with it
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await api.close();
    await home.cleanup();
  }
}
