/**
 * A node's mirrors of repositories given by URL, with real git: cloned once, fetched before each session,
 * sessions' branches in them left alone by the fetch, one clone for sessions starting at once, failures that
 * say what went wrong and leave nothing behind, and credentials that reach the server and nowhere else.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRepo, type RepoUrl } from '../../src/protocol/repo-url.js';
import { createWorktree, ensureBareRepo, MirrorError, repoRootOf, syncMirror } from '../../src/worktree/index.js';
import { gitHttpServer } from '../helpers/git-http.js';
import { tempDir } from '../helpers/tmp.js';

let cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

const git = (cwd: string, ...a: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e.invalid', ...a], {
    cwd,
    encoding: 'utf8',
  }).trim();

function dir(prefix = 'agency-mirror-'): string {
  const t = tempDir(prefix);
  cleanup.push(t.remove);
  return t.path;
}

/** an upstream bare repository with one commit on main, and a clone of it to push more from */
function upstream(): { bare: string; work: string; commit(file: string): string } {
  const root = dir('agency-upstream-');
  const bare = join(root, 'up.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  const work = join(root, 'work');
  git(root, 'init', '-q', '-b', 'main', work);
  git(work, 'remote', 'add', 'origin', bare);
  const commit = (file: string) => {
    writeFileSync(join(work, file), `${file}\n`);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', `add ${file}`);
    git(work, 'push', '-q', 'origin', 'HEAD:main');
    return git(work, 'rev-parse', 'HEAD');
  };
  commit('first.txt');
  return { bare, work, commit };
}

const url = (s: string) => parseRepo(s) as RepoUrl;
/** the folders of `mirrors`, other than lock files */
const listing = (mirrors: string) => readdirSync(mirrors).sort();

describe('a mirror of a repository given by URL', () => {
  it('is cloned once, fetched before each session, and worktrees branch from its default branch', async () => {
    const up = upstream();
    const mirrors = join(dir(), 'mirrors');
    const src = url(`file://${up.bare}`);
    const first = await syncMirror(mirrors, src);
    expect(first.cloned).toBe(true);
    expect(first.base).toEqual({ branch: 'main', commit: git(up.work, 'rev-parse', 'HEAD') });
    expect(git(first.path, 'rev-parse', '--is-bare-repository')).toBe('true');
    expect(git(first.path, 'config', 'remote.origin.url')).toBe(src.safe);
    // private to the node's user
    expect(statSync(mirrors).mode & 0o077).toBe(0);

    const under = dir('agency-wts-');
    const wt = await createWorktree({ repo: first.path, id: 's-1', under, base: first.base });
    expect(wt).toMatchObject({
      repoRoot: first.path,
      branch: 'agency/s-1',
      base: first.base.commit,
      baseBranch: 'main',
    });
    expect(await repoRootOf(wt.path)).toBe(first.path);
    expect(readFileSync(join(wt.path, 'first.txt'), 'utf8')).toBe('first.txt\n');
    // the session commits on its branch in the mirror
    writeFileSync(join(wt.path, 'work.txt'), 'work\n');
    git(wt.path, 'add', 'work.txt');
    git(wt.path, 'commit', '-q', '-m', 'session work');
    const sessionTip = git(wt.path, 'rev-parse', 'HEAD');

    // upstream moves on, and even grows a branch of the session's name (a pull request pushed back)
    const second = up.commit('second.txt');
    git(up.work, 'push', '-q', 'origin', `${first.base.commit}:refs/heads/agency/s-1`);
    const again = await syncMirror(mirrors, src);
    expect(again).toMatchObject({ cloned: false, path: first.path, base: { branch: 'main', commit: second } });
    expect(git(first.path, 'rev-parse', 'refs/heads/agency/s-1')).toBe(sessionTip);
    const wt2 = await createWorktree({ repo: again.path, id: 's-2', under, base: again.base });
    expect(readFileSync(join(wt2.path, 'second.txt'), 'utf8')).toBe('second.txt\n');
    expect(listing(mirrors)).toEqual([`${first.path.split('/').pop()}`]);
  });

  it('is the same mirror for another spelling of the URL', async () => {
    const up = upstream();
    const mirrors = join(dir(), 'mirrors');
    const a = await syncMirror(mirrors, url(`file://${up.bare}/`));
    const b = await syncMirror(mirrors, url(`file://localhost${up.bare}`));
    expect(b).toMatchObject({ path: a.path, cloned: false });
  });

  it('sessions starting at once on one URL clone it once, and each gets its base', async () => {
    const up = upstream();
    const mirrors = join(dir(), 'mirrors');
    const src = url(`file://${up.bare}`);
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => syncMirror(mirrors, src)));
    expect(all.filter((m) => m.cloned)).toHaveLength(1);
    expect(new Set(all.map((m) => m.path)).size).toBe(1);
    expect(new Set(all.map((m) => m.base.commit))).toEqual(new Set([git(up.work, 'rev-parse', 'HEAD')]));
    expect(listing(mirrors)).toEqual([all[0]!.path.split('/').pop()]);
  });

  it('a clone that fails says why and leaves nothing behind', async () => {
    const mirrors = join(dir(), 'mirrors');
    const missing = syncMirror(mirrors, url(`file://${dir()}/nothing-here.git`));
    await expect(missing).rejects.toMatchObject({ problem: 'not-a-repository' });
    await expect(missing).rejects.toThrow(/cannot clone file:\/\/.*nothing-here\.git: there is no git repository/);
    const unreachable = syncMirror(mirrors, url('https://127.0.0.1:1/org/repo.git'));
    await expect(unreachable).rejects.toMatchObject({ problem: 'unreachable' });
    await expect(unreachable).rejects.toThrow(/cannot be reached from the node/);
    expect(listing(mirrors)).toEqual([]);

    const empty = join(dir(), 'empty.git');
    git(dir(), 'init', '-q', '--bare', empty);
    const e = syncMirror(mirrors, url(`file://${empty}`));
    await expect(e).rejects.toBeInstanceOf(MirrorError);
    await expect(e).rejects.toThrow(/has no commits on its default branch/);
  });

  it('a URL whose transport runs commands is refused by git as well, whatever reaches it', async () => {
    // parseRepo refuses ext:: long before; this is the second wall, should a URL get past the first
    const mirrors = join(dir(), 'mirrors');
    const marker = join(dir(), 'pwned');
    const hostile = { ...url('https://example.invalid/x'), safe: `ext::sh -c touch% ${marker}` };
    await expect(syncMirror(mirrors, hostile)).rejects.toBeInstanceOf(MirrorError);
    expect(() => statSync(marker)).toThrow();
  });
});

