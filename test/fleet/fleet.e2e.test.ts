/**
 * The fleet itself: real OpenSSH servers in network namespaces, checked from outside with the real
 * OpenSSH client (and ssh-keyscan, ip, getent as independent witnesses of what fleet.sh claims).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fleetUp, run, ssh, sshArgs, type Fleet, type FleetNode } from '../helpers/fleet.js';
import { nodeShare } from '../helpers/node-share.js';
import { tempDir } from '../helpers/tmp.js';

const PROJECT = fileURLToPath(new URL('../..', import.meta.url));

/** polls `check` until it is true; fails after `timeoutMs` naming what it waited for */
async function waitFor(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** what the machine shows of a fleet with this prefix: namespaces, links, users, mounts, routes */
async function traces(prefix: string, subnet: string): Promise<string[]> {
  const found: string[] = [];
  const netns = await run('ip', ['netns', 'list']);
  found.push(
    ...netns.stdout
      .split('\n')
      .filter((l) => l.startsWith(`${prefix}n`))
      .map((l) => `netns ${l}`),
  );
  const links = await run('ip', ['-o', 'link', 'show']);
  found.push(
    ...links.stdout
      .split('\n')
      .filter((l) => new RegExp(`^\\d+: ${prefix}h\\d+[@:]`).test(l))
      .map((l) => `link ${l}`),
  );
  const users = await run('getent', ['passwd']);
  found.push(
    ...users.stdout
      .split('\n')
      .filter((l) => new RegExp(`^${prefix}u\\d+:`).test(l))
      .map((l) => `user ${l}`),
  );
  found.push(
    ...readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .filter((l) => l.includes(`/home/${prefix}u`))
      .map((l) => `mount ${l}`),
  );
  const routes = await run('ip', ['route', 'show']);
  found.push(
    ...routes.stdout
      .split('\n')
      .filter((l) => l.includes(` ${subnet}.`) || l.startsWith(`${subnet}.`))
      .map((l) => `route ${l}`),
  );
  found.push(
    ...readdirSync('/home')
      .filter((h) => new RegExp(`^${prefix}u\\d+$`).test(h))
      .map((h) => `home /home/${h}`),
  );
  return found;
}

/** a process that exists and is not a zombie (this machine's PID 1 may reap the dead late) */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function sshdPids(fleet: Fleet): number[] {
  return fleet.nodes.map((n) => Number(readFileSync(join(fleet.stateDir, 'nodes', n.name, 'sshd.pid'), 'utf8').trim()));
}

/** data a Unix socket client receives before the other side closes */
function readSocket(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const c = createConnection(path);
    c.on('data', (d) => (data += d.toString()));
    c.on('error', reject);
    c.on('close', () => resolve(data));
  });
}

