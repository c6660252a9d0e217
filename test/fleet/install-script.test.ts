/**
 * The script `agency push` runs on a node to install what it sent and restart the daemon, run for real
 * under sh in a temporary home: with a stand-in agent (a Node script that serves the daemon's socket and
 * writes its build file, as the daemon does) and a stand-in Node runtime (a wrapper of this Node).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pushLine } from '../../src/cli/fleet-commands.js';
import { incomingPart, installScript, PUSH_LOCK } from '../../src/fleet/install-script.js';
import { launcherScript } from '../../src/fleet/push-plan.js';
import { ALIVE_FN, SYSTEMD_UNIT } from '../../src/fleet/service.js';
import { releaseLock } from '../../src/node/daemon.js';
import type { NodePaths } from '../../src/paths/node-home.js';
import { deferAfterEach } from '../helpers/defer.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();

/** A stand-in daemon: serves the socket, writes `<build> <pid>` once it does, and leaves on TERM. */
const AGENT = `const fs = require('fs'), net = require('net'), path = require('path');
const run = process.env.HOME + '/.agency/run';
fs.mkdirSync(run, { recursive: true });
const build = path.basename(fs.realpathSync(path.join(__dirname, '..')));
const sock = run + '/node.sock';
fs.rmSync(sock, { force: true });
const s = net.createServer().listen(sock, () => fs.writeFileSync(run + '/node.build', build + ' ' + process.pid + '\\n'));
process.on('SIGTERM', () => { s.close(); fs.rmSync(run + '/node.build', { force: true }); process.exit(0); });
`;

const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** A .tgz of `files` (relative path → text, executable), and its sha256. */
function tarball(files: Record<string, string>): { file: string; sha: string } {
  const dir = tempDir('ag-tgz-');
  defer(() => dir.remove());
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir.path, 'src', p, '..'), { recursive: true });
    writeFileSync(join(dir.path, 'src', p), text);
    chmodSync(join(dir.path, 'src', p), 0o755);
  }
  const file = join(dir.path, 'a.tgz');
  spawnSync('tar', ['czf', file, '-C', join(dir.path, 'src'), '.']);
  return { file, sha: sha256(file) };
}

const agentTgz = () => tarball({ 'bin/agency': AGENT });
/** a runtime whose node runs this Node, or one that says what a too-old glibc says */
const runtimeTgz = (works = true) =>
  tarball({
    'bin/node': works
      ? `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} "$@"\n`
      : `#!/bin/sh\necho "bin/node: /lib/x86_64-linux-gnu/libc.so.6: version \\\`GLIBC_2.28' not found (required by bin/node)" >&2\necho "bin/node: /lib/x86_64-linux-gnu/libm.so.6: version \\\`GLIBC_2.27' not found (required by bin/node)" >&2\nexit 1\n`,
  });

interface Node {
  home: string;
  agent: string;
  rt: string;
}

function node(): Node {
  const dir = tempDir('ag-ins-');
  defer(() => dir.remove());
  const home = dir.path;
  const agent = join(home, '.agency/agent');
  const rt = join(home, '.agency/runtime');
  mkdirSync(join(agent, 'incoming'), { recursive: true });
  mkdirSync(join(rt, 'incoming'), { recursive: true });
  // whatever daemon a test started there stops with it
  defer(() => {
    const pid = Number(daemon(home)?.pid);
    if (pid) spawnSync('kill', [String(pid)]);
  });
  return { home, agent, rt };
}

/** running, as the scripts tell it (a dead process not yet reaped is not) */
const alive = (pid: string) => spawnSync('/bin/sh', ['-c', `${ALIVE_FN}; alive ${pid}`]).status === 0;

function daemon(home: string): { build: string; pid: string } | null {
  try {
    const [build, pid] = readFileSync(join(home, '.agency/run/node.build'), 'utf8').trim().split(' ');
    return { build: build!, pid: pid! };
  } catch {
    return null;
  }
}

interface Run {
  n: Node;
  agent: { file: string; sha: string };
  runtime?: { file: string; sha: string };
  run: string;
  path?: string;
}

/** Puts the archives where this run uploads them, and returns its script. */
function prepare({ n, agent, runtime, run }: Run): string {
  copyFileSync(agent.file, incomingPart(n.agent, agent.sha, run));
  if (runtime) copyFileSync(runtime.file, incomingPart(n.rt, runtime.sha, run));
  const nodeBin = runtime ? join(n.rt, runtime.sha, 'bin/node') : process.execPath;
  return installScript({
    agent: n.agent,
    sha: agent.sha,
    unpack: true,
    ...(runtime ? { runtime: { dir: n.rt, sha: runtime.sha } } : {}),
    nodeBin,
    launcher: launcherScript(nodeBin),
    run,
  });
}

const env = (n: Node, path?: string) => ({ HOME: n.home, PATH: path ?? process.env.PATH ?? '/usr/bin:/bin' });

