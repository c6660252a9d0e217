/**
 * agency's MCP server under the real Claude Code CLI (pinned), against the scripted Messages API: Claude Code
 * starts it from the compiled .mcp.json, asks nobody about it or its tools, and a call reaches the session's
 * node, whose answer is the tool_result the API receives. Headless (`-p`) in a compiled worktree before a real
 * node server, and interactive, in a session the node daemon runs in a terminal.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileInto } from '../../src/compiler/index.js';
import { sessionDir } from '../../src/node/ids.js';
import { guardScriptPath, mcpServerPath } from '../../src/paths/package.js';
import { nodePaths } from '../../src/paths/node-home.js';
import { Connection, RemoteError } from '../../src/protocol/connection.js';
import { loadRegistry } from '../../src/registry/index.js';
import { startScriptedApi, type Scenario } from '../fixtures/messages-api.js';
import { isolatedHome, runClaudePrint } from '../helpers/claude.js';
import { deferAfterEach } from '../helpers/defer.js';
import { offlineNode } from '../helpers/node-server.js';
import { MIN_REGISTRY, testNode } from '../helpers/node.js';
import { tempDir } from '../helpers/tmp.js';
import type { RecordedRequest } from '../fixtures/messages-api.js';
import { lastToolExchange, reacting } from '../helpers/worker-scripts.js';

const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
const defer = deferAfterEach();
const SESSION = 's-3c4d';

/** A call the manager makes, and the end of its turn. */
const checksItsWorkers: Scenario = {
  steps: [{ tool: 'mcp__agency__worker_status', input: { run: 'r-1' } }, { text: 'checked' }],
};

/** What the node answers worker-status for r-1, asked on a connection of the session's own. */
async function nodeAnswer(socket: string, session: string, token: string): Promise<string> {
  const conn = new Connection(connect(socket), { role: 'hook', agent: 'test', session, token });
  await conn.ready;
  try {
    return JSON.stringify(await conn.request('worker-status', { session, run: 'r-1' }));
  } catch (e) {
    if (!(e instanceof RemoteError)) throw e;
    return e.message;
  } finally {
    conn.close();
  }
}

/** A repository with one commit and a linked worktree of it, as a session has. */
function worktree(): string {
  const t = tempDir('agency-mcp-e2e-');
  defer(t.remove);
  const main = join(t.path, 'main');
  const git = (...a: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...a], { stdio: 'ignore' });
  git('init', '-q', '-b', 'main', main);
  writeFileSync(join(main, 'README.md'), 'fixture\n');
  git('-C', main, 'add', '-A');
  git('-C', main, 'commit', '-q', '-m', 'init');
  const wt = join(t.path, 'wt');
  git('-C', main, 'worktree', 'add', '-q', '-b', 'task-1', wt);
  return wt;
}

