/**
 * Workers in the real `agency tui`, built, in a real terminal (tmux), against a private local node running
 * the real Claude Code CLI with a scripted API, at 80×24 and at 160×48: the tile, the node view's workers
 * list (w) and the session view's, within the window, and what the keys of the list say; and `agency
 * workers` on the same node. The node's dispatcher reports no workers yet, so what is shown here is the
 * real empty list; the list with workers in it is checked in test/tui/workers.test.tsx (and end to end,
 * with real workers, where the dispatcher is).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { testNode, type TestNode } from '../helpers/node.js';
import { tmux as makeTmux, tuiScript, until, type Tmux } from '../helpers/tmux.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The screen's lines, trailing blanks cut. */
const lines = (t: Tmux) =>
  t
    .screen()
    .split('\n')
    .map((l) => l.trimEnd());
/** The last line that is not blank: the footer's keys. */
const keysLine = (t: Tmux) =>
  lines(t)
    .filter((l) => l !== '')
    .at(-1) ?? '';
const row = (t: Tmux, text: string) => lines(t).find((l) => l.includes(text)) ?? '';

/** The frame within the window: the header still on its first line (nothing scrolled off), no line too wide, q in the footer. */
function within(t: Tmux, columns: number, rows: number): void {
  const ls = t.screen().replace(/\n$/, '').split('\n');
  expect(ls.length).toBeLessThanOrEqual(rows);
  expect(ls[0], ls[0]).toMatch(/total \$\d+\.\d\d|\$\d+\.\d\d today/);
  for (const l of ls) expect(Array.from(l.trimEnd()).length, l).toBeLessThanOrEqual(columns);
  expect(keysLine(t)).toMatch(/ q quit\b/);
}

describe('workers in agency tui', () => {
  it(
    'at 80×24 and 160×48: the tile, the workers list of the node and session views, and agency workers',
    { timeout: 240_000 },
    async () => {
      const n: TestNode = await testNode({ steps: [{ text: 'ready for work' }] });
      cleanups.push(() => n.cleanup());
      const run = await n.agency(['run', 'say you are ready', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout) as { session: string };
      expect((await n.agency(['wait', session, '--timeout', '60'])).code).toBe(0);

      // the command line: the session has no workers; a session that is not there is named
      const listed = await n.agency(['workers', session, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout)).toEqual({ schema: 1, session, node: 'local', workers: [] });
      const unknown = await n.agency(['workers', 's-0bad00']);
      expect([unknown.code, unknown.stdout, unknown.stderr]).toEqual([
        2,
        '',
        'agency: no session "s-0bad00" on any reachable node\n',
      ]);
      const status = JSON.parse((await n.agency(['status', '--json'])).stdout);
      expect(status.workers.states).toEqual({ queued: 0, running: 0, done: 0, failed: 0, stopped: 0 });
      expect(status.sessions[0].workers.tokens).toBe(0);

      const t = makeTmux('workers', { columns: 80, rows: 24 });
      cleanups.push(() => t.kill());
      t.start(tuiScript(n.env, n.agencyHome, n.repo));

      // the tile says its node has no workers
      await until('the tile of node local', () => /local\s+1 live/.test(t.screen()), t);
      // (the focused tile's border is ║)
      expect(lines(t).filter((l) => /^[│║] no decisions · 0 workers +[│║]$/.test(l))).toHaveLength(1);
      within(t, 80, 24);

      // the node view: w moves into the selected session's workers, which it has none of
      t.keys('Enter');
      await until('the node view', () => t.screen().includes('fleet › local') && t.screen().includes(session), t);
      expect(t.screen()).not.toContain(`workers of ${session}`);
      t.keys('w');
      await until('the workers list', () => t.screen().includes(`workers of ${session}`), t);
      expect(row(t, 'WORKER')).toMatch(/^ {2}WORKER +STATE +MODEL +AGE +COST +TASK — DOING NOW/);
      expect(t.screen()).toContain('no workers: a session starts them with its agency tools (spawn_workers)');
      expect(keysLine(t)).toMatch(/Esc back .*Enter output .*s stop .*S stop run/);
      within(t, 80, 24);
      t.keys('s');
      await until('why s does nothing', () => t.screen().includes(`session ${session} has no workers`), t);

      // wider: the token column comes, and everything still fits
      t.resize(160, 48);
      await until('the list at 160 columns', () => /WORKER +STATE +MODEL +AGE +TOKENS +COST/.test(t.screen()), t);
      within(t, 160, 48);

      // the session view: the list above its screen
      t.keys('Escape');
      await until('the node view again', () => !keysLine(t).includes('S stop run'), t);
      expect(keysLine(t)).toMatch(/ w workers\b/);
      t.keys('Enter');
      await until('the session view', () => t.screen().includes(`fleet › local › ${session}`), t);
      await until('its screen', () => t.screen().includes('ready for work'), t);
      t.keys('w');
      await until('its workers list', () => t.screen().includes(`workers of ${session}`), t);
      const table = lines(t).findIndex((l) => l.includes(`workers of ${session}`));
      const pane = lines(t).findIndex((l) => l.startsWith('┌'));
      expect(pane).toBeGreaterThan(table);
      within(t, 160, 48);
      t.resize(80, 24);
      await until('the session view at 80 columns', () => /WORKER +STATE +MODEL +AGE +COST/.test(t.screen()), t);
      within(t, 80, 24);
      t.keys('Escape');
      await until('out of the list', () => !keysLine(t).includes('S stop run'), t);

      t.keys('q');
      await until('the tui ended', () => t.screen().includes('tui exited 0'), t);
    },
  );
});
