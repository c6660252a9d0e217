/** Real git repositories for tests of landing: a user's repository with commits, and sessions' branches in it. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const IDENTITY = ['-c', 'user.name=tester', '-c', 'user.email=tester@example.invalid'];

/** git in cwd, with an identity and none of the caller's GIT_ variables; its output. */
export function git(cwd: string, ...args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  return execFileSync('git', [...IDENTITY, ...args], { cwd, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Writes files (path → text) under dir, making folders on the way. */
export function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** Writes files and commits them all in dir; returns the commit. */
export function commit(dir: string, message: string, files: Record<string, string> = {}): string {
  write(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD').trim();
}

/** A repository at path on branch main with one commit (README.md and app.txt). */
export function userRepo(path: string): string {
  mkdirSync(path, { recursive: true });
  git(path, 'init', '-q', '-b', 'main');
  commit(path, 'init', { 'README.md': 'fixture\n', 'app.txt': 'one\ntwo\nthree\n' });
  return path;
}

/** The commit a ref names, or null. */
export function refAt(repo: string, ref: string): string | null {
  try {
    return git(repo, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`).trim();
  } catch {
    return null;
  }
}

/** Whether commit is reachable from ref. */
export function reachable(repo: string, commit: string, ref: string): boolean {
  try {
    git(repo, 'merge-base', '--is-ancestor', commit, ref);
    return true;
  } catch {
    return false;
  }
}
