/**
 * Running git for landing: plumbing whose exit codes carry meaning (merge-tree answers 1 for a conflict),
 * output that may be large and is then cut at a bound, and messages that never show a credential from a
 * remote's URL. git runs with no prompt and without the optional locks that would get in the way of a
 * session's own git commands in the same worktree.
 */
import { scrubText } from '../protocol/repo-url.js';
import { execFile, spawn } from 'node:child_process';

export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

export class GitError extends Error {
  constructor(message: string) {
    super(scrubText(message));
    this.name = 'GitError';
  }
}

/** Variables that would point git at another repository or index than the one asked about. */
const REDIRECTS = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
];

export function gitEnv(base: NodeJS.ProcessEnv = process.env, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' };
  for (const k of REDIRECTS) delete env[k];
  return { ...env, ...extra };
}

export interface GitOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  input?: string;
}

/** git with its exit code: no exception for a non-zero one (the caller says what it means). */
export function git(cwd: string, args: string[], o: GitOptions = {}): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd, env: o.env ?? gitEnv(), maxBuffer: 256 * 1024 * 1024, timeout: o.timeoutMs ?? 60_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        if (err && typeof code !== 'number')
          return reject(new GitError(`git ${args[0]} could not run in ${cwd}: ${err.message}`));
        resolve({ code: code as number, stdout, stderr });
      },
    );
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}

/** git's standard output, or a GitError with what git said (its first lines). */
export async function gitOut(cwd: string, args: string[], o: GitOptions = {}): Promise<string> {
  const r = await git(cwd, args, o);
  if (r.code !== 0) throw new GitError(`git ${args[0]} failed: ${firstLines(r.stderr || r.stdout)}`);
  return r.stdout;
}

/** What git said, in a few lines, for a message. */
export function firstLines(text: string, n = 4): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^hint:/.test(l));
  return lines.slice(0, n).join('; ') || 'no message';
}

/**
 * git's output up to about max bytes, cut at a line's end; git is stopped once the bound is reached.
 * `truncated` says whether anything was left out.
 */
export function gitBounded(
  cwd: string,
  args: string[],
  max: number,
  env: NodeJS.ProcessEnv = gitEnv(),
): Promise<{ text: string; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (truncated) return;
      chunks.push(d);
      size += d.length;
      if (size > max) {
        truncated = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += d.toString('utf8');
    });
    child.on('error', (e) => reject(new GitError(`git ${args[0]} could not run in ${cwd}: ${e.message}`)));
    child.on('close', (code) => {
      let out = Buffer.concat(chunks);
      if (!truncated && code !== 0) return reject(new GitError(`git ${args[0]} failed: ${firstLines(stderr)}`));
      if (truncated) {
        out = out.subarray(0, max);
        const nl = out.lastIndexOf(0x0a);
        out = out.subarray(0, nl >= 0 ? nl + 1 : 0);
      }
      resolve({ text: out.toString('utf8'), truncated });
    });
  });
}

/** Where each branch is checked out: `git worktree list`, by branch (refs/heads/…) → checkout folder. */
export async function checkouts(repo: string): Promise<Map<string, string>> {
  const out = await gitOut(repo, ['worktree', 'list', '--porcelain', '-z']);
  const byBranch = new Map<string, string>();
  let path: string | null = null;
  for (const field of out.split('\0')) {
    if (field.startsWith('worktree ')) path = field.slice('worktree '.length);
    else if (field.startsWith('branch ') && path !== null) byBranch.set(field.slice('branch '.length), path);
    else if (field === '') path = null;
  }
  return byBranch;
}

/** The commit a ref names, or null if there is no such ref. */
export async function resolveRef(repo: string, ref: string): Promise<string | null> {
  const r = await git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Whether a (linked) checkout has changes to tracked files: staged or not. Untracked files do not count. */
export async function hasTrackedChanges(dir: string): Promise<boolean> {
  const out = await gitOut(dir, ['status', '--porcelain', '-z', '--untracked-files=no']);
  return out !== '';
}

/** Whether a repository has no checkout of its own (a bare one, such as a node's mirror of a URL). */
export async function isBare(repo: string): Promise<boolean> {
  return (await gitOut(repo, ['rev-parse', '--is-bare-repository'])).trim() === 'true';
}
