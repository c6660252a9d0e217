/** What wait_workers answers a session: counts, and a summary per group or a sentence per worker, within a budget. */
import { describe, expect, it } from 'vitest';
import { SUMMARY_BUDGET_CHARS, waitResult } from '../../src/dispatch/views.js';
import { noUsage } from '../../src/protocol/messages.js';
import type { RunRecord, WorkerRecord } from '../../src/dispatch/worker-table.js';

const now = '2026-01-01T00:00:00.000Z';
function w(i: number, f: Partial<WorkerRecord>): WorkerRecord {
  return {
    id: `w-${i}`,
    name: `t-${i}`,
    session: 's-1',
    run: 'r-1',
    group: 'g',
    role: 'worker',
    model: 'haiku',
    write: false,
    discipline: 'backend',
    state: 'done',
    task: '',
    activity: '',
    attempts: 1,
    sentence: `sentence ${i}.`,
    reason: null,
    branch: null,
    worktree: null,
    createdAt: now,
    startedAt: now,
    endedAt: now,
    updatedAt: now,
    usage: noUsage(),
    prompt: '',
    paths: null,
    order: i,
    claudeSession: '',
    pid: null,
    cwd: null,
    resolves: null,
    ...f,
  };
}
const run = (groups: string[], coordinate: boolean): RunRecord => ({
  id: 'r-1',
  session: 's-1',
  coordinate,
  createdAt: now,
  groups,
  merged: [],
  sentBack: [],
  decisions: [],
});

describe('the answer to wait_workers', () => {
  it('gives one sentence per ended worker, names the failed with their reason, and counts what is pending', () => {
    const r = waitResult(run(['g'], false), [
      w(1, {}),
      w(2, { state: 'failed', sentence: null, reason: 'it ended without the DONE line' }),
      w(3, { state: 'running', sentence: null }),
    ]);
    expect(r).toEqual({
      run: 'r-1',
      done: 1,
      failed: 1,
      pending: 1,
      summaries: [
        { group: 'g', text: 't-1: sentence 1.' },
        { group: 'g', text: 't-2 failed: it ended without the DONE line' },
      ],
    });
  });

  it("gives a coordinated group its coordinator's summary instead of its workers' sentences", () => {
    const r = waitResult(run(['g'], true), [w(1, {}), w(2, {}), w(9, { role: 'coordinator', sentence: 'both fine.' })]);
    expect(r.summaries).toEqual([{ group: 'g', text: 'both fine.' }]);
    expect(r.done).toBe(2);
  });

  it('keeps many groups’ summaries together within the budget, whatever the coordinators wrote', () => {
    const groups = Array.from({ length: 10 }, (_, i) => `g${i}`);
    const long = Array.from({ length: 300 }, () => 'wordy').join(' ');
    const ws = groups.flatMap((g, i) => [
      w(i, { group: g }),
      w(100 + i, { group: g, role: 'coordinator', sentence: long }),
    ]);
    const r = waitResult(run(groups, true), ws);
    expect(r.summaries).toHaveLength(10);
    const total = r.summaries.reduce((n, s) => n + s.text.length, 0);
    expect(total).toBeLessThanOrEqual(SUMMARY_BUDGET_CHARS);
    expect(r.summaries.every((s) => s.text.endsWith('…'))).toBe(true);
  });
});
