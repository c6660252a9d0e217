/**
 * `agency cost` against a real node: a session of the real Claude Code CLI against the scripted Messages API
 * (which reports known usage per call) fans out to a worker; every response of the session's and of its worker's
 * is a recorded turn with the usage the API reported, the worker's under its session, and the node's ledger
 * gives them back after the node restarts, not counted twice.
 */
import { describe, expect, it } from 'vitest';
import type { CostRow } from '../../src/protocol/economics.js';
import type { RecordedRequest } from '../fixtures/messages-api.js';
import { deferAfterEach } from '../helpers/defer.js';
import { runApproving, testNode, type TestNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';
import { managerScript, scenario, workerRoute } from '../helpers/worker-scripts.js';

const defer = deferAfterEach();

/** What the API reported, per model: the calls of conversations (the session's, its subagents', its workers'). */
function reported(requests: RecordedRequest[]): Map<string, { turns: number; input: number; output: number }> {
  const out = new Map<string, { turns: number; input: number; output: number }>();
  for (const r of requests) {
    if (!r.answered || r.kind === 'aux') continue;
    const m = out.get(r.answered.model) ?? { turns: 0, input: 0, output: 0 };
    m.turns += 1;
    m.input += r.answered.usage.input_tokens;
    m.output += r.answered.usage.output_tokens;
    out.set(r.answered.model, m);
  }
  return out;
}

async function cost(n: TestNode, ...args: string[]): Promise<{ rows: CostRow[]; total: CostRow }> {
  const r = await n.agency(['cost', ...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('agency cost', () => {
  it(
    "shows a real session's turns and its worker's with the usage the API reported",
    { timeout: 300_000 },
    async () => {
      const workers = [{ id: 'look', prompt: 'Look at the README and report what it says.', model: 'haiku' as const }];
      const n = await testNode(scenario(managerScript({ workers }), workerRoute({})));
      defer(() => n.cleanup());
      const run = await n.agency(['run', 'survey the repository with a worker', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout) as { session: string };
      await runApproving(n, session);

      const api = reported(n.api.requests);
      const models = [...api.keys()].sort();
      // the session's model and the worker's: both are there
      expect(models.length).toBeGreaterThanOrEqual(2);
      expect(models.some((m) => m.includes('haiku'))).toBe(true);
      const turns = [...api.values()].reduce((a, m) => a + m.turns, 0);

      // every response is a turn, with the tokens the API reported (the transcript's last line is read at once)
      let byModel = await cost(n, '--by', 'model');
      await until(
        'every response recorded',
        async () => (byModel = await cost(n, '--by', 'model')).total.turns >= turns,
        20_000,
        () => JSON.stringify({ byModel, api: [...api] }),
      );
      expect(byModel.rows.map((r) => r.key).sort()).toEqual(models);
      for (const r of byModel.rows) {
        const want = api.get(r.key)!;
        expect([r.key, r.inputTokens, r.outputTokens], JSON.stringify(byModel)).toEqual([
          r.key,
          want.input,
          want.output,
        ]);
        expect(r.turns).toBeGreaterThanOrEqual(want.turns);
      }
      expect(byModel.total.costUsd).toBeGreaterThan(0);

      // the worker's turns count under its session: one row, everything in it
      const bySession = await cost(n, '--by', 'session');
      expect(bySession.rows.map((r) => r.key)).toEqual([session]);
      expect(bySession.rows[0]!.inputTokens).toBe(byModel.total.inputTokens);
      expect((await cost(n, '--by', 'discipline')).rows.map((r) => r.key)).toEqual(['backend']);
      expect((await cost(n, '--by', 'node', '--since', 'today')).rows.map((r) => [r.key, r.inputTokens])).toEqual([
        ['local', byModel.total.inputTokens],
      ]);

      // the node restarts: its ledger is read back, and the session's transcript read again is not counted twice
      const stopped = await n.agency(['node', 'stop']);
      expect(stopped.code, stopped.stderr).toBe(0);
      const again = await cost(n, '--by', 'model');
      expect(again.total).toEqual(byModel.total);
      const status = await n.agency(['status', '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect((await cost(n, '--by', 'model')).total).toEqual(byModel.total);
    },
  );
});
