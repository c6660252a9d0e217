/**
 * Landing a session's work from the real `agency tui` in an 80×24 tmux window, against a private local node
 * running the real Claude Code CLI with a scripted API: the session writes a file (with bytes a terminal
 * would obey in it) and commits it, and ends. The cockpit marks it ready to land; D shows its diff as plain
 * text; M merges it into the user's branch; C removes its worktree and branch; the commit stays reachable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git, reachable, refAt } from '../helpers/git-repo.js';
import { runApproving, testNode, type TestNode } from '../helpers/node.js';
import { tmux as makeTmux, tuiScript, until, type Tmux } from '../helpers/tmux.js';
import { until as waitFor } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** What the session writes: a line to see in the diff, then a screen clear and a window title that must not act. */
const CONTENT = 'hello from claude \x1b[2J\x1b]2;pwned\x07 end\n';

const lines = (t: Tmux) =>
  t
    .screen()
    .split('\n')
    .map((l) => l.trimEnd());
const said = (t: Tmux) => lines(t).join(' ').replace(/\s+/g, ' ');
const row = (t: Tmux, id: string) => lines(t).find((l) => new RegExp(`^[› ] ${id} `).test(l)) ?? '';

describe('landing from agency tui', () => {
  it(
    'ready to land in its row, D shows the diff as plain text, M merges it, C removes it; nothing is lost',
    { timeout: 300_000 },
    async () => {
      const n: TestNode = await testNode({
        steps: [
          (ctx) => ({ tool: 'Write', input: { file_path: join(ctx.cwd!, 'hello.txt'), content: CONTENT } }),
          {
            tool: 'Bash',
            input: { command: 'git add hello.txt && git commit -q -m "Add hello.txt"', description: 'commit' },
          },
          { text: 'added hello.txt' },
        ],
      });
      cleanups.push(() => n.cleanup());
      const run = await n.agency(['run', 'add a greeting', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session, worktree, branch } = JSON.parse(run.stdout) as {
        session: string;
        worktree: string;
        branch: string;
      };
      await runApproving(n, session);
      expect((await n.agency(['stop', session])).code).toBe(0);
      const status = async () =>
        JSON.parse((await n.agency(['status', '--json'])).stdout) as {
          sessions: { state: string; landing: { ahead: number; merged: boolean } | null }[];
        };
      await waitFor('the ended session measured', async () => {
        const s = (await status()).sessions[0];
        return s !== undefined && s.state === 'exited' && s.landing?.ahead === 1;
      });
      const commit = refAt(n.repo, branch)!;

      const t = makeTmux('landing', { columns: 80, rows: 24 });
      cleanups.push(() => t.kill());
      t.start(tuiScript(n.env, n.agencyHome, n.repo));
      const title = () => t.title();
      await until('the tile ready to land', () => said(t).includes('1 ready to land'), t);
      const titleBefore = title();
      expect(lines(t)[0]).toContain('1 ready');
      t.keys('Enter');
      await until('the node view', () => row(t, session) !== '', t);
      // `ready`, or its mark where the columns are too narrow for the word (80 columns, with the model shown)
      expect(row(t, session)).toMatch(/exited\s+(ready|✔) ↑1 1f /);

      // D: the diff, with the session's bytes shown and not obeyed
      t.keys('D');
      await until('the diff', () => said(t).includes(`diff of ${session} on local`) && said(t).includes('lines 1–'), t);
      expect(said(t)).toMatch(/1 file changed, \+1 −0/);
      expect(lines(t).some((l) => /^ A\s+\+1 −0\s+hello\.txt$/.test(l))).toBe(true);
      expect(lines(t)).toContain('+hello from claude  end');
      expect(said(t)).not.toContain('pwned');
      expect(title()).toBe(titleBefore);
      expect(lines(t)[0]).toContain('1 ready'); // the header was not cleared away
      expect(
        lines(t)
          .filter((l) => l !== '')
          .at(-1),
      ).toMatch(/ q quit\b/);

      // M on the diff: asked first, then merged into main in the user's checkout
      t.keys('M');
      await until(
        'the merge question',
        () => said(t).includes(`Merge ${session}'s branch ${branch} (1 commit, 1 file)`),
        t,
      );
      expect(said(t)).toContain(`into main on local, in ${n.repo}?`);
      t.keys('y');
      await until('the merge done', () => said(t).includes(`merged ${session} into main`), t, 60_000);
      expect(refAt(n.repo, 'main')).toBe(commit);
      expect(readFileSync(join(n.repo, 'hello.txt'), 'utf8')).toBe(CONTENT);
      expect(git(n.repo, 'status', '--porcelain')).toBe('');

      // back in the node view the row says it is merged (the node measured it again)
      t.keys('Escape');
      await until('the row merged', () => /exited\s+merged /.test(row(t, session)), t);
      expect(said(t)).not.toContain('ready to land');

      // C: asked first, then the worktree and branch go; the session leaves the view; the commit is on main
      t.keys('C');
      await until(
        'the removal question',
        () => said(t).includes(`Remove ${session} on local: its worktree and branch ${branch}?`),
        t,
      );
      expect(said(t)).not.toContain('refs/agency/recovered');
      t.keys('y');
      await until('the removal done', () => said(t).includes(`removed ${session}`), t, 60_000);
      await until('the session gone from the view', () => row(t, session) === '', t);
      expect(existsSync(worktree)).toBe(false);
      expect(refAt(n.repo, `refs/heads/${branch}`)).toBeNull();
      expect(reachable(n.repo, commit, 'main')).toBe(true);
      expect((await status()).sessions).toEqual([]);

      t.keys('q');
      await until('the tui ended', () => t.screen().includes('tui exited 0'), t);
    },
  );
});
