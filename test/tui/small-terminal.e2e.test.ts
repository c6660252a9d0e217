/**
 * The real `agency tui`, built, in an 80×24 tmux window, against a private local node running the real
 * Claude Code CLI with a scripted API: the empty fleet says how to start; `n` opens the new-task form with
 * the repository, discipline and node it will use; a discipline chosen there reaches the node; the decision
 * the task raises and the cost stay in the header and `q` in the footer, at 80×24 and after the window grows
 * to 160×48.
 */
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
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
/** The screen as one line of text: what wraps across lines reads as it was written. */
const said = (t: Tmux) => lines(t).join(' ').replace(/\s+/g, ' ');
/** The last line that is not blank: the footer's keys. */
const keysLine = (t: Tmux) =>
  lines(t)
    .filter((l) => l !== '')
    .at(-1) ?? '';
const field = (t: Tmux, label: string) => lines(t).find((l) => new RegExp(`^│ [› ] ${label}\\s`).test(l)) ?? '';

/** The header keeps the decisions waiting and the cost, the footer keeps `?` and `q`; nothing is wider than the window. */
function keepsWhatMatters(t: Tmux, columns: number, decisions: RegExp): void {
  const header = lines(t)[0]!;
  expect(header).toMatch(decisions);
  // the cost stays at every width: the sessions' until the node has told its recorded spend, then today's
  expect(header, header).toMatch(/total \$\d+\.\d\d|\$\d+\.\d\d today/);
  expect(keysLine(t)).toMatch(/ \? help .* q quit\b/);
  for (const l of lines(t)) expect(Array.from(l).length, l).toBeLessThanOrEqual(columns);
}

describe('agency tui in a small terminal', () => {
  it(
    'at 80×24: the empty fleet, the new-task form, the decision and cost in the header, q in the footer; then at 160×48',
    { timeout: 240_000 },
    async () => {
      const n: TestNode = await testNode({
        steps: [
          { tool: 'Bash', input: { command: 'cp README.md copy.md', description: 'copy' } },
          { text: 'copied it' },
        ],
      });
      cleanups.push(() => n.cleanup());
      await n.agency(['node', 'start']);
      const status = async () =>
        JSON.parse((await n.agency(['status', '--json'])).stdout) as {
          sessions: { id: string; state: string; discipline: string; repo: string; worktree: string }[];
          decisions: { state: string }[];
        };

      const t = makeTmux('small', { columns: 80, rows: 24 });
      cleanups.push(() => t.kill());
      t.start(tuiScript(n.env, n.agencyHome, n.repo));

      // an empty fleet says what to do first
      await until('the local tile', () => /local\s+0 live/.test(t.screen()), t);
      await until(
        'the advice of an empty fleet',
        () => said(t).includes('no sessions yet: press n to start a task'),
        t,
      );
      expect(said(t)).toContain('or run agency run "<task>" in a repository');
      keepsWhatMatters(t, 80, /no decisions/);

      // n: the form, with where the task will go
      t.keys('n');
      await until('the new-task form', () => field(t, 'Node').includes('least loaded (now local, 0 live)'), t);
      expect(field(t, 'Task')).toMatch(/^│ › Task/);
      expect(field(t, 'Repository')).toContain(n.repo);
      expect(field(t, 'Discipline')).toContain('best match');
      expect(keysLine(t)).toMatch(/Esc cancel .*Tab next field .*Enter start/);
      t.literal('copy the readme');
      // a key sent in the same read as typed text would be taken as text: wait until the text shows
      await until('the task typed', () => field(t, 'Task').includes('copy the readme'), t);
      t.keys('Tab');
      await until('the repository field', () => field(t, 'Repository').startsWith('│ › '), t);
      t.keys('Tab');
      await until('the discipline field', () => field(t, 'Discipline').startsWith('│ › '), t);
      expect(said(t)).toContain('← → [best match] · backend · docs');
      t.keys('Right');
      await until('backend chosen', () => /Discipline\s+backend: /.test(field(t, 'Discipline')), t);
      t.keys('Enter');
      await until('the task started', () => said(t).includes('started s-'), t, 60_000);
      expect(said(t)).toMatch(/started s-[0-9a-f]+ on local \(backend\) in /);

      const started = (await status()).sessions;
      expect(started).toHaveLength(1);
      expect(started[0]!.discipline).toBe('backend');
      expect(realpathSync(started[0]!.repo)).toBe(realpathSync(n.repo));

      // the copy it runs is escalated: the header says so at 80 columns, with the cost; q stays in the footer
      await until('the decision in the header', () => /⚑ 1 (decision )?waiting/.test(lines(t)[0]!), t, 60_000);
      keepsWhatMatters(t, 80, /⚑ 1 (decision )?waiting/);

      // the same at 160×48, with room to say more
      t.resize(160, 48);
      await until(
        'the header at 160 columns',
        () => lines(t)[0]!.includes('sessions ') && / q quit\b/.test(keysLine(t)),
        t,
      );
      keepsWhatMatters(t, 160, /⚑ 1 decision waiting/);
      expect(lines(t)[0]).toMatch(/nodes 1\/1 up/);
      t.resize(80, 24);
      await until(
        'the header at 80 columns again',
        () => /⚑ 1 (decision )?waiting/.test(lines(t)[0]!) && !lines(t)[0]!.includes('sessions '),
        t,
      );
      keepsWhatMatters(t, 80, /⚑ 1 (decision )?waiting/);

      // a approves it from the fleet view; the session goes on
      t.keys('a');
      await until('the decision answered', async () => (await status()).decisions.every((d) => d.state !== 'open'), t);
      await until('the header clear again', () => /no decisions/.test(lines(t)[0]!), t);
      await until('the copy made', () => existsSync(join(started[0]!.worktree, 'copy.md')), t, 60_000);

      t.keys('q');
      await until('the tui ended', () => t.screen().includes('tui exited 0'), t);
    },
  );
});
