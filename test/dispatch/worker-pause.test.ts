/**
 * A worker paused by its session's budget: its process group stops where it is (no output, no CPU), its silence is
 * not held against it while paused, it goes on when let go, and a paused worker can still be stopped.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerProcess, type WorkerLaunch } from '../../src/dispatch/worker-process.js';
import { processTree } from '../../src/session/process-tree.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()!.remove();
});

const procState = (pid: number): string => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
  } catch {
    return 'gone';
  }
};
const size = (p: string) => {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
};

const linux = process.platform === 'linux';

describe('a paused worker', () => {
  it('stops where it is past its silence limit, goes on when resumed, and stops when told while paused', async () => {
    const d = tempDir('agency-worker-pause-');
    dirs.push(d);
    const bin = join(d.path, 'claude');
    // prints nothing on stdout (so its silence counts), ticks into a file through a child shell
    writeFileSync(bin, '#!/bin/sh\nsh -c \'while :; do echo tick >> "$LOG"; sleep 0.02; done\'\n');
    chmodSync(bin, 0o755);
    const log = join(d.path, 'log');
    const o: WorkerLaunch = {
      id: 'w-pause',
      cwd: d.path,
      claudeBin: bin,
      model: 'haiku',
      prompt: 'the task',
      env: { PATH: process.env.PATH, LOG: log },
      claudeSession: '00000000-0000-4000-8000-000000000002',
      silenceMs: 400,
      graceMs: 200,
    };
    const w = WorkerProcess.start(o);
    await until('it to tick', () => size(log) > 50);
    w.pause();
    const tree = processTree(w.pid!);
    expect(tree.length).toBeGreaterThan(1);
    if (linux)
      await until('its whole tree to be stopped', () => tree.every((p) => ['T', 'gone'].includes(procState(p))));
    const at = size(log);
    // twice its silence limit passes while paused: it is neither interrupted nor ticking
    await new Promise((r) => setTimeout(r, 800));
    expect(size(log)).toBe(at);
    if (linux) expect(tree.every((p) => procState(p) === 'T')).toBe(true);
    w.resume();
    await until('it to tick again', () => size(log) > at + 50);
    w.pause();
    const exit = await w.stop('stopped by the operator');
    expect(exit.reason).toMatch(/stopped by the operator/);
    if (linux) for (const p of tree) expect(['gone', 'Z']).toContain(procState(p));
  });
});