describe('credentials in an https URL', () => {
  const TOKEN = 'glpat-Zq8v3SecretTokenValue';

  it('reach the server through git, and are in no file of the mirror and no message', async () => {
    const up = upstream();
    const root = join(up.bare, '..');
    const server = await gitHttpServer(root, { username: 'oauth2', password: TOKEN });
    cleanup.push(() => server.close());
    const mirrors = join(dir(), 'mirrors');
    const src = url(`${server.url.replace('http://', `http://oauth2:${TOKEN}@`)}up.git`);
    const m = await syncMirror(mirrors, src);
    expect(m.base.commit).toBe(git(up.work, 'rev-parse', 'HEAD'));
    expect(server.requests.some((r) => r.authorized === true)).toBe(true);
    const again = await syncMirror(mirrors, src);
    expect(again.cloned).toBe(false);
    expect(grepFor(mirrors, TOKEN)).toEqual([]);
    expect(grepFor(mirrors, 'oauth2')).toEqual([]);

    const wrong = url(`${server.url.replace('http://', `http://oauth2:not-${TOKEN}@`)}up.git`);
    const refused = syncMirror(join(dir(), 'mirrors'), wrong);
    await expect(refused).rejects.toMatchObject({ problem: 'auth' });
    const message = await refused.catch((e: Error) => e.message);
    expect(message).toMatch(/the node was refused/);
    expect(message).not.toContain(TOKEN);
    expect(message).toContain(`${server.url}up.git`);
  });
});

describe('the bare repository the operator pushes into', () => {
  it('is made once, and pushing into it works', async () => {
    const path = join(dir(), 'mirrors', 'mine-0123456789abcdef.git');
    const [a, b] = await Promise.all([ensureBareRepo(path), ensureBareRepo(path)]);
    expect(a).toBe(b);
    expect(git(a, 'rev-parse', '--is-bare-repository')).toBe('true');
    const up = upstream();
    git(up.work, 'push', '-q', a, 'HEAD:refs/heads/main');
    expect(git(a, 'rev-parse', 'refs/heads/main')).toBe(git(up.work, 'rev-parse', 'HEAD'));
    expect(await ensureBareRepo(path)).toBe(a);
    expect(git(a, 'rev-parse', 'refs/heads/main')).toBe(git(up.work, 'rev-parse', 'HEAD'));
  });
});

/** every file under dir whose bytes contain s */
function grepFor(root: string, s: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(s)) hits.push(p);
    }
  };
  walk(root);
  return hits;
}