describe("agency's MCP server in a session", () => {
  it(
    'is started by claude -p from the compiled .mcp.json, and a call is answered by the node, with no prompt',
    { timeout: 90_000 },
    async () => {
      const node = offlineNode('agency-mcp-p-');
      await node.listen();
      defer(() => node.close());
      const token = node.tokens.token(SESSION);
      const wt = worktree();
      compileInto(
        wt,
        loadRegistry(MIN_REGISTRY),
        { discipline: 'backend', task: 'check on the workers' },
        {
          programs: {
            node: process.execPath,
            guard: guardScriptPath(),
            mcp: mcpServerPath(),
            session: { socket: node.paths.socket, id: SESSION, token },
          },
        },
      );
      const api = await startScriptedApi(checksItsWorkers);
      defer(() => api.close());
      const home = await isolatedHome(api.url);
      defer(() => home.cleanup());
      const run = await runClaudePrint({
        cwd: wt,
        prompt: 'check on the workers',
        env: { ...home.env, AGENCY_TEST_FIXTURES: FIXTURES },
        timeoutMs: 60_000,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.init.mcp_servers).toContainEqual({ name: 'agency', status: 'connected' });
      expect(run.init.tools).toEqual(
        expect.arrayContaining([
          'mcp__agency__spawn_workers',
          'mcp__agency__wait_workers',
          'mcp__agency__worker_status',
          'mcp__agency__merge_workers',
        ]),
      );
      // allowed by the compiled local settings in a worktree nobody trusted: no denial
      expect(run.result.permission_denials).toEqual([]);
      const answer = await nodeAnswer(node.paths.socket, SESSION, token);
      expect(answer).toMatch(/^no run "r-[0-9a-f]+" of session s-[0-9a-f]+ on node /);
      expect(api.toolResults()).toEqual([{ toolUseId: expect.any(String), content: answer, isError: true }]);
      expect(run.result.result).toBe('checked');
    },
  );

  it(
    'is used by a session the node runs in a terminal with no approval dialog for it, and its call reaches the node',
    { timeout: 180_000 },
    async () => {
      // Claude Code connects MCP servers as the session starts: its first request may come before agency's
      // tools are listed (a model then waits for them with Claude Code's own tool); this manager reads a file
      // first then, and calls the tool once it is offered
      const offered = (r: RecordedRequest) =>
        (r.body?.tools ?? []).some((t: { name: string }) => t.name === 'mcp__agency__worker_status');
      const n = await testNode({
        steps: [],
        route: () =>
          reacting((ctx) => {
            if (lastToolExchange(ctx)?.tool === 'mcp__agency__worker_status') return { text: 'checked' };
            if (offered(ctx.request)) return { tool: 'mcp__agency__worker_status', input: { run: 'r-1' } };
            return { tool: 'Read', input: { file_path: `${ctx.cwd}/README.md` } };
          }),
      });
      defer(() => n.cleanup());
      // the repository brings a server of its own, which nobody approved: Claude Code asks about that one
      // (and the node's screen rules answer), which shows that this session's screen would show the dialog
      writeFileSync(
        join(n.repo, '.mcp.json'),
        JSON.stringify({
          mcpServers: {
            extra: { type: 'stdio', command: process.execPath, args: [join(FIXTURES, 'mcp-notes-server.mjs')] },
          },
        }),
      );
      execFileSync('git', ['-C', n.repo, 'add', '.mcp.json'], { env: n.env });
      execFileSync('git', ['-C', n.repo, 'commit', '-q', '-m', 'a server of its own'], { env: n.env });
      const started = await n.agency(['run', 'check on the workers', '--discipline', 'backend', '--json']);
      expect(started.code, started.stderr).toBe(0);
      const { session, worktree: wt } = JSON.parse(started.stdout);
      const done = await n.agency(['wait', session, '--timeout', '120'], { timeoutMs: 130_000 });
      expect(done.code, done.stdout + done.stderr + (await n.agency(['screen', session])).stdout).toBe(0);

      const [, socket, id, token] = JSON.parse(readFileSync(join(wt, '.mcp.json'), 'utf8')).mcpServers.agency.args;
      expect(id).toBe(session);
      // its tools were offered in full, not behind tool search (alwaysLoad)
      const offering = n.api.requests.find((r) => r.kind === 'main' && offered(r));
      expect(offering?.body.tools.map((t: { name: string }) => t.name)).toEqual(
        expect.arrayContaining(['mcp__agency__spawn_workers', 'mcp__agency__wait_workers']),
      );
      const answer = await nodeAnswer(socket, id, token);
      expect(n.api.toolResults()).toContainEqual({ toolUseId: expect.any(String), content: answer, isError: true });
      // nothing was put to the operator
      expect(JSON.parse((await n.agency(['decisions', '--json'])).stdout).decisions).toEqual([]);
      // what the session's terminal showed, as text: the dialog about the repository's own server, and none about agency's
      const dir = sessionDir(nodePaths(n.agencyHome).sessions, session);
      const shown = readdirSync(dir)
        .filter((f) => /^output-\d+\.bin$/.test(f))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('')
        .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, ' ');
      expect(shown).toMatch(/New MCP server found in this project: extra/);
      // had agency's server not been approved, one dialog would have listed both (or one named agency)
      expect(shown).not.toMatch(/MCP servers found in this project/i);
      expect(shown).not.toMatch(/MCP server found in this project: agency/i);
    },
  );
});
