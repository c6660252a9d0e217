/**
 * A node session's guard hook (sh and socat to the node's resident guard) under the real Claude Code CLI:
 * it lets through what the node allows, and blocks, with a reason, every call the node does not
 * explicitly allow: no node listening, an answer it does not know, a node that never answers.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileInto, guardSocketOf, POLICY_FILE } from '../../src/compiler/index.js';
import { GATE_HELLO } from '../../src/compiler/guard-hook.js';
import { guardScriptPath } from '../../src/paths/package.js';
import { parsePolicy } from '../../src/guard/policy.js';
import { loadRegistry } from '../../src/registry/index.js';
import { startGuardServer } from '../../src/node/guard-server.js';
import { processTree } from '../../src/session/process-tree.js';
import { startScriptedApi, type Reply, type Step } from '../fixtures/messages-api.js';
import { isolatedHome, runClaudePrint } from '../helpers/claude.js';
import { deferAfterEach } from '../helpers/defer.js';
import { MIN_REGISTRY, testNode, type TestNode } from '../helpers/node.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();
const SESSION = { id: 's-guard1', token: 'f00dfeed' };

/** A worktree compiled as the node compiles a session's, with the node's run folder beside it. */
function compiled(registry = MIN_REGISTRY): { wt: string; socket: string; guardSocket: string } {
  // short: a Unix socket's path must fit in ~104 bytes
  const t = tempDir('ag-');
  defer(t.remove);
  const wt = join(t.path, 'wt');
  mkdirSync(join(t.path, 'run'), { mode: 0o700 });
  execFileSync('git', ['init', '-q', wt]);
  writeFileSync(join(wt, 'README.md'), 'fixture\n');
  mkdirSync(join(wt, 'secrets'));
  writeFileSync(join(wt, 'secrets', 'key'), 'hunter2\n');
  const socket = join(t.path, 'run', 'node.sock');
  compileInto(
    wt,
    loadRegistry(registry),
    { discipline: 'backend', task: 'guarded task' },
    { programs: { node: process.execPath, guard: guardScriptPath(), session: { socket, ...SESSION } } },
  );
  return { wt, socket, guardSocket: guardSocketOf(socket) };
}

/** A stand-in node on the guard socket: each connection gets the next answer, once the client has sent all. */
function fakeNode(path: string, answers: (string | null)[]): Promise<Server> {
  let next = 0;
  const open: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (c) => {
    open.push(c);
    c.on('error', () => undefined);
    let heard = '';
    c.on('data', (d) => (heard += d));
    c.on('end', () => {
      // the turn gate's hook (PostToolBatch) on the same socket is let go at once
      if (heard.startsWith(`${GATE_HELLO} `)) return void c.end('ok\n');
      const answer = answers[next++];
      if (answer !== null && answer !== undefined) c.end(answer);
    });
  });
  defer(
    () =>
      new Promise<void>((r) => {
        for (const c of open) c.destroy();
        server.close(() => r());
      }),
  );
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

async function run(wt: string, steps: Step[], timeoutMs = 60_000, args = ['--strict-mcp-config']) {
  const api = await startScriptedApi({ steps: [...steps, { text: 'done' }] });
  defer(() => api.close());
  const home = await isolatedHome(api.url);
  defer(() => home.cleanup());
  const r = await runClaudePrint({
    cwd: wt,
    prompt: 'do the task',
    env: { ...home.env, AGENCY_TEST_FIXTURES: join(MIN_REGISTRY, '..') },
    args,
    timeoutMs,
  });
  expect(r.code, r.stderr).toBe(0);
  return api.toolResults();
}

/** the policy compiled into a worktree, as the node keeps it for the session */
const policyOf = (wt: string) => parsePolicy(readFileSync(join(wt, POLICY_FILE), 'utf8'));

const touch = (f: string): Reply => ({ tool: 'Bash', input: { command: `touch ${f}`, description: 'make a file' } });

