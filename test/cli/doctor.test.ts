/**
 * `agency doctor` as an operator meets it: one line per check, each failing one saying what to do, exit 1
 * when any fails. The checks run against the real things: the pinned Claude Code CLI (or none on the PATH),
 * git with a HOME of the test's own, the machine's sandbox, a real local node daemon, and a configured
 * remote node on a port of 127.0.0.1 where nothing listens.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSandbox } from '../../src/node/sandbox-check.js';
import { CLAUDE_BIN } from '../helpers/claude.js';
import { deferAfterEach } from '../helpers/defer.js';
import { agencyAsync, closedPort, operatorEnv, sshKey } from '../helpers/operator.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix: string | null;
}

/** A fresh operator: HOME, config and AGENCY_HOME in a temporary folder (short: the node's socket is in it). */
function operator(extra: NodeJS.ProcessEnv = {}) {
  const dir = tempDir('ag-dr-');
  defer(() => dir.remove());
  const env = operatorEnv(dir.path, extra);
  mkdirSync(env.AGENCY_HOME!, { recursive: true, mode: 0o700 });
  return { dir: dir.path, env };
}

async function doctor(env: NodeJS.ProcessEnv) {
  const json = await agencyAsync(['doctor', '--json'], env);
  const text = await agencyAsync(['doctor'], env);
  const doc = JSON.parse(json.stdout) as { schema: number; ok: boolean; checks: Check[] };
  const check = (name: string) => {
    const c = doc.checks.find((x) => x.name === name);
    if (!c) throw new Error(`no check ${name} in ${json.stdout}`);
    return c;
  };
  return { json, text, doc, check };
}

const gitIdentity = (env: NodeJS.ProcessEnv) => {
  execFileSync('git', ['config', '--global', 'user.name', 'Ada Operator'], { env });
  execFileSync('git', ['config', '--global', 'user.email', 'ada@example.invalid'], { env });
};

const sandboxOk = checkSandbox().mode !== 'unavailable';