/** Runs the script as a login shell over SSH would: sh, or bash (a background job there must not hold its output open). */
function install(r: Run, shell = '/bin/sh') {
  return spawnSync(shell, ['-c', prepare(r)], { env: env(r.n, r.path), encoding: 'utf8', timeout: 20_000 });
}

function installAsync(r: Run): Promise<{ code: number | null; stderr: string }> {
  const p = spawn('/bin/sh', ['-c', prepare(r)], { env: env(r.n, r.path), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, stderr })));
}

/** What a run may leave behind: nothing in incoming, no temporary folder, no lock. */
function leftovers(n: Node): string[] {
  return [
    ...readdirSync(join(n.agent, 'incoming')),
    ...readdirSync(join(n.rt, 'incoming')),
    ...readdirSync(n.agent).filter((f) => /\.(tmp|new)\.|^\.push\.lock$/.test(f)),
    ...readdirSync(n.rt).filter((f) => /\.tmp\./.test(f)),
  ];
}

describe('the install script', () => {
  it.each(['/bin/sh', 'bash'])(
    'under %s installs the runtime and the agent, writes the launcher, starts the daemon, returns and leaves nothing behind',
    (shell) => {
      const n = node();
      const agent = agentTgz();
      const runtime = runtimeTgz();
      const r = install({ n, agent, runtime, run: 'a1' }, shell);
      expect(r.error).toBeUndefined();
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split('\n').pop()).toBe('daemon=nohup');
      expect(readlinkSync(join(n.agent, 'current'))).toBe(agent.sha);
      expect(existsSync(join(n.rt, runtime.sha, '.complete'))).toBe(true);
      expect(readFileSync(join(n.agent, 'agency'), 'utf8')).toBe(launcherScript(join(n.rt, runtime.sha, 'bin/node')));
      expect(daemon(n.home)?.build).toBe(agent.sha);
      expect(leftovers(n)).toEqual([]);
    },
  );

  it('two pushes at once both succeed, one after the other, and one daemon serves the build', async () => {
    const n = node();
    const agent = agentTgz();
    const runtime = runtimeTgz();
    const [a, b] = await Promise.all([
      installAsync({ n, agent, runtime, run: 'r1' }),
      installAsync({ n, agent, runtime, run: 'r2' }),
    ]);
    expect([a, b]).toEqual([
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
    ]);
    const d = daemon(n.home)!;
    expect(d.build).toBe(agent.sha);
    expect(alive(d.pid)).toBe(true);
    // the runtime it runs on is the one that was unpacked, complete
    expect(existsSync(join(n.rt, runtime.sha, '.complete'))).toBe(true);
    expect(leftovers(n)).toEqual([]);
  });

  it('takes over a lock whose push has gone', () => {
    const n = node();
    const dead = spawnSync('/bin/sh', ['-c', 'echo $$']).stdout.toString().trim();
    mkdirSync(join(n.agent, PUSH_LOCK));
    writeFileSync(join(n.agent, PUSH_LOCK, 'pid'), `${dead}\n`);
    const r = install({ n, agent: agentTgz(), run: 's1' });
    expect(r.status).toBe(0);
    expect(leftovers(n)).toEqual([]);
  });

  it('sweeps away what failed pushes left, but not another run’s upload under way', () => {
    const n = node();
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    const old = [
      join(n.agent, 'incoming', 'a'.repeat(64) + '.tgz.part'),
      join(n.rt, 'incoming', 'b'.repeat(64) + '.1234.part'),
    ];
    for (const f of old) writeFileSync(f, 'x');
    mkdirSync(join(n.agent, 'c'.repeat(64) + '.tmp'));
    mkdirSync(join(n.rt, 'd'.repeat(64) + '.tmp.5678'));
    utimesSync(old[1]!, hourAgo, hourAgo);
    utimesSync(join(n.rt, 'd'.repeat(64) + '.tmp.5678'), hourAgo, hourAgo);
    const inFlight = join(n.rt, 'incoming', 'e'.repeat(64) + '.9999.part');
    writeFileSync(inFlight, 'x');
    expect(install({ n, agent: agentTgz(), runtime: runtimeTgz(), run: 'w1' }).status).toBe(0);
    expect(leftovers(n)).toEqual(['e'.repeat(64) + '.9999.part']);
  });

  it('a hash mismatch fails, removing the upload and everything unpacked', () => {
    const n = node();
    const agent = agentTgz();
    const other = tarball({ 'bin/agency': `${AGENT}// other\n` });
    const r = install({ n, agent: { file: other.file, sha: agent.sha }, run: 'h1' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/the uploaded agent does not match its hash/);
    expect(leftovers(n)).toEqual([]);
    expect(existsSync(join(n.agent, agent.sha))).toBe(false);
  });

  it('a runtime that does not run says why (its own words), and leaves neither archive nor folder', () => {
    const n = node();
    const runtime = runtimeTgz(false);
    const r = install({ n, agent: agentTgz(), runtime, run: 'g1' });
    expect(r.status).toBe(5);
    const last = r.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(/^the Node runtime does not run on this node: .*GLIBC_2\.28' not found.*GLIBC_2\.27/);
    expect(leftovers(n)).toEqual([]);
    expect(existsSync(join(n.rt, runtime.sha))).toBe(false);
    expect(daemon(n.home)).toBeNull();
  });

  it('restarts the daemon through its systemd unit when the unit is installed and enabled', () => {
    const n = node();
    const bin = fakeSystemctl(n, 'ok');
    const r = install({ n, agent: agentTgz(), run: 'u1', path: `${bin}:${process.env.PATH}` });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toBe('daemon=systemd');
    expect(readFileSync(join(n.home, 'systemctl'), 'utf8')).toBe(
      `--user is-enabled --quiet ${SYSTEMD_UNIT}\n--user restart ${SYSTEMD_UNIT}\n`,
    );
  });

  it('starts the daemon itself, and says so, when the unit will not restart', () => {
    const n = node();
    const bin = fakeSystemctl(n, 'fail');
    const r = install({ n, agent: agentTgz(), run: 'u2', path: `${bin}:${process.env.PATH}` });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toBe('daemon=nohup');
    expect(r.stderr.trim()).toBe(
      `could not restart ${SYSTEMD_UNIT} (Job for ${SYSTEMD_UNIT} failed.): the daemon runs without it`,
    );
    expect(daemon(n.home)).not.toBeNull();
  });

  it('replaces a running daemon of another build, and leaves one of this build and launcher alone', () => {
    const n = node();
    const first = agentTgz();
    expect(install({ n, agent: first, run: 'v1' }).status).toBe(0);
    const old = daemon(n.home)!;
    const second = tarball({ 'bin/agency': `${AGENT}// two\n` });
    expect(install({ n, agent: second, run: 'v2' }).status).toBe(0);
    const now = daemon(n.home)!;
    expect(now.build).toBe(second.sha);
    expect(now.pid).not.toBe(old.pid);
    expect(alive(old.pid)).toBe(false);
    const again = install({ n, agent: second, run: 'v3' });
    expect(again.stdout.trim()).toBe('daemon=running');
    expect(daemon(n.home)!.pid).toBe(now.pid);
  });
});

/** A systemctl that records its arguments; `restart` starts the launcher as systemd would, or fails. */
function fakeSystemctl(n: Node, restart: 'ok' | 'fail'): string {
  const unitDir = join(n.home, '.config/systemd/user');
  mkdirSync(unitDir, { recursive: true });
  writeFileSync(join(unitDir, SYSTEMD_UNIT), '[Service]\n');
  const bin = join(n.home, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'systemctl'),
    `#!/bin/sh\necho "$@" >> "$HOME/systemctl"\ncase "$2" in\n  is-enabled) exit 0;;\n  restart) ${
      restart === 'ok'
        ? '(nohup "$HOME/.agency/agent/agency" node serve >/dev/null 2>&1 </dev/null &); exit 0'
        : `echo "Job for ${SYSTEMD_UNIT} failed." >&2; exit 1`
    };;\nesac\n`,
  );
  chmodSync(join(bin, 'systemctl'), 0o755);
  return bin;
}

