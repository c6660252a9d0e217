/** Whether git can name a commit's author and committer: with real git, in a HOME of the test's own. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitIdentityProblem } from '../../src/worktree/identity.js';
import { tempDir } from '../helpers/tmp.js';

let dir: ReturnType<typeof tempDir> | null = null;
afterEach(() => dir?.remove());

/** git with no identity anywhere, and useConfigOnly so that no host name can stand in for an email */
function bare(): { env: NodeJS.ProcessEnv; repo: string } {
  dir = tempDir('agency-identity-');
  const global = join(dir.path, 'gitconfig');
  writeFileSync(global, '[user]\n\tuseConfigOnly = true\n');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir.path,
    GIT_CONFIG_GLOBAL: global,
    GIT_CONFIG_NOSYSTEM: '1',
  };
  const repo = join(dir.path, 'repo');
  execFileSync('git', ['init', '-q', repo], { env });
  return { env, repo };
}

describe('gitIdentityProblem', () => {
  it('no name or email anywhere: says what is missing and the commands that set it', async () => {
    const { env, repo } = bare();
    const problem = await gitIdentityProblem(repo, env);
    expect(problem).toMatch(
      /^git cannot name the author of a commit in .*\/repo \(.+\), and sessions commit their work: /,
    );
    expect(problem).toContain('git config --global user.name "Your Name"');
    expect(problem).toContain('git config --global user.email you@example.com');
  });

  it("set in the repository, in the environment, or in the user's config: no problem", async () => {
    const { env, repo } = bare();
    execFileSync('git', ['config', 'user.name', 'Ada'], { cwd: repo, env });
    execFileSync('git', ['config', 'user.email', 'ada@example.invalid'], { cwd: repo, env });
    expect(await gitIdentityProblem(repo, env)).toBeNull();
    const named = {
      ...env,
      GIT_AUTHOR_NAME: 'A',
      GIT_AUTHOR_EMAIL: 'a@x.invalid',
      GIT_COMMITTER_NAME: 'A',
      GIT_COMMITTER_EMAIL: 'a@x.invalid',
    };
    expect(await gitIdentityProblem(null, named)).toBeNull();
  });

  it('an author from the environment but no committer: the committer is named as missing', async () => {
    const { env, repo } = bare();
    const half = { ...env, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@x.invalid' };
    expect(await gitIdentityProblem(repo, half)).toMatch(/^git cannot name the committer of a commit/);
  });
});