function spawnSsh(fleet: Fleet, node: FleetNode, extra: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn('ssh', [...extra, ...sshArgs(fleet, node)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, stderr: () => stderr };
}

describe('a fleet of three: n2 without streamlocal forwarding and with a full disk, n3 without node', () => {
  const PREFIX = 'aft';
  const SUBNET = '10.211';
  const tmp = tempDir('agency-fleet-test-');
  const envFile = join(tmp.path, 'node.env');
  let fleet: Fleet;
  let downDone = false;

  beforeAll(async () => {
    writeFileSync(envFile, 'ANTHROPIC_BASE_URL=http://10.211.1.1:4000\nAGENCY_TEST=fleet\n');
    fleet = await fleetUp(3, {
      prefix: PREFIX,
      subnet: SUBNET,
      noStreamLocal: [2],
      diskFull: [2],
      noNode: [3],
      envFile,
    });
  }, 120_000);

  afterAll(async () => {
    if (fleet && !downDone) await fleet.down();
    tmp.remove();
  }, 60_000);

  const node = (i: number): FleetNode => fleet.nodes[i - 1] as FleetNode;

  test('describes its nodes: own address, gateway, user and home', () => {
    expect(fleet.nodes.map((n) => [n.name, n.host, n.port, n.user, n.gateway, n.home])).toEqual(
      [1, 2, 3].map((i) => [
        `n${i}`,
        `${SUBNET}.${i}.2`,
        22,
        `${PREFIX}u${i}`,
        `${SUBNET}.${i}.1`,
        `/home/${PREFIX}u${i}`,
      ]),
    );
  });

  test('each node presents its own host key, the one the fleet reports', async () => {
    const seen: string[] = [];
    for (const n of fleet.nodes) {
      const scan = await run('ssh-keyscan', ['-T', '5', '-t', 'ed25519', n.host]);
      const line = scan.stdout.split('\n').find((l) => l.startsWith(`${n.host} `));
      expect(line, scan.stderr).toBe(`${n.host} ${n.hostKey}`);
      seen.push(n.hostKey);
    }
    expect(new Set(seen).size).toBe(3);
    expect(readFileSync(fleet.knownHosts(), 'utf8')).toBe(fleet.nodes.map((n) => `${n.host} ${n.hostKey}\n`).join(''));
  });

  test("a known_hosts naming another node's key is refused (the host key check is real)", async () => {
    const wrong = join(tmp.path, 'wrong_known_hosts');
    writeFileSync(wrong, `${node(1).host} ${node(2).hostKey}\n`);
    const r = await ssh(fleet, node(1), ['true'], { extra: ['-o', `UserKnownHostsFile=${wrong}`] });
    const right = await ssh(fleet, node(1), ['true']);
    expect(right.code, right.stderr).toBe(0);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/host key verification failed/i);
  });

  test('each node answers as its own user in its own home; only n3 lacks node', async () => {
    for (const [i, want] of [
      [1, '/usr/bin/node'],
      [2, '/usr/bin/node'],
      [3, 'none'],
    ] as const) {
      const r = await ssh(fleet, node(i), [
        'id -un; echo $HOME; command -v node || echo none; command -v tar || echo no-tar',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const [user, home, nodeBin, tar] = r.stdout.trim().split('\n');
      expect([user, home, nodeBin]).toEqual([node(i).user, node(i).home, want]);
      expect(tar).toMatch(/\/tar$/);
    }
  });

  test('n3 has no node in a login shell either, but has the basic tools', async () => {
    const r = await ssh(fleet, node(3), [
      'bash -lc "command -v node || echo none; for t in sh tar gzip sha256sum git setsid; do command -v \\$t >/dev/null || echo missing \\$t; done"',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('none\n');
  });

  test('a node user runs the Claude Code CLI and reads the fixtures of the node share, with /usr/bin/node', async () => {
    const share = nodeShare();
    const version = JSON.parse(
      readFileSync(join(PROJECT, 'node_modules', '@anthropic-ai', 'claude-code', 'package.json'), 'utf8'),
    ).version;
    const file = join(share.registry, 'tools', 'notes.json');
    const r = await ssh(fleet, node(1), [
      `${share.claudeBin} --version && node -e 'process.stdout.write(require("fs").readFileSync("${file}", "utf8"))'`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `${version} (Claude Code)\n${readFileSync(join(PROJECT, 'test', 'fixtures', 'registry-min', 'tools', 'notes.json'), 'utf8')}`,
    );
  });

  test('~/.agency/node.env holds the env file, owned by the node user', async () => {
    for (const n of fleet.nodes) {
      const r = await ssh(fleet, n, ['cat ~/.agency/node.env; stat -c %U ~/.agency/node.env']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${readFileSync(envFile, 'utf8')}${n.user}\n`);
    }
  });

  test('a 3 MB upload fills n2\'s home ("No space left on device") but fits on n1', async () => {
    const payload = Buffer.alloc(3 << 20, 7);
    const full = await ssh(fleet, node(2), ['cat > ~/upload.bin'], { input: payload });
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/No space left on device/);
    const ok = await ssh(fleet, node(1), ['cat > ~/upload.bin && wc -c < ~/upload.bin && rm ~/upload.bin'], {
      input: payload,
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe(String(payload.length));
  });

  describe('Unix socket forwarding', () => {
    let server: Server;
    let port: number;
    const live: ChildProcess[] = [];
    beforeAll(async () => {
      server = createServer((s) => s.end('hello from the host\n'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const c of live) c.kill();
      await new Promise((r) => server.close(r));
    });

    test('on n1 a remote socket forward and a local-to-remote socket forward carry bytes end to end', async () => {
      const remote = `${node(1).home}/fw-${process.pid}.sock`;
      const local = join(tmp.path, 'n1.sock');
      // n1's sshd listens on `remote` and sends what arrives there to our TCP server
      const back = spawnSsh(fleet, node(1), [
        '-N',
        '-o',
        'ExitOnForwardFailure=yes',
        '-R',
        `${remote}:127.0.0.1:${port}`,
      ]);
      live.push(back.child);
      await waitFor(
        () => `${remote} on n1 (ssh: ${back.stderr()})`,
        async () => (await ssh(fleet, node(1), ['test', '-S', remote])).code === 0,
      );
      // and a direct-streamlocal channel from here reaches `remote`
      const there = spawnSsh(fleet, node(1), ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${local}:${remote}`]);
      live.push(there.child);
      await waitFor(
        () => `${local} (ssh: ${there.stderr()})`,
        () => existsSync(local),
      );
      expect(await readSocket(local)).toBe('hello from the host\n');
    });

    test('n2 refuses both directions: a remote socket forward, and a channel to a live socket', async () => {
      const r = await ssh(fleet, node(2), ['true'], {
        extra: ['-o', 'ExitOnForwardFailure=yes', '-R', `${node(2).home}/fw.sock:127.0.0.1:${port}`],
      });
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/remote port forwarding failed for listen path/);

      // a socket that n2's own user can reach…
      const sock = `${node(2).home}/live.sock`;
      const server = `require("net").createServer((s) => s.end("hi from n2\\n")).listen("${sock}")`;
      const started = await ssh(fleet, node(2), [`setsid nohup node -e '${server}' </dev/null >/dev/null 2>&1 &`]);
      expect(started.code, started.stderr).toBe(0);
      await waitFor(`${sock} on n2`, async () => (await ssh(fleet, node(2), ['test', '-S', sock])).code === 0);
      const inside = await ssh(fleet, node(2), [`node -e 'require("net").connect("${sock}").pipe(process.stdout)'`]);
      expect(inside.stdout).toBe('hi from n2\n');
      // …is out of reach through the SSH connection, by n2's sshd's own account
      const local = join(tmp.path, 'n2.sock');
      const there = spawnSsh(fleet, node(2), ['-N', '-L', `${local}:${sock}`]);
      live.push(there.child);
      await waitFor(
        () => `${local} (ssh: ${there.stderr()})`,
        () => existsSync(local),
      );
      expect(await readSocket(local)).toBe('');
      await waitFor(
        () => `the refusal on ssh's stderr (ssh: ${there.stderr()})`,
        () => /open failed/.test(there.stderr()),
      );
      const log = join(fleet.stateDir, 'nodes', 'n2', 'sshd.log');
      await waitFor(`the refusal in ${log}`, () =>
        readFileSync(log, 'utf8').includes(`refused streamlocal port forward: originator  port 0, target ${sock}`),
      );
    });
  });

  test('cut 1 makes n1 unreachable while n2 still answers; restore 1 brings it back', async () => {
    await fleet.cut(1);
    const cut = await ssh(fleet, node(1), ['true']);
    expect(cut.code).toBe(255);
    expect(cut.stderr).toMatch(/No route to host/);
    expect((await ssh(fleet, node(2), ['true'])).code).toBe(0);
    await fleet.restore(1);
    const back = await ssh(fleet, node(1), ['id -un']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toBe(`${node(1).user}\n`);
  });

  test('down leaves no namespace, link, user, home, mount, route, sshd or state behind, and may be repeated', async () => {
    const pids = sshdPids(fleet);
    for (const pid of pids)
      expect([readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), running(pid)]).toEqual(['sshd', true]);
    expect((await traces(PREFIX, SUBNET)).length).toBeGreaterThan(0);
    await fleet.down();
    downDone = true;
    expect(await traces(PREFIX, SUBNET)).toEqual([]);
    for (const pid of pids) expect(running(pid), `sshd ${pid}`).toBe(false);
    expect(existsSync(fleet.stateDir)).toBe(false);
    await fleet.down();
    expect(await traces(PREFIX, SUBNET)).toEqual([]);
  });
});

describe('sixteen nodes', () => {
  // how long they take is measured by `npm run bench -- fleet`; the timeout only stops a hung run
  test('come up, all answer ssh, and go down leaving nothing behind', async () => {
    const fleet = await fleetUp(16, { prefix: 'afs', subnet: '10.212' });
    try {
      expect(fleet.nodes).toHaveLength(16);
      const answers = await Promise.all(fleet.nodes.map((n) => ssh(fleet, n, ['true'])));
      expect(answers.map((a) => [a.code, a.stderr])).toEqual(fleet.nodes.map(() => [0, '']));
    } finally {
      await fleet.down();
    }
    expect(await traces('afs', '10.212')).toEqual([]);
  }, 300_000);
});
