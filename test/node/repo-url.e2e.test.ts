/**
 * A repository given by URL on the local node, end to end with the real Claude Code CLI: the node mirrors
 * it under its AGENCY_HOME, the session commits on its branch in a worktree of the mirror, and `agency
 * fetch` brings the branch into the operator's clone straight from the mirror (no link to travel over).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { testNode } from '../helpers/node.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();

const git = (cwd: string, ...a: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e.invalid', ...a], {
    cwd,
    encoding: 'utf8',
  }).trim();

describe('a repository given by URL on the local node', () => {
  it('is mirrored, worked in, and fetched back into a clone', { timeout: 180_000 }, async () => {
    const n = await testNode({
      steps: [
        {
          tool: 'Bash',
          input: {
            command: 'echo local work > local.txt && git add local.txt && git commit -q -m "local session work"',
            description: 'commit',
          },
        },
        { text: 'done' },
      ],
    });
    defer(() => n.cleanup());
    const t = tempDir('agency-urlrepo-');
    defer(t.remove);
    const bare = join(t.path, 'upstream.git');
    git(t.path, 'init', '-q', '--bare', '-b', 'trunk', bare);
    git(n.repo, 'push', '-q', bare, 'main:trunk');
    const clone = join(t.path, 'clone');
    git(t.path, 'clone', '-q', bare, clone);

    const r = await n.agency(['run', 'commit', '--repo', `file://${bare}`, '--discipline', 'backend', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { session: string; branch: string };
    for (let round = 0; round < 20; round++) {
      const w = await n.agency(['wait', s.session, '--until', 'input', '--timeout', '90'], { timeoutMs: 100_000 });
      if (w.code === 0) break;
      expect(w.code, w.stdout + w.stderr).toBe(3);
      const open = JSON.parse((await n.agency(['decisions', '--json'])).stdout).decisions as { id: string }[];
      for (const d of open) await n.agency(['approve', d.id]);
    }
    const summary = JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0];
    expect(summary).toMatchObject({
      origin: `file://${bare}`,
      base: { branch: 'trunk', commit: git(bare, 'rev-parse', 'trunk') },
    });
    expect(summary.repo.startsWith(join(n.agencyHome, 'mirrors'))).toBe(true);
    expect(git(summary.repo, 'log', '--format=%s', '-1', s.branch)).toBe('local session work');

    // a branch of the session's name that the fetch may move: behind the session's
    git(clone, 'branch', s.branch, 'origin/trunk');
    const fetched = await n.agency(['fetch', s.session, '--repo', clone, '--json']);
    expect(fetched.code, fetched.stdout + fetched.stderr).toBe(0);
    expect(JSON.parse(fetched.stdout)).toMatchObject({
      node: 'local',
      repo: clone,
      branch: s.branch,
      previous: git(bare, 'rev-parse', 'trunk'),
      updated: true,
      ahead: 1,
    });
    expect(git(clone, 'show', `${s.branch}:local.txt`)).toBe('local work');

    // a token in a URL that cannot be cloned: the failure says why, and the token is nowhere
    const token = 'ghp_e2eTokenThatMustNotShow';
    const refused = await n.agency([
      'run',
      'x',
      '--discipline',
      'backend',
      '--repo',
      `https://oauth2:${token}@127.0.0.1:1/org/r.git`,
      '--json',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot clone https:\/\/127\.0\.0\.1:1\/org\/r\.git: its host cannot be reached/);
    const shown = [refused.stdout, refused.stderr, (await n.agency(['status', '--json'])).stdout];
    shown.push(
      readFileSync(join(n.agencyHome, 'node.log'), 'utf8'),
      readFileSync(join(n.agencyHome, 'state.json'), 'utf8'),
    );
    for (const text of shown) expect(text).not.toContain(token);

    // a clone that is not a repository, and a session that is not there, are refused clearly
    writeFileSync(join(t.path, 'file'), '');
    const notRepo = await n.agency(['fetch', s.session, '--repo', t.path]);
    expect(notRepo.code).toBe(2);
    expect(notRepo.stderr).toContain(`${t.path} is not a git repository here`);
    const unknown = await n.agency(['fetch', 's-0000000', '--repo', clone]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no session "s-0000000"/);
  });
});
