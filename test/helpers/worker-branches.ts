/**
 * Workers' branches for tests of the merge queue, made with git's plumbing (no checkout): a commit on top of
 * another with some files written, as a write worker would leave it on its branch.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'worker',
  GIT_AUTHOR_EMAIL: 'worker@example.invalid',
  GIT_COMMITTER_NAME: 'worker',
  GIT_COMMITTER_EMAIL: 'worker@example.invalid',
};

function plumbing(repo: string, index: string, args: string[], input?: string): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  return execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: { ...env, ...IDENTITY, GIT_INDEX_FILE: index },
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  }).trim();
}

/** Makes branch point at a new commit on top of `from` with files (path → text; null deletes it). */
export function branchWith(
  repo: string,
  branch: string,
  from: string,
  files: Record<string, string | null>,
  message = `work on ${branch}`,
): string {
  const tmp = mkdtempSync(join(tmpdir(), 'agency-branch-'));
  try {
    const index = join(tmp, 'index');
    const g = (args: string[], input?: string) => plumbing(repo, index, args, input);
    g(['read-tree', from]);
    for (const [path, text] of Object.entries(files)) {
      if (text === null) g(['update-index', '--force-remove', '--', path]);
      else {
        const blob = g(['hash-object', '-w', '--stdin'], text);
        g(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`]);
      }
    }
    const tree = g(['write-tree']);
    const commit = g(['commit-tree', tree, '-p', from, '-F', '-'], `${message}\n`);
    g(['update-ref', `refs/heads/${branch}`, commit]);
    return commit;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A file's text at a commit. */
export function textAt(repo: string, commit: string, path: string): string {
  return execFileSync('git', ['show', `${commit}:${path}`], { cwd: repo, encoding: 'utf8' });
}

/**
 * Everything of a checkout a merge could change, for a byte-for-byte comparison: each file's bytes (the
 * git folder's refs, HEAD, index and logs included), by path.
 */
export function snapshotTree(dirs: string[], skip: (path: string) => boolean = () => false): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (root: string, dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (skip(p)) continue;
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(root, p);
      else files.set(`${root}:${relative(root, p)}`, readFileSync(p).toString('base64'));
    }
  };
  for (const d of dirs) walk(d, d);
  return files;
}
