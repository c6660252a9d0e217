/** What the node's economics decide for workers: each spawned worker's model, and whether any may start now. */
import { describe, expect, it } from 'vitest';
import { workerModel } from '../../src/budget/model-routing.js';
import { modelOf, routeWorkers, startsHeld } from '../../src/dispatch/node-rules.js';
import type { WorkerRecord } from '../../src/dispatch/worker-table.js';
import { loadRegistry } from '../../src/registry/index.js';
import { MIN_REGISTRY } from '../helpers/node.js';

const registry = loadRegistry(MIN_REGISTRY);
const specs = [
  { id: 'a', prompt: 'p' },
  { id: 'b', prompt: 'p', model: 'opus' as const },
];

describe('routeWorkers', () => {
  it('with no routing: the spawn’s model, or haiku', () => {
    expect(routeWorkers({}, specs, 'backend', registry)).toEqual([
      { tier: 'haiku', model: 'haiku' },
      { tier: 'opus', model: 'opus' },
    ]);
  });

  it('with the node’s routing: its overrides under the spawn’s own model, a full id kept for claude', () => {
    const host = {
      workerModel: (o: Parameters<typeof workerModel>[0]) =>
        workerModel({ ...o, models: { worker: 'claude-sonnet-4-5-20250929' } }),
    };
    const routes = routeWorkers(host, specs, 'backend', registry);
    expect(routes).toEqual([
      { tier: 'sonnet', model: 'claude-sonnet-4-5-20250929' },
      { tier: 'opus', model: 'opus' },
    ]);
    expect(routes.map(modelOf)).toEqual([
      { model: 'sonnet', modelId: 'claude-sonnet-4-5-20250929' },
      { model: 'opus', modelId: null },
    ]);
    expect(() => modelOf({ problem: 'no tier' })).toThrow('no tier');
  });
});

describe('startsHeld', () => {
  const queued = () =>
    [
      { id: 'w-1', activity: 'queued' },
      { id: 'w-2', activity: 'queued' },
    ] as WorkerRecord[];

  it('nothing holds the node: the wave goes on, nothing is changed', () => {
    const patched: string[] = [];
    expect(startsHeld({}, queued(), (w) => patched.push(w.id))).toBe(false);
    expect(startsHeld({ startsHeld: () => null }, queued(), (w) => patched.push(w.id))).toBe(false);
    expect(patched).toEqual([]);
  });

  it('the node holds every start: each queued worker says why, once', () => {
    const ws = queued();
    const patched: [string, unknown][] = [];
    const update = (w: WorkerRecord, p: Partial<WorkerRecord>) => {
      Object.assign(w, p);
      patched.push([w.id, p.activity]);
    };
    const why = 'waiting: the API rate-limited node studio-01 (429) until 12:00:20 UTC; it starts in ~20 s';
    expect(startsHeld({ startsHeld: () => why }, ws, update)).toBe(true);
    expect(startsHeld({ startsHeld: () => why }, ws, update)).toBe(true);
    expect(patched).toEqual([
      ['w-1', why],
      ['w-2', why],
    ]);
  });
});
