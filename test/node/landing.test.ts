/**
 * Landing sessions' work through the command line, as an operator does: `agency diff`, `log`, `merge`, `open`,
 * `rm` and `gc` against a real node server and session table (no claude: the sessions' branches hold commits
 * made by hand) and a real git repository. What each refuses leaves everything as it was, and says why.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/protocol/connection.js';
import type { NodeEvent } from '../../src/protocol/messages.js';
import { excludeCompiledFiles } from '../../src/worktree/exclude.js';
import { AGENCY_BIN } from '../helpers/agency.js';
import { commit, git, reachable, refAt, userRepo, write } from '../helpers/git-repo.js';
import { offlineNode } from '../helpers/node-server.js';
import { sessionRecord } from '../helpers/state-records.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const A = 's-a00001'; // adds a file: diffed, merged, removed
const B = 's-b00002'; // conflicts with main
const C = 's-c00003'; // unmerged work: rm refuses, then keeps it
const D = 's-d00004'; // still working
const E = 's-e00005'; // made no commit: gc removes it
const F = 's-f00006'; // works on a bare copy of the repository, as sessions of a repository given by URL do
const IDS = [A, B, C, D, E, F];

const outside = tempDir('agency-landing-cli-');
const repo = userRepo(join(outside.path, 'repo'));
const mirror = join(outside.path, 'mirror.git');
git(outside.path, 'clone', '-q', '--bare', repo, mirror);
const commits: Record<string, string> = {};

const node = offlineNode('agency-landing-', {
  state: (home) => {
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    const sessions = IDS.map((id) => {
      const worktree = join(home, 'worktrees', 'repo-0a1b2c3d', id);
      mkdirSync(join(worktree, '..'), { recursive: true });
      git(id === F ? mirror : repo, 'worktree', 'add', '-q', '-b', `agency/${id}`, worktree, base);
      return sessionRecord(home, id, {
        repo: id === F ? mirror : repo,
        origin: id === F ? 'https://example.invalid/acme/widgets.git' : null,
        base: { branch: 'main', commit: base },
        state: id === D ? 'working' : 'exited',
        task: `task of ${id}`,
      });
    });
    return { version: 1, sessions, decisions: [] };
  },
});
const wt = (id: string) => join(node.paths.worktrees, 'repo-0a1b2c3d', id);
const claudeJson = join(node.dir.path, '.claude.json');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** `agency …` as the operator runs it, against this node (its output read without blocking the node). */
function agency(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [AGENCY_BIN, ...args], {
      cwd: outside.path,
      env: {
        ...process.env,
        AGENCY_HOME: node.dir.path,
        AGENCY_CONFIG: join(outside.path, 'config.json'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const json = async (args: string[]) => {
  const r = await agency([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
const sessionsListed = async () =>
  ((await json(['status'])).sessions as { id: string; landing: unknown }[]).map((s) => s.id).sort();

beforeAll(async () => {
  for (const id of IDS) await excludeCompiledFiles(wt(id));
  write(wt(A), { 'CLAUDE.md': 'compiled context\n' });
  commits[A] = commit(wt(A), 'add hello', {
    'hello.txt': 'hello from the session\n\x1b[2J\x1b]0;owned\x07\n',
    'evil\x1b[31m.txt': 'x\n',
  });
  commits[B] = commit(wt(B), 'rewrite app', { 'app.txt': 'session version\n' });
  commits[C] = commit(wt(C), 'unmerged idea', { 'idea.txt': 'idea\n' });
  writeFileSync(
    claudeJson,
    JSON.stringify({ projects: { [wt(A)]: { hasTrustDialogAccepted: true }, '/elsewhere': { x: 1 } } }),
  );
  await node.listen();
  await node.landing.measureMissing();
});
afterAll(async () => {
  await node.close();
  outside.remove();
});

describe('seeing a session’s work', () => {
  it('status carries how each ended branch stands, measured by the node', async () => {
    const s = (await json(['status'])).sessions as { id: string; landing: Record<string, unknown> | null }[];
    const landing = Object.fromEntries(s.map((x) => [x.id, x.landing]));
    expect(landing[A]).toMatchObject({ ahead: 1, behind: 0, filesChanged: 2, merged: false, dirty: false });
    expect(landing[E]).toMatchObject({ ahead: 0, filesChanged: 0, merged: false });
    expect(landing[D]).toBeNull();
  });

  it('diff prints the stat, then the patch, with what the session wrote made safe', async () => {
    const r = await agency(['diff', A]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\x1b\x07\x9b]/);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`agency/${A}: 2 files changed, +3 -0 since ${refAt(repo, 'main')!.slice(0, 12)}`);
    expect(lines[1]).toMatch(/^ {2}A {2}evil\\u001b\[31m\.txt +\+1 -0$/);
    expect(lines[2]).toMatch(/^ {2}A {2}hello\.txt +\+2 -0$/);
    expect(r.stdout).toContain('+hello from the session');
    expect(r.stdout).not.toContain('CLAUDE.md');
    const stat = await agency(['diff', A, '--stat']);
    expect(stat.stdout.trim().split('\n')).toEqual(lines.slice(0, 3));
    const d = await json(['diff', A]);
    expect(d.files.map((f: { path: string }) => f.path)).toEqual(['evil\x1b[31m.txt', 'hello.txt']);
    expect(d.patch).toContain('+hello from the session');
  });

  it('log lists the commits of its branch', async () => {
    const r = await agency(['log', A]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${commits[A]!.slice(0, 10)}  \\d{4}-\\d\\d-\\d\\d  tester +add hello\\n$`));
    expect((await json(['log', E])).commits).toEqual([]);
  });

  it('open starts a shell or the editor in the worktree; --json names them', async () => {
    const seen = join(outside.path, 'seen');
    const script = join(outside.path, 'show-where.sh');
    writeFileSync(script, `#!/bin/sh\nprintf '%s|%s\\n' "$PWD" "$*" > ${seen}\n`);
    chmodSync(script, 0o755);
    const shell = await agency(['open', B], { SHELL: script });
    expect(shell.code, shell.stderr).toBe(0);
    expect(readFileSync(seen, 'utf8')).toBe(`${wt(B)}|\n`);
    const editor = await agency(['open', B, '--editor'], { EDITOR: `${script} --wait`, VISUAL: '' });
    expect(editor.code, editor.stderr).toBe(0);
    expect(readFileSync(seen, 'utf8')).toBe(`${wt(B)}|--wait .\n`);
    const j = await json(['open', B]);
    expect(j).toMatchObject({ session: B, local: true, worktree: wt(B), branch: `agency/${B}` });
  });
});

describe('merging a session into the branch it started from', () => {
  it('refuses a session that is still working', async () => {
    const r = await agency(['merge', D]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`session ${D} is working, so its work may still change`);
  });

  it("refuses a session on the node's own copy of a repository: there is no checkout of the user's there", async () => {
    const r = await agency(['merge', F]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `session ${F} works on the node's own copy of https://example.invalid/acme/widgets.git, where there is no checkout of yours to merge into; push its branch with agency pr ${F}`,
    );
  });

  it('refuses a checkout with changes not committed, and leaves them', async () => {
    const main = refAt(repo, 'main');
    write(repo, { 'app.txt': 'the user is in the middle of this\n' });
    const r = await agency(['merge', A]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`main is checked out in ${repo} with changes not committed`);
    expect(refAt(repo, 'main')).toBe(main);
    expect(readFileSync(join(repo, 'app.txt'), 'utf8')).toBe('the user is in the middle of this\n');
    git(repo, 'checkout', '--', 'app.txt');
  });

  it('reports a conflict with its files and changes nothing', async () => {
    const main = commit(repo, 'the user rewrites app', { 'app.txt': 'user version\n' });
    const r = await agency(['merge', B]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`agency/${B} conflicts with main in "app.txt"; nothing was merged`);
    expect(refAt(repo, 'main')).toBe(main);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it("lands the work on the user's branch and its checkout, and the landing says merged", async () => {
    const before = refAt(repo, 'main')!;
    const m = await json(['merge', A]);
    expect(m).toMatchObject({ session: A, repo, into: 'main', fastForward: false, files: 2, alreadyMerged: false });
    expect(refAt(repo, 'main')).toBe(m.commit);
    expect(git(repo, 'log', '-1', '--format=%P', 'main').trim()).toBe(`${before} ${commits[A]}`);
    expect(readFileSync(join(repo, 'hello.txt'), 'utf8')).toContain('hello from the session');
    const s = (await json(['status'])).sessions.find((x: { id: string }) => x.id === A);
    expect(s.landing).toMatchObject({ ahead: 0, merged: true });
  });
});

describe('removing sessions', () => {
  it('refuses a live session and one with unmerged work, removing nothing', async () => {
    const live = await agency(['rm', D]);
    expect(live.code).toBe(1);
    expect(live.stderr).toContain(`session ${D} is working; stop it first (agency stop ${D})`);
    const unmerged = await agency(['rm', C]);
    expect(unmerged.code).toBe(1);
    expect(unmerged.stderr).toContain(`session ${C} has 1 commit on agency/${C} that no other branch has`);
    expect(unmerged.stderr).toContain(`agency rm ${C} --force`);
    expect(existsSync(join(wt(C), 'idea.txt'))).toBe(true);
    expect(refAt(repo, `agency/${C}`)).toBe(commits[C]);
    expect(await sessionsListed()).toEqual(IDS);
  });

  it('removes a merged session: worktree, branch, record and trust go; its commits stay reachable', async () => {
    const watcher = new Connection(connect(node.paths.socket), { role: 'cockpit', agent: 'test' });
    await watcher.ready;
    const events: NodeEvent[] = [];
    watcher.onEvent((e) => events.push(e));
    await watcher.request('watch', {});
    const r = await json(['rm', A]);
    expect(r).toEqual({ session: A, worktree: wt(A), branch: `agency/${A}`, recovered: null, setAside: null });
    expect(existsSync(wt(A))).toBe(false);
    expect(refAt(repo, `refs/heads/agency/${A}`)).toBeNull();
    expect(reachable(repo, commits[A]!, 'main')).toBe(true);
    expect(existsSync(join(node.paths.sessions, A))).toBe(false);
    expect(JSON.parse(readFileSync(claudeJson, 'utf8')).projects).toEqual({ '/elsewhere': { x: 1 } });
    expect(await sessionsListed()).toEqual([B, C, D, E, F]);
    // watchers hear that it left
    await until('the watcher to hear of the removal', () => events.some((e) => e.kind === 'removed'));
    expect(events.filter((e) => e.kind === 'removed')).toEqual([{ kind: 'removed', node: 'edge', session: A }]);
    watcher.close();
  });

  it('with --force keeps unmerged work under refs/agency/recovered/', async () => {
    const r = await agency(['rm', C, '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`its work no branch had is kept as refs/agency/recovered/${C}`);
    expect(refAt(repo, `refs/agency/recovered/${C}`)).toBe(commits[C]);
    expect(existsSync(wt(C))).toBe(false);
  });

  it('gc removes what can go, keeps what would lose work, and leaves live sessions alone', async () => {
    const g = await json(['gc']);
    expect(g.removed.map((x: { session: string }) => x.session)).toEqual([E, F]);
    expect(g.kept).toEqual([
      {
        node: 'local',
        session: B,
        reason: expect.stringContaining('1 commit on agency/s-b00002 that no other branch'),
      },
    ]);
    await until('the node to drop the removed sessions', async () => (await sessionsListed()).join() === [B, D].join());
    // what is left of agency in the repository's config is the include of each worktree still there
    const config = readFileSync(join(repo, '.git', 'config'), 'utf8');
    expect(config.match(/\[includeIf /g)).toHaveLength(2);
    const g2 = await json(['gc', '--force']);
    expect(g2.removed.map((x: { session: string }) => x.session)).toEqual([B]);
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8').match(/\[includeIf /g)).toHaveLength(1);
  });

  it('names a session that is not there', async () => {
    const r = await agency(['diff', A]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no session "${A}"`);
  });
});
