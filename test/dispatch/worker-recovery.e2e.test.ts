/**
 * Supervision: a worker killed with kill -9 mid-wave is started again; a node killed mid-wave comes back
 * and finishes the wave where it stopped, without running again the workers that had finished.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { runApproving, testNode, type TestNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';
import { managerScript, scenario, workerNameOf, workerRoute, type WorkerSpec } from '../helpers/worker-scripts.js';

const defer = deferAfterEach();

interface Listed {
  name: string;
  state: string;
  attempts: number;
}

async function workers(n: TestNode, session: string): Promise<Listed[]> {
  const r = await n.agency(['workers', session, '--json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).workers;
}

/** The pid of the claude process a worker runs in, from its command line (its prompt names it). */
function claudeOf(name: string): number | null {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(`You are worker "${name}"`) && cmd.includes('stream-json')) return Number(p);
    } catch {
      // gone
    }
  }
  return null;
}

/** How many times each worker's conversation was begun (its first request). */
function starts(n: TestNode): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of n.api.requests) {
    if (r.kind !== 'main' || r.turns !== 0) continue;
    const name = workerNameOf(JSON.stringify(r.body?.messages ?? '').replace(/\\"/g, '"'));
    if (name) out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

const six: WorkerSpec[] = Array.from({ length: 6 }, (_, i) => ({ id: `part-${i}`, prompt: `Read part ${i}.` }));

describe('supervision of workers', () => {
  it('a worker killed with kill -9 mid-wave is started again and finishes', { timeout: 300_000 }, async () => {
    const n = await testNode(scenario(managerScript({ workers: six }), workerRoute({}), { delayMs: 800 }), {
      env: { AGENCY_WORKER_LIMITS: 'haiku=2' },
    });
    defer(() => n.cleanup());
    const { session } = JSON.parse(
      (await n.agency(['run', 'read the parts', '--discipline', 'backend', '--json'])).stdout,
    );
    // killed once it is at work: its first request has reached the API
    let pid: number | null = null;
    await until(
      'worker part-0 at work',
      () => (starts(n).get('part-0') ?? 0) > 0 && (pid = claudeOf('part-0')) !== null,
      120_000,
    );
    process.kill(pid!, 'SIGKILL');
    await runApproving(n, session);
    const list = await workers(n, session);
    expect(list.every((w) => w.state === 'done')).toBe(true);
    expect(list.find((w) => w.name === 'part-0')!.attempts).toBe(2);
    expect(starts(n).get('part-0')).toBe(2);
  });

  it(
    'a node killed mid-wave comes back and finishes the wave, not running again what had finished',
    { timeout: 300_000 },
    async () => {
      const n = await testNode(scenario(managerScript({ workers: six }), workerRoute({}), { delayMs: 800 }), {
        env: { AGENCY_WORKER_LIMITS: 'haiku=2' },
      });
      defer(() => n.cleanup());
      const { session } = JSON.parse(
        (await n.agency(['run', 'read the parts', '--discipline', 'backend', '--json'])).stdout,
      );
      // some have finished and others still run or wait
      let before: Listed[] = [];
      await until(
        'a wave with workers done and workers running',
        async () => {
          before = await workers(n, session);
          return before.some((w) => w.state === 'done') && before.some((w) => w.state === 'running');
        },
        180_000,
      );
      const finished = before.filter((w) => w.state === 'done').map((w) => w.name);
      const pid = n.daemonPid()!;
      process.kill(pid, 'SIGKILL');
      // any command brings the node back
      const after = JSON.parse((await n.agency(['status', '--json'])).stdout);
      expect(after.nodes[0].info.pid).not.toBe(pid);
      // the next command starts the node again; it resumes the session and the wave
      await until(
        'every worker done after the restart',
        async () => (await workers(n, session)).every((w) => w.state === 'done'),
        240_000,
      );
      await runApproving(n, session);
      const s = starts(n);
      for (const name of finished) expect(s.get(name), name).toBe(1);
      expect([...s.keys()].sort()).toEqual(six.map((w) => w.id).sort());
    },
  );
});