describe('waiting for a daemon to end', () => {
  it('`alive` says a dead process its parent has not reaped is gone, where kill -0 does not', async () => {
    // the child's parent execs a sleep that never waits for it: the child stays a zombie
    const p = spawn('/bin/sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    defer(() => p.kill());
    const pid = await new Promise<string>((resolve) =>
      p.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    const stat = () => spawnSync('ps', ['-o', 'stat=', '-p', pid], { encoding: 'utf8' }).stdout.trim();
    await until('the child to be a zombie', () => stat().startsWith('Z'), 5000);
    expect(spawnSync('kill', ['-0', pid]).status).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(alive(String(process.pid))).toBe(true);
  });
});

describe('the daemon letting go of its lock', () => {
  it('removes the socket, build file and lock only while the lock holds its own pid', () => {
    const dir = tempDir('ag-lock-');
    defer(() => dir.remove());
    const p = {
      lock: join(dir.path, 'node.pid'),
      socket: join(dir.path, 'node.sock'),
      buildFile: join(dir.path, 'node.build'),
    } as NodePaths;
    for (const f of [p.lock, p.socket, p.buildFile]) writeFileSync(f, '4242\n');
    // a successor took the lock while this daemon (pid 4141) was shutting down: its files stay
    expect(releaseLock(p, 4141)).toBe(false);
    expect([p.lock, p.socket, p.buildFile].every((f) => existsSync(f))).toBe(true);
    expect(releaseLock(p, 4242)).toBe(true);
    expect([p.lock, p.socket, p.buildFile].some((f) => existsSync(f))).toBe(false);
  });
});

describe('the push line', () => {
  it('carries what the node warned of while the push succeeded', () => {
    const line = pushLine({
      node: 'box1',
      ok: true,
      ms: 5,
      build: 'a'.repeat(64),
      warnings: ['could not enable lingering for ada: the service stops when ada logs out'],
    });
    expect(line).toMatch(/; warning: could not enable lingering for ada: the service stops when ada logs out$/);
  });
});