describe("a node session's guard hook", () => {
  it(
    'is the resident client, and the node answers it: allowed calls run, forbidden ones are blocked with the reason',
    {
      timeout: 90_000,
    },
    async () => {
      const { wt, guardSocket } = compiled();
      const settings = readFileSync(join(wt, '.claude/settings.json'), 'utf8');
      expect(settings).toContain('socat');
      expect(settings).not.toContain('guard.cjs');
      const server = await startGuardServer({
        socket: guardSocket,
        home: wt,
        policyFor: (id, token) => (id === SESSION.id && token === SESSION.token ? policyOf(wt) : null),
      });
      defer(() => server.close());
      const results = await run(wt, [
        touch('made.txt'),
        { tool: 'Bash', input: { command: 'cat secrets/key', description: 'read' } },
        { tool: 'Bash', input: { command: 'shutdown -h now', description: 'stop' } },
      ]);
      expect(existsSync(join(wt, 'made.txt'))).toBe(true);
      expect(results[0]?.isError).toBe(false);
      expect(results[1]?.isError).toBe(true);
      expect(results[1]?.content).toMatch(/agency guard blocked this call: .*secret file/);
      expect(results[1]?.content).not.toContain('hunter2');
      expect(results[2]?.content).toMatch(/agency guard blocked this call: .*shutting the machine down/);
    },
  );

  it('blocks every call, with a reason, when no node listens', { timeout: 60_000 }, async () => {
    const { wt } = compiled();
    const results = await run(wt, [touch('one.txt'), touch('two.txt')]);
    expect(existsSync(join(wt, 'one.txt'))).toBe(false);
    expect(existsSync(join(wt, 'two.txt'))).toBe(false);
    for (const r of results) {
      expect(r.isError).toBe(true);
      expect(r.content).toMatch(/agency guard: the node did not answer at .*guard\.sock.*the call is blocked/);
    }
  });

  it('blocks on any answer but an explicit allow', { timeout: 60_000 }, async () => {
    const { wt, guardSocket } = compiled();
    const garbage = ['allowed\n', 'allow\nallow\n', 'ALLOW\n', 'ask {"continue":true}\n', ' allow\n', '{}\n', ''];
    await fakeNode(guardSocket, garbage);
    const results = await run(
      wt,
      garbage.map((_, i) => touch(`g${i}.txt`)),
    );
    expect(results).toHaveLength(garbage.length);
    garbage.forEach((_, i) => {
      expect(existsSync(join(wt, `g${i}.txt`))).toBe(false);
      expect(results[i]?.isError).toBe(true);
      expect(results[i]?.content).toMatch(/the call is blocked/);
    });
  });

  it('blocks when the node takes the call and never answers', { timeout: 90_000 }, async () => {
    const { wt, guardSocket } = compiled();
    await fakeNode(guardSocket, [null]);
    const results = await run(wt, [touch('late.txt')], 80_000);
    expect(existsSync(join(wt, 'late.txt'))).toBe(false);
    expect(results[0]?.isError).toBe(true);
    expect(results[0]?.content).toMatch(/the node did not answer/);
  });

  it('starts only for the tools the guard judges and those a policy rule names', { timeout: 60_000 }, async () => {
    // the fixture registry, with a policy rule against the notes server's tool
    const t = tempDir('agency-registry-');
    defer(t.remove);
    cpSync(MIN_REGISTRY, t.path, { recursive: true });
    const hooks = join(t.path, 'hooks/guard.json');
    const h = JSON.parse(readFileSync(hooks, 'utf8'));
    h.approvals.deny.push({ rule: 'mcp__notes__add_note', reason: 'notes are read-only here' });
    writeFileSync(hooks, JSON.stringify(h));
    const { wt, guardSocket } = compiled(t.path);
    const asked: string[] = [];
    const server = await startGuardServer({
      socket: guardSocket,
      home: wt,
      policyFor: (id) => {
        asked.push(id);
        return policyOf(wt);
      },
    });
    defer(() => server.close());
    const results = await run(
      wt,
      [touch('made.txt'), { tool: 'TaskList', input: {} }, { tool: 'mcp__notes__add_note', input: { text: 'hello' } }],
      60_000,
      [],
    );
    expect(results[0]?.isError).toBe(false);
    expect(results[1]?.isError).toBe(false);
    expect(results[2]?.isError).toBe(true);
    expect(results[2]?.content).toMatch(/agency policy denies this \(mcp__notes__add_note\): notes are read-only here/);
    // Bash and the notes tool: TaskList started no guard
    expect(asked).toHaveLength(2);
  });

  it(
    'in a session on a real node: a call after the node died is blocked with the reason',
    { timeout: 90_000 },
    async () => {
      let tree: number[] = [];
      const n: TestNode = await testNode({
        steps: [
          touch('before.txt'),
          () => {
            // the node dies between two calls of its session (its claude lives on)
            const pid = n.daemonPid()!;
            tree = processTree(pid);
            process.kill(pid, 'SIGKILL');
            return touch('after.txt');
          },
          { text: 'done' },
        ],
      });
      defer(async () => {
        for (const p of tree) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            // gone already
          }
        }
        await n.cleanup();
      });
      const r = await n.agency(['run', 'make two files', '--discipline', 'backend', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const wt = JSON.parse(r.stdout).worktree as string;
      expect(readFileSync(join(wt, '.claude/settings.json'), 'utf8')).toContain('guard.sock');
      await n.api.waitForStep(2, 60_000);
      const results = n.api.toolResults();
      expect(existsSync(join(wt, 'before.txt'))).toBe(true);
      expect(results[0]?.isError).toBe(false);
      expect(existsSync(join(wt, 'after.txt'))).toBe(false);
      expect(results[1]?.isError).toBe(true);
      expect(results[1]?.content).toMatch(
        /agency guard: the node did not answer at .*guard\.sock.*the call is blocked/,
      );
    },
  );
});
