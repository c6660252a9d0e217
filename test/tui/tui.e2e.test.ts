/**
 * The real `agency tui`, built, in a real terminal (tmux, 160×48), against a private local node running the
 * real Claude Code CLI with a scripted API: the tile, drilling in, the session's screen, pause and resume,
 * a line sent, the decision it leads to in the header, approved with `a`; and the terminal given back on q.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testNode, type TestNode } from '../helpers/node.js';
import { tmux as makeTmux, tuiScript as makeScript, until } from '../helpers/tmux.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function tmux(name: string) {
  const t = makeTmux(name);
  cleanups.push(() => t.kill());
  return t;
}
const tuiScript = (n: TestNode) => makeScript(n.env, n.agencyHome, n.repo);

describe('agency tui in tmux', () => {
  it(
    'shows the local node, drills into a session, pauses, resumes, sends a line and approves the decision it raises',
    { timeout: 240_000 },
    async () => {
      const n: TestNode = await testNode({
        steps: [
          { text: 'ready for work' },
          { tool: 'Bash', input: { command: 'cp README.md copy.md', description: 'copy' } },
          { text: 'copied it' },
        ],
      });
      cleanups.push(() => n.cleanup());
      const run = await n.agency(['run', 'say you are ready', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session, worktree } = JSON.parse(run.stdout) as { session: string; worktree: string };
      expect((await n.agency(['wait', session, '--timeout', '60'])).code).toBe(0);
      const status = async () =>
        JSON.parse((await n.agency(['status', '--json'])).stdout) as {
          sessions: { id: string; state: string }[];
          decisions: { state: string }[];
        };

      const t = tmux('main');
      t.start(tuiScript(n));

      // the fleet view: the local node's tile with its session
      await until('the tile of node local with 1 live session', () => /local\s+1 live/.test(t.screen()), t);
      expect(t.screen()).toMatch(/nodes 1\/1 up/);
      expect(t.screen()).toMatch(/0 working · 0 input · 1 idle/);

      // Enter: the node's sessions; Enter: the session's screen, drawn from its headless screen
      t.keys('Enter');
      await until('the node view', () => t.screen().includes('fleet › local') && t.screen().includes(session), t);
      t.keys('Enter');
      await until(
        'the session pane showing its screen',
        () => t.screen().includes(`fleet › local › ${session}`) && t.screen().includes('ready for work'),
        t,
      );

      // p pauses it, r resumes it: as agency status tells
      t.keys('p');
      await until('the session paused', async () => (await status()).sessions[0]?.state === 'paused', t);
      await until(
        'the pause shown',
        () => t.screen().includes(`${session} paused`) && t.screen().includes('1 paused'),
        t,
      );
      t.keys('r');
      await until('the session resumed', async () => (await status()).sessions[0]?.state !== 'paused', t);

      // m: a line to the session; the copy it asks for is escalated to the operator
      t.keys('m');
      await until('the input line', () => t.screen().includes(`send to ${session}:`), t);
      t.literal('now copy the readme');
      // a key sent in the same read as typed text would be taken as text: wait until the text shows
      await until('the line typed', () => t.screen().includes('now copy the readme'), t);
      t.keys('Enter');
      await until('the decision in the header', () => t.screen().includes('⚑ 1 decision waiting'), t, 60_000);
      expect(t.screen()).toContain('waiting for you: Bash cp README.md copy.md');

      // a approves it; the session goes on and the copy is made
      t.keys('a');
      await until('the decision answered', async () => (await status()).decisions.every((d) => d.state !== 'open'), t);
      await until('the header clear again', () => t.screen().includes('no decisions waiting'), t);
      await until('the copy made', () => existsSync(join(worktree, 'copy.md')), t, 60_000);
      await until('the session saying it copied', () => t.screen().includes('copied it'), t, 60_000);

      // the pane shows what the node's own screen shows (an independent emulator fed by the PTY itself), cut
      // to the pane: 160 columns, less the one the frame leaves free and the pane's two borders
      const paneRows = () =>
        t
          .screen()
          .split('\n')
          .filter((l) => l.startsWith('│'))
          .map((l) => l.slice(1, l.lastIndexOf('│')).trimEnd());
      const nodeRows = async () =>
        (JSON.parse((await n.agency(['screen', session, '--json'])).stdout) as { lines: string[] }).lines.map((l) =>
          Array.from(l).slice(0, 157).join('').trimEnd(),
        );
      await until(
        'the pane to match the node screen',
        async () => {
          const mine = paneRows();
          const theirs = await nodeRows();
          const at = theirs.indexOf(mine.find((l) => l !== '') ?? '');
          const from = at - mine.findIndex((l) => l !== '');
          return mine.length > 10 && at >= 0 && mine.every((l, i) => l === (theirs[from + i] ?? ''));
        },
        t,
      );

      // q: back to the fleet's terminal as it was; the session goes on
      t.keys('Escape');
      await until('the node view again', () => t.screen().split('\n')[1]?.trim() === 'fleet › local', t);
      t.keys('q');
      await until('the tui ended', () => t.screen().includes('tui exited 0'), t);
      expect(t.screen()).not.toContain('agency │ nodes');
      expect(t.modes()).toBe('0 1'); // the alternate screen left, the cursor shown
      expect((await status()).sessions[0]?.state).toBe('idle');
    },
  );

  it('SIGTERM gives the terminal back: the alternate screen left, the cursor shown', { timeout: 120_000 }, async () => {
    const n: TestNode = await testNode({ steps: [{ text: 'ok' }] });
    cleanups.push(() => n.cleanup());
    await n.agency(['node', 'start']);
    const t = tmux('term');
    t.start(tuiScript(n));
    await until('the fleet view', () => /local\s+0 live/.test(t.screen()), t);
    expect(t.modes()).toBe('1 0'); // on the alternate screen, the cursor hidden
    process.kill(t.pid(), 'SIGTERM');
    await until('the tui ended', () => t.screen().includes('tui exited'), t);
    expect(t.screen()).toContain('tui exited 143'); // it exited, saying why; the signal did not kill it
    expect(t.screen()).not.toContain('Terminated');
    expect(t.screen()).not.toContain('agency │ nodes');
    expect(t.modes()).toBe('0 1');
  });
});
