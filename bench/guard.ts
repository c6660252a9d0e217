/**
 * Guard latency per tool call, p50 and p99, against a hook that runs `true`: the hook command exactly as
 * compiled into settings.json, run the way Claude Code runs it (sh -c, the call as JSON on stdin).
 * - the standalone guard (a Node start per call), as a plain `agency compile` runs it;
 * - the resident guard of a node session: sh and socat to the node's guard socket (here served in this
 *   process by the same evaluator the daemon runs).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardCommand, guardSocketOf } from '../src/compiler/index.js';
import { findSocat } from '../src/compiler/guard-hook.js';
import { startGuardServer } from '../src/node/guard-server.js';
import { guardScriptPath } from '../src/paths/package.js';
import { mergePolicy } from '../src/compiler/policy.js';
import { percentile, report } from './stats.js';

function runHook(command: string, input: string, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn('sh', ['-c', command], { cwd, stdio: ['pipe', 'ignore', 'ignore'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`hook exit ${code}`))));
    p.stdin.on('error', () => {}); // `true` exits without reading its input
    p.stdin.end(input);
  });
}

export async function benchGuard(rounds = 200): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-guard-'));
  const socat = findSocat();
  try {
    const policyPath = join(dir, 'policy.json');
    const policy = mergePolicy(dir, []);
    writeFileSync(policyPath, JSON.stringify(policy));
    const programs = { node: process.execPath, guard: guardScriptPath() };
    const session = { socket: join(dir, 'run', 'node.sock'), id: 's-bench', token: 'benchtoken' };
    mkdirSync(join(dir, 'run'), { mode: 0o700 });
    const server = await startGuardServer({
      socket: guardSocketOf(session.socket),
      home: dir,
      policyFor: (id, token) => (id === session.id && token === session.token ? policy : null),
    });
    const commands: Record<string, string> = {
      standalone: guardCommand(programs, policyPath),
      ...(socat ? { resident: guardCommand({ ...programs, session }, policyPath, socat) } : {}),
      true: 'true',
    };
    const input = JSON.stringify({
      hook_event_name: 'PreToolUse',
      tool_name: 'Bash',
      cwd: dir,
      tool_input: { command: 'npm test -- --reporter dot && git status && cat README.md | head -20' },
    });
    const ms: Record<string, number[]> = {};
    try {
      for (let i = 0; i < rounds + 10; i++) {
        for (const [name, command] of Object.entries(commands)) {
          const t = await runHook(command, input, dir);
          if (i >= 10) (ms[name] ??= []).push(t);
        }
      }
    } finally {
      await server.close();
    }
    for (const [name, what] of [
      ['standalone', 'guard hook, standalone (Node per call)'],
      ['resident', "guard hook, node's resident guard"],
    ] as const) {
      const g = ms[name];
      if (!g) {
        console.log(`${what}: not measured (no socat on PATH)`);
        continue;
      }
      for (const p of [50, 99]) report(`${what}, p${p}`, percentile(g, p), 'ms', percentile(ms.true!, p), 'true');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
