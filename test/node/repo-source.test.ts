/**
 * A run from a URL on a real node server and manager (a temporary home, a real Unix socket, real git; the
 * session's program is one that exits at once, so no claude is needed): the node mirrors the repository
 * and branches from its default branch, and a token in the URL reaches the git server and appears in no
 * answer, event, record, log line or file of the node.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NodeLanding } from '../../src/node/landing.js';
import { NodeOrgStore } from '../../src/node/org-store.js';
import { createEconomics } from '../../src/node/economics.js';
import { NodeSettingsStore } from '../../src/node/settings-store.js';
import { NodeManager } from '../../src/node/manager.js';
import { createNodeServer } from '../../src/node/server.js';
import { SessionTokens } from '../../src/node/session-tokens.js';
import { ensureDirs, nodePaths } from '../../src/paths/node-home.js';
import { Connection } from '../../src/protocol/connection.js';
import { PROTOCOL_VERSION, type NodeEvent, type NodeInfo } from '../../src/protocol/messages.js';
import { gitHttpServer } from '../helpers/git-http.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { offlineDispatcher } from '../helpers/node-server.js';

const TOKEN = 'ghp_NodeSideSecretToken42';
let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
  vi.restoreAllMocks();
});

const git = (cwd: string, ...a: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e.invalid', ...a], {
    cwd,
    encoding: 'utf8',
  }).trim();

async function node() {
  const dir = tempDir('agency-reposrc-');
  cleanup.push(dir.remove);
  const paths = nodePaths(join(dir.path, 'home'));
  ensureDirs(paths);
  const info: NodeInfo = {
    name: 'edge',
    agentVersion: 'test',
    build: 'dev',
    protocol: PROTOCOL_VERSION,
    host: 'localhost',
    platform: `${process.platform}-${process.arch}`,
    pid: process.pid,
    startedAt: new Date(0).toISOString(),
  };
  const tokens = SessionTokens.fromSecret(Buffer.alloc(32, 7));
  const manager = new NodeManager({
    paths,
    info,
    tokens,
    // a session program that ends at once: the run is what is under test, not the session
    claudeBin: '/bin/true',
    registryDir: fileURLToPath(new URL('../fixtures/registry-min', import.meta.url)),
    programs: {
      node: process.execPath,
      guard: '/nonexistent/guard.cjs',
      lifecycle: '/nonexistent/hook.cjs',
      mcp: '/nonexistent/mcp.cjs',
    },
    env: {
      ...process.env,
      HOME: dir.path,
      AGENCY_PREPARE_CLAUDE: '0',
      ANTHROPIC_API_KEY: 'sk-ant-repo-source-test',
      ...GIT_IDENTITY,
    },
  });
  const server = createNodeServer({
    manager,
    landing: new NodeLanding({ manager, paths }),
    workers: offlineDispatcher(manager, paths, info),
    org: new NodeOrgStore({
      home: paths.home,
      base: fileURLToPath(new URL('../fixtures/registry-min', import.meta.url)),
      info,
    }),
    economics: createEconomics({ home: paths.home, settings: new NodeSettingsStore({ home: paths.home, info }) }),
    info,
    tokens,
    onShutdown: () => undefined,
  });
  await new Promise<void>((r) => server.listen(paths.socket, r));
  let down: Promise<void> | null = null;
  /** flushes the node's state to disk and closes its logs (once) */
  const shutdown = () => (down ??= manager.shutdown());
  cleanup.push(async () => {
    await new Promise((r) => server.close(r));
    await shutdown();
  });
  const conn = new Connection(connect(paths.socket), { role: 'cockpit', agent: 'test' });
  cleanup.push(() => conn.close());
  await conn.ready;
  return { dir: dir.path, paths, manager, conn, shutdown };
}

/** an upstream repository with one commit on main, served over HTTP with a token */
async function served() {
  const t = tempDir('agency-served-');
  cleanup.push(t.remove);
  const bare = join(t.path, 'up.git');
  git(t.path, 'init', '-q', '--bare', '-b', 'main', bare);
  const work = join(t.path, 'work');
  git(t.path, 'init', '-q', '-b', 'main', work);
  writeFileSync(join(work, 'README.md'), 'upstream\n');
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'init');
  git(work, 'push', '-q', bare, 'HEAD:main');
  const server = await gitHttpServer(t.path, { username: 'oauth2', password: TOKEN });
  cleanup.push(() => server.close());
  return {
    server,
    commit: git(work, 'rev-parse', 'HEAD'),
    url: `${server.url.replace('//', `//oauth2:${TOKEN}@`)}up.git`,
  };
}

/** every file under root whose bytes contain s */
function filesWith(root: string, s: string): string[] {
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

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Ada',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
};

describe('a run from a URL', () => {
  it('works in the mirror, from the default branch, and the token goes nowhere but to the server', async () => {
    const up = await served();
    const n = await node();
    const logged: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    }) as typeof process.stderr.write);
    const events: NodeEvent[] = [];
    n.conn.onEvent((e) => events.push(e));
    await n.conn.request('watch', {});

    const s = await n.conn.request('run', { task: 'look around', repo: up.url, discipline: 'backend' });
    expect(s.origin).toBe(`${up.server.url}up.git`);
    expect(s.base).toEqual({ branch: 'main', commit: up.commit });
    expect(s.repo).toBe(join(n.paths.home, 'mirrors', s.repo.split('/').pop()!));
    expect(s.repo).toMatch(/\/mirrors\/up-[0-9a-f]{16}\.git$/);
    expect(git(s.worktree, 'rev-parse', 'HEAD')).toBe(up.commit);
    expect(readFileSync(join(s.worktree, 'README.md'), 'utf8')).toBe('upstream\n');
    expect(up.server.requests.some((r) => r.authorized === true)).toBe(true);

    // a second run fetches into the same mirror
    const again = await n.conn.request('run', { task: 'look again', repo: up.url, discipline: 'backend' });
    expect(again.repo).toBe(s.repo);
    await until('both sessions ended', () =>
      n.manager.snapshot().sessions.every((x) => x.state === 'exited' || x.state === 'failed'),
    );
    await n.shutdown();

    const everything = JSON.stringify([s, again, events, await n.conn.request('status', {}), logged]);
    expect(everything).not.toContain(TOKEN);
    expect(filesWith(n.dir, TOKEN)).toEqual([]);
  });

  it('refuses a wrong token, a host that is not there, and a transport that runs commands, saying which', async () => {
    const up = await served();
    const n = await node();
    const refusal = (repo: string) =>
      n.conn.request('run', { task: 't', repo, discipline: 'backend' }).then(
        () => null,
        (e: Error & { code?: string }) => ({ code: e.code, message: e.message }),
      );
    const wrong = await refusal(up.url.replace(TOKEN, `${TOKEN}x`));
    expect(wrong?.code).toBe('failed');
    expect(wrong?.message).toMatch(/^cannot clone http:\/\/127\.0\.0\.1:\d+\/up\.git: the node was refused/);
    expect(wrong?.message).not.toContain(TOKEN);
    const gone = await refusal(`https://oauth2:${TOKEN}@127.0.0.1:1/up.git`);
    expect(gone?.message).toMatch(/cannot be reached from the node/);
    expect(gone?.message).not.toContain(TOKEN);
    expect(await refusal('ext::sh -c touch% /tmp/x')).toEqual({
      code: 'bad-request',
      message: expect.stringMatching(/^run\.repo: "ext::" names a git remote helper/),
    });
    expect(n.manager.snapshot().sessions).toEqual([]);
    expect(filesWith(n.dir, TOKEN)).toEqual([]);
  });
});
