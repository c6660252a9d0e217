/**
 * The systemd user unit for real. `systemd-analyze verify` checks the unit `agency push --service` writes.
 * Then a test node gets a systemd user manager of its own, started the way logind would start it (a
 * runtime folder /run/user/<uid>, a delegated cgroup subtree user@<uid>.service, `systemd --user` as the
 * node's user in the node's network namespace; the machine's PID 1 is not systemd, so a private mount
 * namespace gives that manager the /run/systemd/system it looks for). `agency push --service` installs the
 * unit through it: the daemon runs under it (`agency nodes` says so), comes back after `kill -9`, outlives
 * the SSH sessions that pushed it, and stays stopped after `agency node stop`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_LAUNCHER, remoteAgency } from '../../src/fleet/remote-link.js';
import { SYSTEMD_UNIT, systemdUnit } from '../../src/fleet/service.js';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';
import { ssh, type FleetNode } from '../helpers/fleet.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

/** the fleet's prefix: node n1's namespace is `agsvn1` (fleet.sh) */
const PREFIX = 'agsv';
const SYSTEMD = ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'].find((p) => existsSync(p));

/** `systemd-analyze verify --user` of a unit file, with HOME (for %h) and a runtime folder of its own. */
function verify(unitText: string, launcher: boolean) {
  const dir = tempDir('ag-sv-');
  try {
    const home = join(dir.path, 'home of ada');
    mkdirSync(join(home, '.agency/agent'), { recursive: true });
    if (launcher) {
      writeFileSync(join(home, AGENT_LAUNCHER), '#!/bin/sh\nexit 0\n');
      chmodSync(join(home, AGENT_LAUNCHER), 0o755);
    }
    const run = join(dir.path, 'run');
    mkdirSync(run, { mode: 0o700 });
    const file = join(dir.path, SYSTEMD_UNIT);
    writeFileSync(file, unitText);
    return spawnSync('systemd-analyze', ['verify', '--user', file], {
      env: { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: run },
      encoding: 'utf8',
    });
  } finally {
    dir.remove();
  }
}

