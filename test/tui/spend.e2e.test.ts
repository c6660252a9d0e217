/**
 * The real `agency tui` in tmux (160×48) against a local node whose real session (Claude Code against the
 * scripted API) has spent: the header shows the fleet's last hour and today as the node's ledger recorded them,
 * and the node view its chart of the last hours with the same figures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dollars } from '../../src/cockpit/format.js';
import { testNode, type TestNode } from '../helpers/node.js';
import { tmux as makeTmux, tuiScript as makeScript, until } from '../helpers/tmux.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('spend in agency tui', () => {
  it(
    "shows the node's recorded spend in the header and a chart of its hours in the node view",
    { timeout: 180_000 },
    async () => {
      const n: TestNode = await testNode({ steps: [{ text: 'ready for work' }, { text: 'still ready' }] });
      cleanups.push(() => n.cleanup());
      const run = await n.agency(['run', 'say you are ready', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout) as { session: string };
      expect((await n.agency(['wait', session, '--timeout', '60'])).code).toBe(0);
      // what the ledger holds, as agency cost tells it
      const cost = JSON.parse((await n.agency(['cost', '--by', 'node', '--since', 'today', '--json'])).stdout) as {
        total: { costUsd: number; turns: number };
      };
      expect(cost.total.turns).toBeGreaterThan(0);
      const today = `${dollars(cost.total.costUsd)} today`;

      const t = makeTmux('spend');
      cleanups.push(() => t.kill());
      t.start(makeScript(n.env, n.agencyHome, n.repo));
      await until("the header with today's spend", () => t.screen().split('\n')[0]!.includes(today), t);
      expect(t.screen().split('\n')[0]).toMatch(new RegExp(`\\$\\d+\\.\\d\\d/h · \\${today}`));

      t.keys('Enter');
      await until(
        'the node view with its chart',
        () => t.screen().includes('fleet › local') && / spend [▁▂▃▄▅▆▇█]{24} 24h/.test(t.screen()),
        t,
      );
      const line = t
        .screen()
        .split('\n')
        .find((l) => l.startsWith(' spend '))!;
      expect(line).toContain(today);
      // the session spent in the current hour: its bar, the last, is above the lowest
      expect(/ spend (\S+) /.exec(line)![1]!.at(-1)).not.toBe('▁');
    },
  );
});
