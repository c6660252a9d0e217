/**
 * `agency init`: asks before it writes (in a real terminal, through a PTY), refuses where it cannot ask
 * unless told --yes, never replaces a file that is there, adds a key to a node.env only where it has none,
 * keeps that file readable by its user alone, and never shows the key.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node-pty';
import { describe, expect, it } from 'vitest';
import { AGENCY_BIN } from '../helpers/agency.js';
import { deferAfterEach } from '../helpers/defer.js';
import { agencyAsync, operatorEnv } from '../helpers/operator.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();
const KEY = 'sk-ant-api03-init-test-key-ABCDEFGHIJ0123456789';

function operator(extra: NodeJS.ProcessEnv = {}) {
  const dir = tempDir('ag-init-');
  defer(() => dir.remove());
  const env = operatorEnv(dir.path, extra);
  return { env, config: env.AGENCY_CONFIG!, nodeEnv: join(env.AGENCY_HOME!, 'node.env') };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('agency init', () => {
  it('refuses to write without a terminal to ask in, unless --yes, and writes nothing', async () => {
    const { env, config, nodeEnv } = operator({ ANTHROPIC_API_KEY: KEY });
    const r = await agencyAsync(['init'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `agency: agency init asks before it writes, and there is no terminal to ask in: run it in one, or pass --yes (it would write ${config} and ${nodeEnv})\n`,
    );
    expect(existsSync(config)).toBe(false);
    expect(existsSync(nodeEnv)).toBe(false);
  });

  it('with --yes writes the config (this machine as a node) and node.env with the key, readable by its user only', async () => {
    const { env, config, nodeEnv } = operator({ ANTHROPIC_API_KEY: KEY });
    const r = await agencyAsync(['init', '--yes', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      schema: 1,
      files: [
        {
          path: config,
          action: 'created',
          detail: 'this machine as the fleet\'s one node ("local"); agency nodes add adds more, and keeps it',
        },
        { path: nodeEnv, action: 'created', detail: 'with ANTHROPIC_API_KEY from this shell, readable by you only' },
      ],
      restartNode: false,
    });
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ nodes: [{ name: 'local', local: true }] });
    expect(readFileSync(nodeEnv, 'utf8').split('\n')).toContain(`ANTHROPIC_API_KEY=${KEY}`);
    expect(mode(nodeEnv)).toBe(0o600);
    expect(mode(config)).toBe(0o600);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    // what it wrote is what the rest of agency reads: the one node is this machine's, and the key is found
    const nodes = JSON.parse((await agencyAsync(['nodes', '--json'], env)).stdout);
    expect(nodes.nodes.map((n: { name: string; transport: string }) => [n.name, n.transport])).toEqual([
      ['local', 'local'],
    ]);
    const doctor = JSON.parse((await agencyAsync(['doctor', '--json'], env)).stdout);
    expect(doctor.checks.find((c: { name: string }) => c.name === 'key').detail).toContain(`in ${nodeEnv}`);
  });

  it('keeps files that are there as they are, byte for byte', async () => {
    const { env, config, nodeEnv } = operator({ ANTHROPIC_API_KEY: KEY });
    mkdirSync(join(env.HOME!, '.config', 'agency'), { recursive: true });
    mkdirSync(env.AGENCY_HOME!, { recursive: true });
    const configText = '{"theme": "light", "nodes": [{"name": "box1", "host": "10.0.0.9"}]}';
    const envText = '# mine\nANTHROPIC_API_KEY=sk-ant-the-one-i-chose\nHTTPS_PROXY=http://proxy:3128\n';
    writeFileSync(config, configText);
    writeFileSync(nodeEnv, envText, { mode: 0o600 });
    const r = await agencyAsync(['init', '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(config, 'utf8')).toBe(configText);
    expect(readFileSync(nodeEnv, 'utf8')).toBe(envText);
    expect(r.stdout).toBe(
      [
        `kept ${config}: it lists box1; this machine is not one of them (agency nodes add local --local adds it)`,
        `kept ${nodeEnv}: it has ANTHROPIC_API_KEY already`,
        'next: agency doctor checks the rest of the set-up',
        '',
      ].join('\n'),
    );
  });

  it("adds the shell's key to a node.env that has none, keeping its lines, and makes it private first", async () => {
    const { env, nodeEnv } = operator({ ANTHROPIC_AUTH_TOKEN: KEY });
    mkdirSync(env.AGENCY_HOME!, { recursive: true });
    writeFileSync(nodeEnv, 'HTTPS_PROXY=http://proxy:3128', { mode: 0o644 });
    const r = await agencyAsync(['init', '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(nodeEnv, 'utf8')).toBe(`HTTPS_PROXY=http://proxy:3128\nANTHROPIC_AUTH_TOKEN=${KEY}\n`);
    expect(mode(nodeEnv)).toBe(0o600);
    expect(r.stdout).toContain(
      `merged ${nodeEnv}: ANTHROPIC_AUTH_TOKEN from this shell added at the end; made readable by you only; its other lines kept`,
    );
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('says when the running local node started without the key it wrote', async () => {
    const { env } = operator();
    const start = await agencyAsync(['node', 'start'], env);
    expect(start.code, start.stderr).toBe(0);
    defer(() => agencyAsync(['node', 'stop'], env));
    const r = await agencyAsync(['init', '--yes'], { ...env, ANTHROPIC_API_KEY: KEY });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('the local node is running without this key: restart it with agency node stop\n');
  });

  it('says nothing of the kind when the running node has a key already', async () => {
    const { env, nodeEnv } = operator({ ANTHROPIC_API_KEY: KEY });
    // started from this shell, with its key, before any node.env
    expect((await agencyAsync(['node', 'start'], env)).code).toBe(0);
    defer(() => agencyAsync(['node', 'stop'], env));
    const r = await agencyAsync(['init', '--yes', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.files[1]).toMatchObject({ path: nodeEnv, action: 'created' });
    expect(out.restartNode).toBe(false);
  });

  it('reports a broken configuration and leaves it alone (exit 1)', async () => {
    const { env, config } = operator();
    mkdirSync(join(env.HOME!, '.config', 'agency'), { recursive: true });
    writeFileSync(config, '{"nodes": [{"name": "x"}]}');
    const r = await agencyAsync(['init', '--yes'], env);
    expect(r.code).toBe(1);
    expect(readFileSync(config, 'utf8')).toBe('{"nodes": [{"name": "x"}]}');
    expect(r.stdout).toContain(`kept ${config}: ${config}: nodes.0: node x needs exactly one of host, ssh`);
    expect(r.stdout).toContain('fix it by hand (init never replaces it)');
  });

  it('asks in a terminal, file by file, and writes only what was answered yes', async () => {
    const { env, config, nodeEnv } = operator({ ANTHROPIC_API_KEY: KEY, TERM: 'xterm-256color' });
    const pty = spawn(process.execPath, [AGENCY_BIN, 'init'], {
      cols: 200,
      rows: 20,
      env: env as Record<string, string>,
    });
    defer(() => {
      try {
        pty.kill();
      } catch {
        // ended
      }
    });
    let out = '';
    pty.onData((d) => (out += d));
    const exited = new Promise<number>((r) => pty.onExit((e) => r(e.exitCode)));
    await until(
      'the first question',
      () => out.includes('[y/N]'),
      30_000,
      () => out,
    );
    expect(out).toContain(`Write ${config} with this machine as the fleet's one node ("local")? [y/N]`);
    pty.write('y\r');
    await until(
      'the second question',
      () => out.split('[y/N]').length === 3,
      10_000,
      () => out,
    );
    expect(out).toContain(`Write ${nodeEnv} (readable by you only) with ANTHROPIC_API_KEY from this shell? [y/N]`);
    pty.write('n\r');
    expect(await exited).toBe(0);
    expect(existsSync(config)).toBe(true);
    expect(existsSync(nodeEnv)).toBe(false);
    expect(out).toContain(`declined ${nodeEnv}: left as it was`);
    expect(out).not.toContain(KEY);
  });
});
