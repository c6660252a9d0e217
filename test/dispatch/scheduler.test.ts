/** Waves: which queued workers start, against the node's per-model limits and its memory ceiling. */
import { describe, expect, it } from 'vitest';
import { WORKER_MODELS, type WorkerModel } from '../../src/protocol/messages.js';
import { workerLimits } from '../../src/dispatch/limits.js';
import { pickStarts, SYSTEM_RESERVE_BYTES, zeroByModel, type Waiting } from '../../src/dispatch/scheduler.js';

const MB = 1024 * 1024;
const GB = 1024 * MB;
const limits = { models: { haiku: 12, sonnet: 8, opus: 4 }, memoryBytes: 64 * GB };

/** 30 workers across the three models, interleaved as a session might ask for them */
function thirty(): Waiting[] {
  const models: WorkerModel[] = ['haiku', 'sonnet', 'opus'];
  return Array.from({ length: 30 }, (_, i) => ({ id: `w-${i}`, model: models[i % 3]!, order: i }));
}

/** Runs the queue to the end as waves: each wave starts what fits, then all of it ends. Returns the waves. */
function waves(queue: Waiting[], perWorker = 100 * MB, l = limits): Waiting[][] {
  const left = [...queue];
  const out: Waiting[][] = [];
  while (left.length) {
    const ids = pickStarts(left, { running: zeroByModel(), usedBytes: 0, perWorkerBytes: perWorker }, l);
    if (ids.length === 0) throw new Error('nothing fits');
    out.push(ids.map((id) => left.find((w) => w.id === id)!));
    for (const id of ids)
      left.splice(
        left.findIndex((w) => w.id === id),
        1,
      );
  }
  return out;
}

describe('waves per model', () => {
  it('never runs more of a model at once than its limit, node-wide, and starts the oldest first', () => {
    const all = waves(thirty());
    for (const wave of all)
      for (const m of WORKER_MODELS)
        expect(wave.filter((w) => w.model === m).length).toBeLessThanOrEqual(limits.models[m]);
    // 10 of each model: haiku fits in one wave (10), sonnet in two (8 + 2), opus in three (4 + 4 + 2)
    expect(all.map((w) => w.length)).toEqual([22, 6, 2]);
    expect(all[0]!.filter((w) => w.model === 'opus').map((w) => w.order)).toEqual([2, 5, 8, 11]);
  });

  it('counts what already runs, from any session, against the limit', () => {
    const running = { ...zeroByModel(), opus: 3 };
    const ids = pickStarts(thirty(), { running, usedBytes: 0, perWorkerBytes: 100 * MB }, limits);
    expect(ids.filter((id) => Number(id.slice(2)) % 3 === 2)).toEqual(['w-2']);
  });

  it('starts no more than the memory ceiling holds, and keeps a reserve of what the system has free', () => {
    const tight = { ...limits, memoryBytes: 1 * GB };
    expect(
      pickStarts(thirty(), { running: zeroByModel(), usedBytes: 300 * MB, perWorkerBytes: 200 * MB }, tight),
    ).toHaveLength(3);
    const free = SYSTEM_RESERVE_BYTES + 450 * MB;
    expect(
      pickStarts(thirty(), { running: zeroByModel(), usedBytes: 0, perWorkerBytes: 200 * MB, freeBytes: free }, limits),
    ).toHaveLength(2);
    expect(
      pickStarts(thirty(), { running: zeroByModel(), usedBytes: 2 * GB, perWorkerBytes: 100 * MB }, tight),
    ).toEqual([]);
  });

  it('a model with limit 0 never starts; others go on', () => {
    const ids = pickStarts(
      thirty(),
      { running: zeroByModel(), usedBytes: 0, perWorkerBytes: MB },
      { ...limits, models: { haiku: 12, sonnet: 8, opus: 0 } },
    );
    expect(ids).toHaveLength(18);
  });
});

describe("a node's worker limits", () => {
  it('are haiku 12, sonnet 8, opus 4 and three quarters of memory by default', () => {
    const l = workerLimits({}, 16 * GB);
    expect(l.models).toEqual({ haiku: 12, sonnet: 8, opus: 4 });
    expect(l.memoryBytes).toBe(12 * GB);
    expect(l.silenceMs).toBe(300_000);
  });

  it('come from node.env', () => {
    const l = workerLimits({
      AGENCY_WORKER_LIMITS: 'haiku=20, opus:1',
      AGENCY_WORKER_MEMORY_MB: '4096',
      AGENCY_WORKER_SILENCE_S: '30',
    });
    expect(l.models).toEqual({ haiku: 20, sonnet: 8, opus: 1 });
    expect(l.memoryBytes).toBe(4 * GB);
    expect(l.silenceMs).toBe(30_000);
  });

  it.each([
    ['AGENCY_WORKER_LIMITS', 'gpt=3', /AGENCY_WORKER_LIMITS: "gpt=3" is not model=count/],
    ['AGENCY_WORKER_LIMITS', 'haiku=lots', /"haiku=lots"/],
    ['AGENCY_WORKER_MEMORY_MB', '-5', /AGENCY_WORKER_MEMORY_MB: "-5" is not a whole number above 0/],
    ['AGENCY_WORKER_SILENCE_S', '0', /AGENCY_WORKER_SILENCE_S/],
  ])('refuse %s=%s, naming it', (name, value, message) => {
    expect(() => workerLimits({ [name]: value })).toThrow(message);
  });
});
