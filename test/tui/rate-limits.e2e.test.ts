/**
 * The real `agency tui`, built, in tmux, against a private local node running the real Claude Code CLI with a
 * scripted API: a VP's bucket of one start a minute and two tasks, so one session waits queued; the tile
 * counts it and names the sessions' model, and the node view lists it queued with why, and each session's
 * model, at 80×24 and at 160×48.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../src/protocol/connection.js';
import type { NodeSettings } from '../../src/protocol/messages.js';
import { testNode, type TestNode } from '../helpers/node.js';
import { tmux as makeTmux, tuiScript, until } from '../helpers/tmux.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * The operator's config gives the node these settings (as `agency` sends them when a node's differ), and they
 * are sent at once: every later agency command finds the node's settings the config's and leaves them.
 */
async function configure(n: TestNode, conn: Connection, settings: NodeSettings): Promise<void> {
  const dir = join(n.env.HOME!, '.config', 'agency');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(settings)}\n`);
  await conn.request('settings-apply', settings);
}

describe('agency tui: rate limits and models', () => {
  it(
    'a queued session and the sessions’ model on the tile and in the node view, at 80×24 and at 160×48',
    { timeout: 180_000 },
    async () => {
      const n = await testNode({ steps: [{ text: 'done' }] });
      cleanups.push(() => n.cleanup());
      expect((await n.agency(['node', 'start'])).code).toBe(0);
      const socket = connect(join(n.agencyHome, 'run', 'node.sock'));
      cleanups.push(() => socket.destroy());
      const conn = new Connection(socket, { role: 'cockpit', agent: 'test' });
      await conn.ready;
      await configure(n, conn, {
        rates: { vps: { research: { startsPerMinute: 1 } } },
        models: { session: 'claude-sonnet-4-5' },
      });
      const runs = [];
      for (const task of ['first task', 'second task'])
        runs.push(await conn.request('run', { task, repo: n.repo, discipline: 'backend', vp: 'research' }));
      const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
      expect([first.state, second.state, second.model]).toEqual(['starting', 'queued', 'claude-sonnet-4-5']);

      const t = makeTmux('rates', { columns: 80, rows: 24 });
      cleanups.push(() => t.kill());
      t.start(tuiScript(n.env, n.agencyHome, n.repo));
      await until('the tile counts the queued session', () => /· 1 queued/.test(t.screen()), t);
      expect(t.screen()).toMatch(/sonnet-4-5 2/);
      for (const l of t.screen().split('\n')) expect(Array.from(l.trimEnd()).length).toBeLessThanOrEqual(80);

      t.keys('Enter');
      const row = (id: string) =>
        t
          .screen()
          .split('\n')
          .find((l) => l.includes(` ${id} `)) ?? '';
      await until(
        'the node view lists the queued session',
        () => /queued\s+.*backend\s+sonnet/.test(row(second.id)),
        t,
      );
      expect(t.screen()).toContain('MODEL');
      expect(row(first.id)).toMatch(/backend\s+sonnet/);

      t.resize(160, 48);
      await until(
        'the queued session says why it waits',
        () => row(second.id).includes("second task — queued: VP research's starts (1/min)"),
        t,
      );
      expect(row(second.id)).toMatch(/queued\s+.*backend\s+sonnet-4-5 /);
      t.keys('q');
    },
  );
});
