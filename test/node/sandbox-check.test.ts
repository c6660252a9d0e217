/**
 * Whether a node can sandbox its sessions: checked when it starts; a node that cannot still starts, refuses
 * `run` with the reason, and says so in `status`; a node opted out says it runs sessions unsandboxed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkSandbox } from '../../src/node/sandbox-check.js';
import { agency, AGENCY_BIN } from '../helpers/agency.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const dir = tempDir('ag-sbc-');
afterAll(() => dir.remove());

/** A folder for PATH holding the given programs, each a shell script. */
function bin(name: string, programs: Record<string, string>): string {
  const d = join(dir.path, name);
  mkdirSync(d);
  for (const [p, script] of Object.entries(programs)) {
    writeFileSync(join(d, p), `#!/bin/sh\n${script}\n`);
    chmodSync(join(d, p), 0o755);
  }
  return d;
}

describe('checkSandbox', () => {
  it('an operator opts a node out with AGENCY_SANDBOX=off; any other value than on or off refuses', () => {
    expect(checkSandbox({ env: { AGENCY_SANDBOX: 'off' } })).toEqual({
      mode: 'off',
      reason: 'opted out with AGENCY_SANDBOX=off',
    });
    const odd = checkSandbox({ env: { AGENCY_SANDBOX: 'maybe' } });
    expect(odd.mode).toBe('unavailable');
    expect(odd.reason).toContain('AGENCY_SANDBOX is "maybe"');
  });

  it('on Linux names what is missing, with the apt-get line', () => {
    const empty = bin('empty', {});
    const r = checkSandbox({ env: { PATH: empty }, platform: 'linux' });
    expect(r).toEqual({
      mode: 'unavailable',
      reason:
        'bwrap and socat are not installed (sudo apt-get install -y bubblewrap socat); or opt the node out with AGENCY_SANDBOX=off in ~/.agency/node.env',
    });
    const onlyBwrap = bin('only-bwrap', { bwrap: 'exit 0' });
    expect(checkSandbox({ env: { PATH: onlyBwrap }, platform: 'linux' }).reason).toMatch(/^socat is not installed/);
  });

  it('on Linux runs bubblewrap once, and says why when it cannot make its namespaces', () => {
    const broken = bin('broken', {
      bwrap: 'echo "bwrap: No permissions to create new namespace" >&2; exit 1',
      socat: 'exit 0',
      true: 'exit 0',
    });
    const r = checkSandbox({ env: { PATH: broken }, platform: 'linux' });
    expect(r.mode).toBe('unavailable');
    expect(r.reason).toContain('bubblewrap cannot make a sandbox here (bwrap: No permissions to create new namespace)');
    const working = bin('working', { bwrap: 'exit 0', socat: 'exit 0', true: 'exit 0' });
    expect(checkSandbox({ env: { PATH: working }, platform: 'linux' })).toEqual({ mode: 'on' });
  });

  it('is not there on other systems', () => {
    expect(checkSandbox({ env: {}, platform: 'win32' }).mode).toBe('unavailable');
  });
});

describe('a node whose sandbox', () => {
  let daemon: ChildProcess | null = null;
  afterEach(async () => {
    if (!daemon) return;
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon!.on('close', r));
    daemon = null;
  });

  async function serve(name: string, env: NodeJS.ProcessEnv) {
    const home = join(dir.path, name);
    const cli = { ...process.env, AGENCY_HOME: home, AGENCY_CONFIG: join(dir.path, `${name}.json`) };
    const p = spawn(process.execPath, [AGENCY_BIN, 'node', 'serve'], {
      env: { ...cli, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    daemon = p;
    let log = '';
    p.stderr!.on('data', (d) => (log += d));
    await until(
      'the node to serve',
      () => log.includes('serving'),
      30_000,
      () => log,
    );
    return { cli, log: () => log };
  }

  it('cannot start refuses to run sessions, says why, and status shows it', async () => {
    const n = await serve('refusing', { PATH: bin('no-tools', {}) });
    expect(n.log()).toContain('sessions refused: bwrap and socat are not installed');
    const repo = join(dir.path, 'repo');
    mkdirSync(repo);
    const r = agency(['run', 'do a thing', '--discipline', 'backend', '--repo', repo], { env: n.cli });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'agency: node local cannot start sessions: bwrap and socat are not installed (sudo apt-get install -y bubblewrap socat); or opt the node out with AGENCY_SANDBOX=off in ~/.agency/node.env\n',
    );
    const json = JSON.parse(agency(['status', '--json'], { env: n.cli }).stdout);
    expect(json.nodes[0].info.sandbox).toEqual({ mode: 'unavailable', reason: expect.stringContaining('bwrap') });
    expect(agency(['status'], { env: n.cli }).stdout).toContain('NO SANDBOX: it refuses to start sessions (bwrap');
  });

  it('was opted out says its sessions run unsandboxed', async () => {
    const home = join(dir.path, 'opted-out');
    mkdirSync(home);
    writeFileSync(join(home, 'node.env'), 'AGENCY_SANDBOX=off\n');
    const n = await serve('opted-out', {});
    expect(n.log()).toContain('sessions run unsandboxed: opted out with AGENCY_SANDBOX=off');
    const json = JSON.parse(agency(['status', '--json'], { env: n.cli }).stdout);
    expect(json.nodes[0].info.sandbox).toEqual({ mode: 'off', reason: 'opted out with AGENCY_SANDBOX=off' });
    expect(agency(['status'], { env: n.cli }).stdout).toContain(
      'UNSANDBOXED: its sessions run without the OS sandbox (opted out with AGENCY_SANDBOX=off)',
    );
  });
});