describe('systemd-analyze verify', () => {
  it('passes the unit with no warning when its launcher is there', () => {
    const r = verify(systemdUnit(), true);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('catches a missing program and a setting systemd does not know (the check bites)', () => {
    const missing = verify(systemdUnit().replace('ExecStart=/bin/sh', 'ExecStart=/nonexistent/sh'), true);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/\/nonexistent\/sh is not executable/);
    expect(verify(systemdUnit().replace('Restart=on-failure', 'Restart=sometimes'), true).stderr).toMatch(
      /Failed to parse service restart specifier/,
    );
  });
});

/** A systemd user manager for a test node's user, as logind would start one; stop() takes it all down. */
async function userManager(node: FleetNode) {
  if (!SYSTEMD) throw new Error('no systemd binary (/usr/lib/systemd/systemd): install systemd to run this test');
  const uid = Number(spawnSync('id', ['-u', node.user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', node.user], { encoding: 'utf8' }).stdout.trim());
  const runDir = `/run/user/${uid}`;
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  spawnSync('chown', [`${uid}:${gid}`, runDir]);
  // the subtree logind delegates to user@<uid>.service, in every hierarchy systemd uses here
  const groups = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']
    .filter((h) => existsSync(join(h, 'cgroup.procs')))
    .filter((h, _, all) => h !== '/sys/fs/cgroup' || all.length === 1)
    .map((h) => join(h, `user.slice/user-${uid}.slice/user@${uid}.service`));
  if (!groups.length) throw new Error('no cgroup hierarchy under /sys/fs/cgroup');
  for (const g of groups) {
    mkdirSync(g, { recursive: true });
    spawnSync('chown', ['-R', `${uid}:${gid}`, g]);
  }
  const inner = [
    'set -e',
    'mkdir -p /run/systemd && mount -t tmpfs agency-test /run/systemd && mkdir /run/systemd/system',
    ...groups.map((g) => `echo $$ > ${g}/cgroup.procs`),
    `exec setpriv --reuid=${uid} --regid=${gid} --init-groups env -i HOME=${node.home} USER=${node.user} LOGNAME=${node.user} XDG_RUNTIME_DIR=${runDir} PATH=/usr/local/bin:/usr/bin:/bin ${SYSTEMD} --user`,
  ].join('\n');
  const proc: ChildProcess = spawn(
    'nsenter',
    [`--net=/run/netns/${PREFIX}${node.name}`, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', inner],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await until(
    'the user manager answers',
    () => existsSync(`${runDir}/systemd/private`),
    30_000,
    () => log,
  );
  return {
    uid,
    runDir,
    log: () => log,
    /** `systemctl --user …` as the node's user, outside any SSH session */
    systemctl: (...args: string[]) =>
      spawnSync(
        'setpriv',
        [
          `--reuid=${uid}`,
          `--regid=${gid}`,
          '--init-groups',
          'env',
          '-i',
          `XDG_RUNTIME_DIR=${runDir}`,
          'systemctl',
          '--user',
          ...args,
        ],
        {
          encoding: 'utf8',
        },
      ),
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
    /** after every process of the user has gone: the cgroups, deepest first, and the runtime folder */
    cleanup() {
      for (const g of groups) {
        removeTree(join(g, '..'));
        // user.slice goes too when nothing else is in it
        try {
          rmdirSync(join(g, '../..'));
        } catch {
          // another user's slice is there
        }
      }
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

function removeTree(dir: string) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
  rmdirSync(dir);
}

let f: AgencyFleet;
let um: Awaited<ReturnType<typeof userManager>> | null = null;

beforeAll(async () => {
  f = await agencyFleet(1, () => ({ steps: [{ text: 'done' }] }), { prefix: PREFIX, subnet: '10.247' });
  um = await userManager(f.node('n1'));
}, 180_000);
afterAll(async () => {
  await um?.stop();
  await f?.cleanup();
  um?.cleanup();
}, 120_000);

interface NodeRow {
  name: string;
  reachable: boolean;
  service: { kind: string; installed: boolean; running: boolean } | null;
}

async function nodeRow(): Promise<NodeRow | null> {
  const r = await f.agency(['nodes', '--json'], { timeoutMs: 60_000 });
  try {
    return (JSON.parse(r.stdout) as { nodes: NodeRow[] }).nodes[0] ?? null;
  } catch {
    return null;
  }
}

/** The daemon's pid as it wrote it (`<build> <pid>` in ~/.agency/run/node.build), or null. */
function daemonPid(node: FleetNode): number | null {
  try {
    return Number(readFileSync(join(node.home, '.agency/run/node.build'), 'utf8').trim().split(/\s+/)[1]) || null;
  } catch {
    return null;
  }
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
const cgroupOf = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, 'utf8');
const mainPid = () => Number(um!.systemctl('show', '-p', 'MainPID', '--value', SYSTEMD_UNIT).stdout.trim());

describe('agency push --service on a node with a systemd user manager', () => {
  let first = 0;

  it('installs the unit and the daemon runs under it', { timeout: 240_000 }, async () => {
    const r = await f.agency(['push', '--service', '--json'], { timeoutMs: 220_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = JSON.parse(r.stdout).results[0];
    expect(result).toMatchObject({ ok: true, service: 'systemd' });
    const node = f.node('n1');
    expect(existsSync(join(node.home, '.config/systemd/user', SYSTEMD_UNIT))).toBe(true);
    expect(um!.systemctl('is-enabled', SYSTEMD_UNIT).stdout.trim()).toBe('enabled');
    first = mainPid();
    expect(first).toBeGreaterThan(0);
    expect(daemonPid(node)).toBe(first);
    expect(cgroupOf(first)).toMatch(new RegExp(`user@${um!.uid}\\.service/.*${SYSTEMD_UNIT.replace('.', '\\.')}`));
    // what the daemon says under the service goes to node.log (without systemd 240's append:)
    const log = join(node.home, '.agency/node.log');
    await until(
      'the daemon under the service to write to node.log',
      () => readFileSync(log, 'utf8').includes(`(pid ${first})`),
      30_000,
    );
    const row = await nodeRow();
    expect(row).toMatchObject({ reachable: true, service: { kind: 'systemd', installed: true, running: true } });
    const text = await f.agency(['nodes']);
    expect(text.stdout).toMatch(/^n1\s+up\s+agent .* under systemd/m);
    // doctor reports the node's runtime, C library, sandbox and service
    const doctor = JSON.parse((await f.agency(['doctor', '--json'])).stdout) as {
      checks: { name: string; detail: string }[];
    };
    expect(doctor.checks.find((c) => c.name === 'node n1')?.detail).toMatch(
      new RegExp(
        `; Node ${process.versions.node} \\(the node's own\\), glibc \\d+\\.\\d+; sandbox (on|off|unavailable)[^;]*; under systemd`,
      ),
    );
  });

  it('after kill -9 systemd starts it again, and the new daemon answers', { timeout: 120_000 }, async () => {
    process.kill(first, 'SIGKILL');
    let row: NodeRow | null = null;
    await until(
      'a new daemon under the service answers',
      async () => {
        const pid = mainPid();
        if (!(pid > 0 && pid !== first && daemonPid(f.node('n1')) === pid)) return false;
        row = await nodeRow();
        return row?.reachable === true && row.service?.running === true;
      },
      60_000,
      () => `${um!.systemctl('status', SYSTEMD_UNIT).stdout}\n${JSON.stringify(row)}`,
    );
    expect(alive(first)).toBe(false);
    first = mainPid();
  });

  it(
    'outlives the SSH sessions that pushed it, and a logout that kills the login session',
    { timeout: 120_000 },
    async () => {
      const node = f.node('n1');
      // a login that ends the hard way: its sshd is killed while it runs
      const login = ssh(f.fleet, node, ['sleep 600'], { timeoutMs: 60_000 });
      const ps = () => spawnSync('ps', ['-o', 'pid=,comm=', '-u', node.user], { encoding: 'utf8' }).stdout;
      await until('the login runs', () => /\bsleep\b/.test(ps()), 30_000, ps);
      // logout as logind does it where it kills a user's processes: everything of the login's session goes,
      // everything outside the user's manager (its sshd and what the login started)
      const pids = () =>
        ps()
          .trim()
          .split('\n')
          .map((l) => Number(l.trim().split(/\s+/)[0]))
          .filter((p) => p > 0 && alive(p));
      const underManager = (p: number) => new RegExp(`user@${um!.uid}\\.service/`).test(cgroupOf(p));
      const session = pids().filter((p) => !underManager(p));
      expect(session.length).toBeGreaterThan(1);
      for (const p of session) process.kill(p, 'SIGKILL');
      await login;
      await until('the login has gone', () => pids().every(underManager), 30_000, ps);
      // (a killed process whose parent was killed too may stay a zombie here: PID 1 is no init)
      expect(pids().map((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim())).not.toContain('sleep');
      expect(mainPid()).toBe(first);
      expect(alive(first)).toBe(true);
      const row = await nodeRow();
      expect(row).toMatchObject({ reachable: true, service: { running: true } });
    },
  );

  it(
    'a push without --service that restarts the daemon restarts it under the service',
    { timeout: 240_000 },
    async () => {
      const node = f.node('n1');
      // a launcher that differs from the one push writes: push must write it again and restart the daemon
      const launcher = join(node.home, AGENT_LAUNCHER);
      writeFileSync(launcher, readFileSync(launcher, 'utf8').replace(/^exec /m, 'exec  '));
      const r = await f.agency(['push', '--json'], { timeoutMs: 220_000 });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const result = JSON.parse(r.stdout).results[0];
      expect(result).toMatchObject({ ok: true, unchanged: false });
      expect(result.warnings).toBeUndefined();
      const pid = mainPid();
      expect(pid).toBeGreaterThan(0);
      expect(pid).not.toBe(first);
      expect(alive(first)).toBe(false);
      expect(daemonPid(node)).toBe(pid);
      expect(cgroupOf(pid)).toMatch(new RegExp(`user@${um!.uid}\\.service/.*${SYSTEMD_UNIT.replace('.', '\\.')}`));
      expect(await nodeRow()).toMatchObject({ reachable: true, service: { running: true } });
      first = pid;
    },
  );

  it(
    'agency node stop stops it for good: the unit is inactive, not waiting to restart',
    { timeout: 120_000 },
    async () => {
      const node = f.node('n1');
      const r = await ssh(f.fleet, node, [remoteAgency('node stop')], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      await until('the daemon has gone', () => !alive(first), 30_000);
      const state = () => um!.systemctl('show', '-p', 'ActiveState,SubState,Result', SYSTEMD_UNIT).stdout;
      await until('the unit is inactive', () => /ActiveState=inactive/.test(state()), 30_000, state);
      // a restart on its way would be `activating (auto-restart)`; a clean exit leaves it dead with success
      expect(state()).toMatch(/SubState=dead/);
      expect(state()).toMatch(/Result=success/);
    },
  );
});
