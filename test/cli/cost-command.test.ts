/** `agency cost`: its arguments, the fleet's rows merged per key, and a node that cannot be reached. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costTable, parseBy, parseSince } from '../../src/cli/cost-command.js';
import { mergeCost } from '../../src/cockpit/cost.js';
import type { CostRow, Turn } from '../../src/protocol/economics.js';
import { agency } from '../helpers/agency.js';
import { offlineNode } from '../helpers/node-server.js';
import { agencyAsync, closedPort, operatorEnv, sshKey } from '../helpers/operator.js';
import { tempDir } from '../helpers/tmp.js';

const NOW = new Date('2030-05-02T14:30:00.000Z');

describe('agency cost arguments', () => {
  it('reads --since as today, a span back from now, or an ISO date or time', () => {
    expect(parseSince(undefined, NOW)).toBeNull();
    expect(parseSince('today', NOW)!.toISOString()).toBe('2030-05-02T00:00:00.000Z');
    expect(parseSince('2h', NOW)!.toISOString()).toBe('2030-05-02T12:30:00.000Z');
    expect(parseSince('30m', NOW)!.toISOString()).toBe('2030-05-02T14:00:00.000Z');
    expect(parseSince('3d', NOW)!.toISOString()).toBe('2030-04-29T14:30:00.000Z');
    expect(parseSince('1w', NOW)!.toISOString()).toBe('2030-04-25T14:30:00.000Z');
    expect(parseSince('2030-05-01', NOW)!.toISOString()).toBe('2030-05-01T00:00:00.000Z');
    expect(parseSince('2030-05-01T08:15', NOW)!.toISOString()).toBe('2030-05-01T08:15:00.000Z');
    expect(parseSince('2030-05-01T08:15:00+02:00', NOW)!.toISOString()).toBe('2030-05-01T06:15:00.000Z');
  });

  it('refuses what it does not read, saying what it takes (exit 2)', () => {
    for (const bad of ['yesterday', '0h', '2h ago', '2030-13-45', '2030-05-01T25:00', '-2h', ''])
      expect(() => parseSince(bad, NOW), bad).toThrow(/--since .*: .*give today, a span like 2h or 3d/);
    expect(() => parseBy('colour')).toThrow('--by "colour": group by one of session, vp, node, discipline, model');
    expect(parseBy(undefined)).toBe('session');
  });

  it('the command line says so in one line, before reaching any node', () => {
    const dir = tempDir('ag-cost-args-');
    try {
      const env = operatorEnv(dir.path);
      for (const [args, what] of [
        [['cost', '--by', 'colour'], '--by "colour"'],
        [['cost', '--since', 'soon'], '--since "soon"'],
      ] as const) {
        const r = agency([...args], { env });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(what);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stdout).toBe('');
      }
    } finally {
      dir.remove();
    }
  });
});

const row = (key: string, usd: number, input: number): CostRow => ({
  key,
  turns: 1,
  inputTokens: input,
  outputTokens: 2,
  cacheCreationTokens: 3,
  cacheReadTokens: 4,
  costUsd: usd,
});

describe('the fleet cost', () => {
  it("merges the nodes' rows per key, and names a node's row as the config names the node", () => {
    const parts = [
      { node: 'a', rows: [row('sonnet', 1, 10), row('haiku', 0.5, 5)] },
      { node: 'b', rows: [row('haiku', 2, 7)] },
    ];
    const byModel = mergeCost('model', null, parts);
    expect(byModel.rows.map((r) => [r.key, r.costUsd, r.inputTokens, r.turns])).toEqual([
      ['haiku', 2.5, 12, 2],
      ['sonnet', 1, 10, 1],
    ]);
    expect(byModel.total).toMatchObject({ key: 'total', costUsd: 3.5, inputTokens: 22, turns: 3, cacheReadTokens: 12 });
    const byNode = mergeCost('node', null, [
      { node: 'a', rows: [row('whatever-a-calls-itself', 1, 1)] },
      { node: 'b', rows: [row('a', 2, 2)] },
    ]);
    expect(byNode.rows.map((r) => [r.key, r.costUsd])).toEqual([
      ['b', 2],
      ['a', 1],
    ]);
  });

  it('prints figures right-aligned under their headings, a key as plain text whatever it holds', () => {
    const lines = costTable('model', [row('claude-\u001b[31mred', 12.5, 1500)], row('total', 12.5, 1500));
    expect(lines[0]).toMatch(/^model\s+turns\s+input\s+output\s+cache write\s+cache read\s+cost$/);
    expect(lines[1]).not.toContain('\u001b');
    expect(lines[2]).toMatch(/^total\s+1\s+1\.5k\s+2\s+3\s+4\s+\$12\.50$/);
    // every line ends where the heading's last column ends
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});

describe('agency cost across the fleet', () => {
  const node = offlineNode('ag-cost-');
  const home = tempDir('ag-cost-op-');
  beforeAll(() => node.listen());
  afterAll(async () => {
    await node.close();
    home.remove();
  });

  const turn = (session: string, vp: string | null, model: string, usd: number, at = new Date()): Turn => ({
    at: at.toISOString(),
    session,
    worker: null,
    vp,
    discipline: 'backend',
    model,
    spend: { inputTokens: 100, outputTokens: 10, cacheCreationTokens: 0, cacheReadTokens: 1000, costUsd: usd },
  });

  it("reads the node's recorded turns, grouped; a node that cannot be reached is named and the rest still count", async () => {
    const ledger = node.economics.ledger;
    ledger.record(turn('s-aaa111', 'vp-eng', 'claude-sonnet-4-5', 0.5, new Date(Date.now() - 5 * 86_400_000)));
    ledger.record(turn('s-aaa111', 'vp-eng', 'claude-sonnet-4-5', 0.25));
    ledger.record(turn('s-bbb222', null, 'claude-haiku-4-5', 0.125));
    const env = operatorEnv(join(home.path, 'op'), { AGENCY_HOME: node.dir.path });
    const a = (...args: string[]) => agencyAsync(args, env);

    const all = await a('cost', '--by', 'vp', '--json');
    expect(all.code, all.stderr).toBe(0);
    const doc = JSON.parse(all.stdout);
    expect(Object.keys(doc)[0]).toBe('schema');
    expect(doc).toMatchObject({ schema: 1, by: 'vp', since: null, nodes: ['local'], unreachable: [] });
    expect(doc.rows.map((r: CostRow) => [r.key, r.costUsd, r.turns])).toEqual([
      ['vp-eng', 0.75, 2],
      ['(none)', 0.125, 1],
    ]);
    expect(doc.total).toMatchObject({ costUsd: 0.875, turns: 3, inputTokens: 300, cacheReadTokens: 3000 });

    const recent = await a('cost', '--by', 'model', '--since', '2d');
    expect(recent.code, recent.stderr).toBe(0);
    const lines = recent.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^since \d{4}-/);
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['claude-sonnet-4-5', 'claude-haiku-4-5', 'total']);
    expect(lines.at(-1)).toMatch(/\$0\.38$/);

    const key = sshKey(join(home.path, 'id_test'));
    const port = String(await closedPort());
    expect((await a('nodes', 'add', 'box1', '--host', '127.0.0.1', '--port', port, '--identity', key)).code).toBe(0);
    const partial = await a('cost', '--by', 'node', '--json');
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/agency cost: node box1 is not counted: /);
    const p = JSON.parse(partial.stdout);
    expect(p.rows.map((r: CostRow) => [r.key, r.costUsd])).toEqual([['local', 0.875]]);
    expect(p.unreachable).toEqual([{ node: 'box1', reason: expect.any(String) as unknown }]);
  });
});
