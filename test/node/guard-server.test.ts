/**
 * The node's resident guard, spoken to over its real Unix socket the way the compiled client speaks
 * (a header line, the hook input, then the end of the client's half): the verdicts of guard/decide.ts,
 * for the session whose token it is given only, and a denial for anything it cannot judge.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergePolicy } from '../../src/compiler/policy.js';
import { ASK_PREFIX } from '../../src/compiler/guard-hook.js';
import { answerFor, startGuardServer, type GuardServer } from '../../src/node/guard-server.js';
import { parsePolicy } from '../../src/guard/policy.js';
import { tempDir } from '../helpers/tmp.js';

let dir: { path: string; remove(): void };
let server: GuardServer;
let socket: string;
let policyPath: string;
const sessions = new Map<string, string>(); // id → token

function writePolicy(extraDeny: { pattern: string; reason: string }[] = []): void {
  const p = mergePolicy(dir.path, []);
  p.denyCommands.push(...extraDeny);
  writeFileSync(policyPath, JSON.stringify(p));
}

beforeEach(async () => {
  dir = tempDir();
  mkdirSync(join(dir.path, 'run'));
  socket = join(dir.path, 'run', 'guard.sock');
  policyPath = join(dir.path, 'policy.json');
  writePolicy();
  sessions.clear();
  sessions.set('s-1', 'token-one');
  server = await startGuardServer({
    socket,
    home: dir.path,
    maxBytes: 64 * 1024,
    policyFor(id, token) {
      // as the node gives it: the policy it compiled for the session, or null for a pair it does not know
      return sessions.get(id) === token ? parsePolicy(readFileSync(policyPath, 'utf8')) : null;
    },
  });
});
afterEach(async () => {
  await server.close();
  dir.remove();
});

/** Sends raw bytes, ends the client's half, and resolves with the whole answer. */
function exchange(data: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(socket);
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('close', () => resolve(out));
    c.end(data);
  });
}
const bash = (command: string) =>
  JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, cwd: dir.path });
const ask = (input: string, id = 's-1', token = 'token-one') => exchange(`G1 ${id} ${token}\n${input}`);

describe('the resident guard', () => {
  it('allows what the guard allows and denies what it forbids, with the reason', async () => {
    expect(await ask(bash('ls -la'))).toBe('allow\n');
    const denied = await ask(bash('rm -rf /'));
    expect(denied).toMatch(/^deny agency guard blocked this call: .*whole worktree/);
    expect(denied.endsWith('\n')).toBe(true);
  });

  it('answers only for the session whose token it is given', async () => {
    sessions.set('s-2', 'token-two');
    expect(await ask(bash('ls'), 's-1', 'token-two')).toMatch(/^deny .*no session s-1 with this token/);
    expect(await ask(bash('ls'), 's-3', 'token-one')).toMatch(/^deny .*no session s-3/);
    expect(await ask(bash('ls'), 's-2', 'token-two')).toBe('allow\n');
  });

  it('denies what it cannot read: no header, another language, malformed input, too much of it', async () => {
    expect(await exchange(bash('ls'))).toMatch(/^deny .*no header/);
    expect(await exchange(`G2 s-1 token-one\n${bash('ls')}`)).toMatch(/^deny .*language/);
    expect(await exchange(`G1 s-1 token-one extra\n${bash('ls')}`)).toMatch(/^deny .*language/);
    expect(await ask('{not json')).toMatch(/^deny .*malformed hook input/);
    expect(await ask('null')).toMatch(/^deny .*could not be read/);
    expect(await ask(bash(`echo ${'x'.repeat(70 * 1024)}`))).toMatch(/^deny .*larger than the guard reads/);
    expect(await exchange('')).toMatch(/^deny /);
  });

  it('denies when the policy is missing or malformed', async () => {
    writeFileSync(policyPath, '{"version": 1, "root": "relative"}');
    expect(await ask(bash('ls'))).toMatch(/^deny .*malformed/);
    rmSync(policyPath);
    expect(await ask(bash('ls'))).toMatch(/^deny .*cannot read the policy of session s-1: ENOENT/);
  });

  it('judges each call by the policy the node has for the session at the time', async () => {
    expect(await ask(bash('shutdown now'))).toBe('allow\n');
    writePolicy([{ pattern: '\\bshutdown\\b', reason: 'no shutting down' }]);
    expect(await ask(bash('shutdown now'))).toMatch(/^deny .*no shutting down/);
    writePolicy();
    expect(await ask(bash('shutdown now'))).toBe('allow\n');
  });

  it('answers many calls at once, each its own verdict', async () => {
    const calls = Array.from({ length: 40 }, (_, i) => (i % 2 ? bash('rm -rf /') : bash(`echo ${i}`)));
    const answers = await Promise.all(calls.map((c) => ask(c)));
    answers.forEach((a, i) => expect(a.startsWith(i % 2 ? 'deny ' : 'allow')).toBe(true));
  });
});

describe('its answers', () => {
  it('put an escalation in the one shape the client passes on', () => {
    const a = answerFor({ verdict: 'ask', reason: 'a shell fed a script on stdin' });
    expect(a.startsWith(ASK_PREFIX)).toBe(true);
    const out = JSON.parse(a.slice('ask '.length));
    expect(out.hookSpecificOutput).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'ask',
      permissionDecisionReason: 'a shell fed a script on stdin',
    });
  });
});