describe('agency doctor', () => {
  it('names what is missing (claude on the PATH, a key, a git identity), each with what to do, and exits 1', async () => {
    const { env } = operator({ PATH: '/usr/bin:/bin' });
    const { json, text, doc, check } = await doctor(env);
    expect(json.code).toBe(1);
    expect(text.code).toBe(1);
    expect(Object.keys(doc)).toEqual(['schema', 'ok', 'checks']);
    expect(doc.schema).toBe(1);
    expect(doc.ok).toBe(false);
    expect(check('claude')).toEqual({
      name: 'claude',
      ok: false,
      detail: "claude is not an executable file on the PATH, so this machine's node cannot start sessions",
      fix: `install Claude Code (npm install -g @anthropic-ai/claude-code), or set AGENCY_CLAUDE_BIN to its path in ${env.AGENCY_HOME}/node.env`,
    });
    expect(check('key')).toMatchObject({ ok: false, fix: expect.stringContaining('agency init') });
    expect(check('key').detail).toContain('no ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN');
    expect(check('git identity')).toEqual({
      name: 'git identity',
      ok: false,
      detail: 'git has no user.name or user.email: sessions could not commit their work',
      fix: 'git config --global user.name "Your Name"; git config --global user.email you@example.com',
    });
    expect(check('git')).toMatchObject({ ok: true, detail: expect.stringMatching(/^\d+\.\d+.* \(\/usr\/bin\/git\)$/) });
    expect(check('config').detail).toBe('no nodes configured: this machine is the one node (local)');
    expect(check('node local')).toMatchObject({ ok: true, detail: expect.stringContaining('not running now') });
    // one line per check, in the same order, the failing ones with what to do
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(doc.checks.length);
    doc.checks.forEach((c, i) => {
      expect(lines[i]).toBe(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}${c.fix ? `; to fix: ${c.fix}` : ''}`);
    });
    expect(text.stderr).toBe('');
  });

  it('passes a machine with claude, a key in node.env and a git identity, never showing the key', async () => {
    const key = 'sk-ant-api03-doctor-test-key-0123456789';
    const { env } = operator();
    writeFileSync(join(env.AGENCY_HOME!, 'node.env'), `AGENCY_CLAUDE_BIN=${CLAUDE_BIN}\nANTHROPIC_API_KEY=${key}\n`, {
      mode: 0o600,
    });
    gitIdentity(env);
    const { json, text, doc, check } = await doctor(env);
    const version = execFileSync(CLAUDE_BIN, ['--version'], { encoding: 'utf8' }).trim();
    expect(check('claude')).toEqual({ name: 'claude', ok: true, detail: `${version} (${CLAUDE_BIN})`, fix: null });
    expect(check('key')).toEqual({
      name: 'key',
      ok: true,
      detail: `ANTHROPIC_API_KEY in ${env.AGENCY_HOME}/node.env`,
      fix: null,
    });
    expect(check('git identity')).toMatchObject({ ok: true, detail: 'Ada Operator <ada@example.invalid>' });
    expect(check('sandbox').ok).toBe(sandboxOk);
    expect(doc.ok).toBe(sandboxOk);
    expect(json.code).toBe(sandboxOk ? 0 : 1);
    for (const out of [json.stdout, json.stderr, text.stdout, text.stderr]) expect(out).not.toContain(key);
  });

  it('reports a configured node that is down, or silent, as a failing line, and goes on with the others', async () => {
    const { dir, env } = operator({ PATH: '/usr/bin:/bin' });
    const port = await closedPort();
    // a host that takes the connection and never says a word
    const taken: Socket[] = [];
    const silent = createServer((s) => void taken.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    defer(() => {
      for (const s of taken) s.destroy();
      return new Promise((r) => silent.close(r));
    });
    const mute = (silent.address() as AddressInfo).port;
    const key = sshKey(join(dir, 'id_test'));
    mkdirSync(join(dir, '.config', 'agency'), { recursive: true });
    writeFileSync(
      env.AGENCY_CONFIG!,
      JSON.stringify({
        nodes: [
          { name: 'box1', host: '127.0.0.1', port, identityFile: key },
          { name: 'mute', host: '127.0.0.1', port: mute, identityFile: key },
        ],
      }),
    );
    const started = Date.now();
    const { json, check, doc } = await doctor(env);
    // twice (JSON and text), each within the short SSH timeout of 5 s
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    const box = check('node box1');
    expect(box.ok).toBe(false);
    expect(box.detail).toMatch(/^down: .*(ECONNREFUSED|refused)/);
    expect(box.fix).toContain('agency push --node box1');
    // this machine is not a node of that fleet: its claude and key are not needed
    expect(check('node mute')).toMatchObject({ ok: false, detail: expect.stringMatching(/^down: .*timed out/i) });
    expect(check('config').detail).toBe(
      '2 nodes: box1, mute (this machine is not one of them; agency nodes add local --local adds it)',
    );
    expect(check('claude')).toMatchObject({ ok: true, detail: expect.stringContaining('not needed here') });
    expect(doc.checks.map((c) => c.name)).toEqual([
      'claude',
      'key',
      'git',
      'git identity',
      'config',
      'node box1',
      'node mute',
    ]);
  });

  it('says when the running local node lacks the key this shell has', async () => {
    const { env } = operator({ AGENCY_CLAUDE_BIN: CLAUDE_BIN });
    gitIdentity(env);
    // the node started from a shell without a key, as an earlier `agency status` may have started it
    const start = await agencyAsync(['node', 'start'], env);
    expect(start.code, start.stderr).toBe(0);
    defer(() => agencyAsync(['node', 'stop'], env));
    const key = 'sk-ant-api03-shell-only-key-9876543210';
    const withKey = { ...env, ANTHROPIC_API_KEY: key };
    const { json, check } = await doctor(withKey);
    expect(json.code).toBe(1);
    // the node reports that it has neither key nor login; the line after it says why, and what to do here
    expect(check('node local')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^up: agent .*; it has no key and no Claude Code login/),
    });
    expect(check('node local key')).toEqual({
      name: 'node local key',
      ok: false,
      detail:
        'the running local node has no key, though this shell has one: it started without it, and its sessions cannot log in',
      fix: `put the key in ${env.AGENCY_HOME}/node.env (agency init offers to), then restart the node: agency node stop`,
    });
    expect(check('key').detail).toContain('ANTHROPIC_API_KEY in this shell');
    expect(json.stdout).not.toContain(key);
    // a shell without a key has nothing to say about it
    const { doc } = await doctor(env);
    expect(doc.checks.some((c) => c.name === 'node local key')).toBe(false);
  });

  it('reports a configuration it cannot read, and does not reach for nodes', async () => {
    const { env } = operator();
    mkdirSync(join(env.HOME!, '.config', 'agency'), { recursive: true });
    writeFileSync(env.AGENCY_CONFIG!, '[1, 2]');
    const { json, check, doc } = await doctor(env);
    expect(json.code).toBe(1);
    expect(check('config')).toMatchObject({
      ok: false,
      detail: `${env.AGENCY_CONFIG}: the configuration must be a JSON object, like {"nodes": []}, not a list`,
      fix: 'fix the file, or move it away and run agency init',
    });
    expect(doc.checks.some((c) => c.name.startsWith('node'))).toBe(false);
  });
});
