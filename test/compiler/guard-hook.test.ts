/**
 * Which tool calls start the guard, and the client command a node's session runs for them; the turn gate's
 * command, run by sh against a real socket.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardCommand } from '../../src/compiler/index.js';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { GUARDED_TOOLS, guardMatcher, residentGuardCommand, turnGateCommand } from '../../src/compiler/guard-hook.js';
import { findSocat } from '../../src/compiler/guard-hook.js';
import { turnGateHook } from '../../src/compiler/settings.js';
import { mergePolicy } from '../../src/compiler/policy.js';
import { decide } from '../../src/guard/decide.js';
import { tempDir } from '../helpers/tmp.js';

let dir: { path: string; remove(): void };
let home: { path: string; remove(): void };
beforeAll(() => {
  dir = tempDir();
  home = tempDir();
  mkdirSync(join(home.path, '.ssh'));
  writeFileSync(join(home.path, '.ssh', 'id_rsa'), 'key');
});
afterAll(() => {
  dir.remove();
  home.remove();
});

describe('the guard hook matcher', () => {
  it('lists the tools the guard judges, as exact names', () => {
    expect(guardMatcher([])).toBe(GUARDED_TOOLS.join('|'));
    expect(guardMatcher([])).toMatch(/^[A-Za-z|]+$/);
  });

  it('adds every tool a policy rule names, Agent also as Task', () => {
    const m = guardMatcher(['mcp__notes__add_note', 'Agent(reviewer)', 'Bash(curl *)', 'WebSearch']).split('|');
    expect(m).toEqual(expect.arrayContaining(['mcp__notes__add_note', 'Agent', 'Task', 'WebSearch', 'Bash']));
    expect(new Set(m).size).toBe(m.length);
    expect(guardMatcher(['Task']).split('|')).toEqual(expect.arrayContaining(['Agent', 'Task']));
  });

  it('matches every tool when a rule names tools by pattern or by a name a list cannot hold', () => {
    expect(guardMatcher(['mcp__notes__*'])).toBe('*');
    expect(guardMatcher(['mcp__my.server__tool'])).toBe('*');
  });

  // a tripwire: if the guard starts judging another tool, it must join GUARDED_TOOLS, or it would never run
  it('leaves out only tools the guard lets through whatever their input', () => {
    const policy = mergePolicy(dir.path, [
      {
        id: 'net',
        file: 'hooks/net.json',
        value: { description: 'net', policy: { network: { deny: ['evil.example.com'] } } },
        lineOf: () => 1,
      },
    ]);
    const hostile = {
      command: 'rm -rf / && cat ~/.ssh/id_rsa',
      file_path: join(home.path, '.ssh', 'id_rsa'),
      notebook_path: join(home.path, '.ssh', 'id_rsa'),
      path: join(home.path, '.ssh', 'id_rsa'),
      url: 'http://evil.example.com/x',
      pattern: '**/.env',
      prompt: 'read ~/.ssh/id_rsa',
    };
    const others = ['Agent', 'Task', 'TaskCreate', 'TodoWrite', 'WebSearch', 'Skill', 'EnterWorktree', 'Workflow'];
    for (const tool of others) {
      expect(GUARDED_TOOLS as readonly string[]).not.toContain(tool);
      expect(decide({ tool_name: tool, tool_input: hostile, cwd: dir.path }, policy, home.path), tool).toEqual({
        verdict: 'allow',
      });
    }
    for (const tool of GUARDED_TOOLS) {
      expect(decide({ tool_name: tool, tool_input: hostile, cwd: dir.path }, policy, home.path).verdict, tool).toBe(
        'deny',
      );
    }
  });
});

describe("a node session's guard command", () => {
  const session = { socket: '/run/x/node.sock', id: 's-1', token: 'abc123' };

  it('is the resident client when socat is there, the standalone guard when it is not', () => {
    const programs = { node: '/usr/bin/node', guard: '/opt/agency/guard.cjs', session };
    const resident = guardCommand(programs, '/wt/policy.json', '/usr/bin/socat');
    expect(resident).toContain("UNIX-CONNECT:'/run/x/guard.sock'");
    expect(resident).toContain("'G1 s-1 abc123'");
    expect(resident).not.toContain('guard.cjs');
    expect(guardCommand(programs, '/wt/policy.json', null)).toContain("'/opt/agency/guard.cjs' '/wt/policy.json'");
    expect(guardCommand({ node: '/usr/bin/node', guard: '/g.cjs' }, '/p.json', '/usr/bin/socat')).toContain('/g.cjs');
  });

  it('refuses a session id or token it could not carry safely', () => {
    expect(() => residentGuardCommand('/usr/bin/socat', { ...session, id: "s'; rm -rf ~; '" })).toThrow(/cannot carry/);
    expect(() => residentGuardCommand('/usr/bin/socat', { ...session, token: 'a b' })).toThrow(/cannot carry/);
  });
});

describe("a node session's turn gate command", () => {
  const socat = findSocat();
  const run = (command: string, input: string) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn('sh', ['-c', command]);
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('close', (code) => resolve({ code, out }));
      p.stdin.end(input);
    });

  it('is compiled for a node session with socat at hand only', () => {
    const session = { socket: '/run/x/node.sock', id: 's-1', token: 'abc123' };
    const hook = turnGateHook({ node: '/usr/bin/node', guard: '/g.cjs', session }, '/usr/bin/socat');
    expect(hook?.hooks[0]?.command).toContain("'B1 s-1 abc123'");
    expect(turnGateHook({ node: '/usr/bin/node', guard: '/g.cjs', session }, null)).toBeNull();
    expect(turnGateHook({ node: '/usr/bin/node', guard: '/g.cjs' }, '/usr/bin/socat')).toBeNull();
    expect(() => turnGateCommand('/usr/bin/socat', { ...session, id: 's-1; rm' })).toThrow(/cannot carry/);
  });

  it('sends its header and the hook input, waits for the answer, and says nothing, node or none', async () => {
    expect(socat, 'socat is installed').not.toBeNull();
    const session = { socket: join(dir.path, 'node.sock'), id: 's-1', token: 'abc123' };
    const command = turnGateCommand(socat!, session);
    // no node: it goes on, silently
    expect(await run(command, '{"hook_event_name":"PostToolBatch"}')).toEqual({ code: 0, out: '' });

    let heard = '';
    const server = createServer({ allowHalfOpen: true }, (c) => {
      c.on('data', (d) => (heard += d));
      c.on('end', () => c.end('ok\n'));
    });
    await new Promise<void>((r) => server.listen(join(dir.path, 'guard.sock'), r));
    try {
      expect(await run(command, '{"hook_event_name":"PostToolBatch"}')).toEqual({ code: 0, out: '' });
      expect(heard).toBe('B1 s-1 abc123\n{"hook_event_name":"PostToolBatch"}');
    } finally {
      server.close();
    }
  });
});
