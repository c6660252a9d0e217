/**
 * Whether git can name the author and committer of a commit made in a repository: sessions commit their work,
 * and git refuses a commit (`Please tell me who you are`) when user.name or user.email cannot be resolved
 * from the repository's config, the user's, or the environment (GIT_AUTHOR_NAME and the like).
 */
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';

function gitVar(name: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', ['var', name], { cwd, env, timeout: 10_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(null);
      const why = String(stderr || err.message)
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l.startsWith('fatal:'));
      resolve(why ? why.replace(/^fatal:\s*/, '') : 'git could not tell');
    });
  });
}

/**
 * Null when commits in `repo` (a folder; the user's home when the repository is not there yet) get an author
 * and a committer; else what is missing and how to set it, in one line.
 */
export async function gitIdentityProblem(repo: string | null, env: NodeJS.ProcessEnv): Promise<string | null> {
  const cwd = repo ?? (env.HOME || homedir());
  for (const who of ['GIT_AUTHOR_IDENT', 'GIT_COMMITTER_IDENT'] as const) {
    const why = await gitVar(who, cwd, env);
    if (why !== null)
      return `git cannot name the ${who === 'GIT_AUTHOR_IDENT' ? 'author' : 'committer'} of a commit in ${cwd} (${why}), and sessions commit their work: run git config --global user.name "Your Name" and git config --global user.email you@example.com as this user (or set them in the repository)`;
  }
  return null;
}
