/**
 * Offering a session's branch for review with real git: pushed to the repository's remote (a bare
 * repository here, behind a GitHub-looking fetch URL that carries credentials), a pull request made by `gh`
 * when the node has it, and otherwise the address to open one by hand. No credential is ever shown.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWorktree } from '../../src/worktree/index.js';
import type { SessionBranch } from '../../src/worktree/landing.js';
import { compareUrl, pushForReview, webAddress } from '../../src/worktree/push.js';
import { deferAfterEach } from '../helpers/defer.js';
import { commit, git, refAt, userRepo } from '../helpers/git-repo.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();
const ID = 's-0c0c0c';
const FETCH_URL = 'https://agency-user:s3cr3t-t0ken@github.com/acme/widgets.git';

async function setup() {
  const t = tempDir('agency-push-');
  defer(t.remove);
  const repo = userRepo(join(t.path, 'repo'));
  const bare = join(t.path, 'remote.git');
  git(t.path, 'init', '-q', '--bare', bare);
  git(repo, 'remote', 'add', 'origin', FETCH_URL);
  git(repo, 'remote', 'set-url', '--push', 'origin', bare);
  const wt = await createWorktree({ repo, id: ID, under: join(t.path, 'worktrees') });
  const tip = commit(wt.path, 'work', { 'a.txt': 'a\n' });
  const session: SessionBranch = {
    repo,
    branch: wt.branch,
    worktree: wt.path,
    base: { branch: wt.baseBranch, commit: wt.base },
  };
  return { t, repo, bare, session, tip };
}

/** A `gh` on PATH that records how it was called and answers as told. */
function fakeGh(dir: string, answer: { code: number; stdout?: string; stderr?: string }) {
  const script = join(dir, 'gh');
  const calls = join(dir, 'gh-calls');
  writeFileSync(
    script,
    `#!/bin/sh\nprintf '%s\\n' "$PWD" "$@" > ${calls}\nprintf '%b' '${answer.stdout ?? ''}'\nprintf '%b' '${answer.stderr ?? ''}' >&2\nexit ${answer.code}\n`,
  );
  chmodSync(script, 0o755);
  return { gh: script, calls: () => readFileSync(calls, 'utf8').trim().split('\n') };
}

describe('agency pr', () => {
  it('pushes the branch and gives the compare address, without the credentials in the URL', async () => {
    const { repo, bare, session, tip } = await setup();
    const p = await pushForReview({ session, gh: null });
    expect(refAt(bare, session.branch)).toBe(tip);
    expect(p).toEqual({
      remote: 'origin',
      remoteUrl: 'https://github.com/acme/widgets.git',
      branch: session.branch,
      url: null,
      compareUrl: `https://github.com/acme/widgets/compare/main...${session.branch}?expand=1`,
      note: null,
    });
    expect(JSON.stringify(p)).not.toContain('s3cr3t');
    // the user's repository is as it was: no upstream was set for the session's branch
    expect(git(repo, 'config', '--list', '--local')).not.toContain(`branch.${session.branch}`);
  });

  it('opens a pull request with gh when the node has it', async () => {
    const { t, repo, session } = await setup();
    const gh = fakeGh(t.path, { code: 0, stdout: 'Creating pull request\\nhttps://github.com/acme/widgets/pull/7\\n' });
    const p = await pushForReview({ session, gh: gh.gh });
    expect(p.url).toBe('https://github.com/acme/widgets/pull/7');
    expect(gh.calls()).toEqual([
      repo,
      'pr',
      'create',
      '--fill',
      '--head',
      session.branch,
      '--base',
      'main',
      '--repo',
      'github.com/acme/widgets',
    ]);
  });

  it('names the pull request gh finds already open, and says why gh failed otherwise', async () => {
    const { t, session } = await setup();
    const exists = fakeGh(t.path, {
      code: 1,
      stderr: `a pull request for branch "${session.branch}" into branch "main" already exists:\\nhttps://github.com/acme/widgets/pull/3\\n`,
    });
    expect((await pushForReview({ session, gh: exists.gh })).url).toBe('https://github.com/acme/widgets/pull/3');
    const fails = fakeGh(t.path, { code: 4, stderr: 'To get started with GitHub CLI, please run:  gh auth login\\n' });
    const p = await pushForReview({ session, gh: fails.gh });
    expect(p.url).toBeNull();
    expect(p.note).toBe('gh pr create failed: To get started with GitHub CLI, please run:  gh auth login');
    expect(p.compareUrl).toContain('/compare/main...');
  });

  it('reports a failed push without the credentials, and a repository with no remote', async () => {
    const { repo, session } = await setup();
    git(repo, 'remote', 'set-url', '--push', 'origin', 'https://agency-user:s3cr3t-t0ken@127.0.0.1:1/acme/widgets.git');
    const err = await pushForReview({ session, gh: null }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^git push of agency\/s-0c0c0c to origin failed: /);
    expect((err as Error).message).not.toContain('s3cr3t');
    git(repo, 'remote', 'remove', 'origin');
    await expect(pushForReview({ session, gh: null })).rejects.toThrow(
      `${repo} has no remote to push ${session.branch} to; add one`,
    );
  });
});

describe('the address of a pull request opened by hand', () => {
  it.each([
    ['https://github.com/acme/widgets.git', 'https://github.com/acme/widgets/compare/main...agency/s-1?expand=1'],
    ['git@github.com:acme/widgets.git', 'https://github.com/acme/widgets/compare/main...agency/s-1?expand=1'],
    [
      'ssh://git@github.example.com:2222/acme/widgets',
      'https://github.example.com/acme/widgets/compare/main...agency/s-1?expand=1',
    ],
    [
      'http://user:pw@10.0.0.5:8080/acme/widgets.git/',
      'http://10.0.0.5:8080/acme/widgets/compare/main...agency/s-1?expand=1',
    ],
    [
      'git@gitlab.com:group/sub/widgets.git',
      'https://gitlab.com/group/sub/widgets/-/merge_requests/new?merge_request%5Bsource_branch%5D=agency%2Fs-1&merge_request%5Btarget_branch%5D=main',
    ],
    ['/srv/git/widgets.git', null],
    ['file:///srv/git/widgets.git', null],
  ])('%s', (url, expected) => {
    expect(compareUrl(url, 'agency/s-1', 'main')).toBe(expected);
  });

  it('leaves the base out when the session started from a detached HEAD', () => {
    expect(compareUrl('git@github.com:acme/widgets.git', 'agency/s-1', null)).toBe(
      'https://github.com/acme/widgets/compare/agency/s-1?expand=1',
    );
    expect(webAddress('git@github.com:acme/widgets.git')).toEqual({
      base: 'https://github.com/acme/widgets',
      host: 'github.com',
      path: 'acme/widgets',
    });
  });
});
