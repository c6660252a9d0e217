/**
 * A task run to the end by the real Claude Code CLI against the scripted API (it writes a file and commits
 * it), then landed as an operator lands it: `diff` shows the change, `merge` puts it on the user's branch and
 * in their checkout, `rm` removes the worktree and branch, and the commit stays reachable. On the way, agency
 * trusts the session's worktree alone in ~/.claude.json and leaves the user's repository config as it found it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { git, reachable, refAt } from '../helpers/git-repo.js';
import { runApproving, testNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();

describe('landing the work of a session', () => {
  it(
    "diff shows its change, merge lands it on the user's branch, rm removes the worktree, and its commit stays reachable",
    { timeout: 240_000 },
    async () => {
      const n = await testNode({
        steps: [
          (ctx) => ({
            tool: 'Write',
            input: { file_path: join(ctx.cwd!, 'hello.txt'), content: 'hello from claude\n' },
          }),
          {
            tool: 'Bash',
            input: { command: 'git add hello.txt && git commit -q -m "Add hello.txt"', description: 'commit' },
          },
          { text: 'added hello.txt' },
        ],
      });
      defer(() => n.cleanup());
      const configFile = join(n.repo, '.git', 'config');
      const configBefore = readFileSync(configFile, 'utf8');
      const claudeState = () => JSON.parse(readFileSync(join(n.home.configDir, '.claude.json'), 'utf8'));

      const run = await n.agency(['run', 'add a greeting', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const { session, worktree, branch } = JSON.parse(run.stdout);
      await runApproving(n, session);

      // the worktree alone was trusted: the session ran its hooks with no trust dialog
      const projects = claudeState().projects;
      expect(projects[worktree]).toMatchObject({ hasTrustDialogAccepted: true });
      expect(projects[n.repo]?.hasTrustDialogAccepted).not.toBe(true);
      expect(git(n.repo, 'config', '--list', '--local')).not.toMatch(/^extensions\./m);

      const commit = refAt(n.repo, branch)!;
      expect(git(n.repo, 'log', '-1', '--format=%s', commit).trim()).toBe('Add hello.txt');
      // the node measured the branch when the session went idle
      await until('the landing of the idle session', async () => {
        const s = JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0];
        return s.landing?.ahead === 1 && s.landing.filesChanged === 1;
      });

      const diff = await n.agency(['diff', session]);
      expect(diff.code, diff.stderr).toBe(0);
      expect(diff.stdout).toMatch(/^ {2}A {2}hello\.txt +\+1 -0$/m);
      expect(diff.stdout).toContain('+hello from claude');
      expect(diff.stdout).not.toContain('CLAUDE.md');

      const merge = await n.agency(['merge', session, '--json']);
      expect(merge.code, merge.stderr).toBe(0);
      expect(JSON.parse(merge.stdout)).toMatchObject({ into: 'main', fastForward: true, commit, files: 1 });
      expect(refAt(n.repo, 'main')).toBe(commit);
      expect(readFileSync(join(n.repo, 'hello.txt'), 'utf8')).toBe('hello from claude\n');
      expect(git(n.repo, 'status', '--porcelain')).toBe('');

      const live = await n.agency(['rm', session]);
      expect(live.code).toBe(1);
      expect(live.stderr).toContain(`stop it first (agency stop ${session})`);
      expect((await n.agency(['stop', session])).code).toBe(0);
      await until('the session to end', async () => {
        const s = JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0];
        return s.state === 'exited' || s.state === 'failed';
      });

      const rm = await n.agency(['rm', session, '--json']);
      expect(rm.code, rm.stderr).toBe(0);
      expect(JSON.parse(rm.stdout)).toMatchObject({ session, worktree, branch, recovered: null });
      expect(existsSync(worktree)).toBe(false);
      expect(refAt(n.repo, `refs/heads/${branch}`)).toBeNull();
      expect(reachable(n.repo, commit, 'main')).toBe(true);
      expect(JSON.parse((await n.agency(['status', '--json'])).stdout).sessions).toEqual([]);
      // what agency did to the repository's config and to ~/.claude.json for this session is undone
      expect(readFileSync(configFile, 'utf8')).toBe(configBefore);
      expect(claudeState().projects[worktree]).toBeUndefined();
    },
  );
});
