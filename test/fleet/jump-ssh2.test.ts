// A node behind a jump host, over live connections: in-process ssh2 Servers on 127.0.0.1 — a jump server
// that answers direct-tcpip by piping to the target server — and SshConnection.connect through it. Each
// hop's host key is checked before any credential is sent there; each hop takes only its own key.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server, utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection, SshError, type SshTarget } from '../../src/fleet/ssh-connect.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const tmp = tempDir('agency-jump-ssh2-');
const savedAgent = process.env.SSH_AUTH_SOCK;
delete process.env.SSH_AUTH_SOCK;

function keygen(name: string): { path: string; pub: string } {
  const path = join(tmp.path, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-f', path, '-N', '', '-C', '']);
  return { path, pub: readFileSync(`${path}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ') };
}

interface TestServer {
  port: number;
  /** per connection, what it did in order: auth:<method>:<ok|rejected> (repeats merged), ready, tcpip:<host>:<port>, exec:<cmd>, close */
  logs: string[][];
  /** ends every connection the server holds (a jump host that goes away) */
  drop(): void;
  /** how it misbehaves, for the test at hand: answers held back, or a forwarding never answered */
  slow: { authMs?: number; tcpipMs?: number; tcpipHangs?: boolean };
  close(): Promise<void>;
}

function startServer(name: string, hostKey: string, clientKey: string): Promise<TestServer> {
  const allowed = utils.parseKey(readFileSync(`${clientKey}.pub`));
  if (allowed instanceof Error) throw allowed;
  const logs: string[][] = [];
  const conns = new Set<{ end(): void }>();
  const slow: TestServer['slow'] = {};
  const server = new Server({ hostKeys: [readFileSync(hostKey)] }, (conn) => {
    const events: string[] = [];
    logs.push(events);
    conns.add(conn);
    conn.on('error', () => {});
    conn.on('close', () => {
      conns.delete(conn);
      events.push('close');
    });
    conn.on('authentication', (ctx) => {
      const ok =
        ctx.method === 'publickey' &&
        ctx.key.algo === allowed.type &&
        ctx.key.data.equals(allowed.getPublicSSH()) &&
        (!ctx.signature || allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true);
      const e = `auth:${ctx.method}:${ok ? 'ok' : 'rejected'}`;
      if (events.at(-1) !== e) events.push(e);
      const answer = () => (ok ? ctx.accept() : ctx.reject(['publickey']));
      if (slow.authMs && ctx.method === 'publickey' && ctx.signature) setTimeout(answer, slow.authMs);
      else answer();
    });
    conn.on('ready', () => {
      events.push('ready');
      // as sshd does: the channel is opened once the connection to the destination is
      conn.on('tcpip', (accept, reject, info) => {
        events.push(`tcpip:${info.destIP}:${info.destPort}`);
        if (slow.tcpipHangs) return;
        if (slow.tcpipMs) setTimeout(() => open(), slow.tcpipMs);
        else open();
        function open() {
          const sock = tcpConnect(info.destPort, info.destIP);
          sock.once('error', () => reject());
          sock.once('connect', () => {
            const ch = accept();
            sock.on('error', () => ch.close());
            ch.on('close', () => sock.destroy());
            ch.pipe(sock).pipe(ch);
          });
        }
      });
      conn.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          events.push(`exec:${info.command}`);
          const ch = acceptExec();
          ch.write(`${name} ran: ${info.command}\n`);
          ch.exit(0);
          ch.end();
        });
      });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        logs,
        slow,
        drop: () => conns.forEach((c) => c.end()),
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

const keys = {
  jumpHost: keygen('jump_host'),
  targetHost: keygen('target_host'),
  other: keygen('other_host'),
  jumpClient: keygen('jump_client'),
  targetClient: keygen('target_client'),
};
let jump: TestServer;
let target: TestServer;
beforeAll(async () => {
  jump = await startServer('jump', keys.jumpHost.path, keys.jumpClient.path);
  target = await startServer('target', keys.targetHost.path, keys.targetClient.path);
});
afterAll(async () => {
  await Promise.all([jump.close(), target.close()]);
  tmp.remove();
  if (savedAgent !== undefined) process.env.SSH_AUTH_SOCK = savedAgent;
});

let files = 0;
function knownHosts(jumpKey: string, targetKey: string): string {
  const f = join(tmp.path, `known_hosts_${++files}`);
  writeFileSync(f, `[127.0.0.1]:${jump.port} ${jumpKey}\n[127.0.0.1]:${target.port} ${targetKey}\n`);
  return f;
}

function chain(kh: string, o: { jumpKey?: string } = {}): SshTarget {
  return {
    name: 'n2',
    host: '127.0.0.1',
    port: target.port,
    user: 'tu',
    identityFiles: [keys.targetClient.path],
    knownHostsFiles: [kh],
    jump: [
      {
        name: 'j1',
        host: '127.0.0.1',
        port: jump.port,
        user: 'ju',
        identityFiles: [o.jumpKey ?? keys.jumpClient.path],
        knownHostsFiles: [kh],
      },
    ],
  };
}

const fast = { keepaliveMs: 1000, keepaliveCountMax: 2, readyTimeoutMs: 5000 };

/** what the connections opened since `mark` did */
const since = (s: TestServer, mark: number): string[][] => s.logs.slice(mark);
const allClosed = (s: TestServer, mark: number) => since(s, mark).every((l) => l.at(-1) === 'close');

const AUTHED = ['auth:none:rejected', 'auth:publickey:ok', 'ready'];

describe('SshConnection through a jump host', () => {
  it('reaches the target through the jump host, each hop authenticated with its own key, and end() ends both', async () => {
    const [jm, tm] = [jump.logs.length, target.logs.length];
    const conn = await SshConnection.connect(chain(knownHosts(keys.jumpHost.pub, keys.targetHost.pub)), fast);
    const r = await conn.exec('hostname');
    expect(r.stdout).toBe('target ran: hostname\n');
    expect(since(jump, jm)).toEqual([[...AUTHED, `tcpip:127.0.0.1:${target.port}`]]);
    expect(since(target, tm)).toEqual([[...AUTHED, 'exec:hostname']]);
    conn.end();
    await until('both hops closed', () => allClosed(jump, jm) && allClosed(target, tm), 10_000);
  });

  it('closes the whole chain when the jump host drops, and says so naming the jump host', async () => {
    const tm = target.logs.length;
    const conn = await SshConnection.connect(chain(knownHosts(keys.jumpHost.pub, keys.targetHost.pub)), fast);
    const closed = new Promise<Error>((r) => conn.onClose(r));
    jump.drop();
    const e = await closed;
    expect(e.message).toMatch(new RegExp(`^node n2: jump host j1 \\(127\\.0\\.0\\.1:${jump.port}\\)`));
    expect(conn.closed).toBe(e);
    await until('the target connection closed', () => allClosed(target, tm), 10_000);
  });

  it('refuses a jump host whose key changed, naming it, before any credential is sent anywhere', async () => {
    const [jm, tm] = [jump.logs.length, target.logs.length];
    const err = await SshConnection.connect(chain(knownHosts(keys.other.pub, keys.targetHost.pub)), fast).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SshError);
    expect((err as SshError).kind).toBe('host-key');
    expect((err as SshError).message).toMatch(
      new RegExp(`^node n2: jump host j1 \\(127\\.0\\.0\\.1:${jump.port}\\): .*CHANGED`, 's'),
    );
    await until('the jump server saw the end', () => allClosed(jump, jm), 10_000);
    expect(since(jump, jm)).toEqual([['close']]);
    expect(since(target, tm)).toEqual([]);
  });

  it('refuses a target whose key changed, naming the target, with no credential sent to it', async () => {
    const [jm, tm] = [jump.logs.length, target.logs.length];
    const err = await SshConnection.connect(chain(knownHosts(keys.jumpHost.pub, keys.other.pub)), fast).catch(
      (e: unknown) => e,
    );
    expect((err as SshError).kind).toBe('host-key');
    expect((err as SshError).message).toMatch(
      new RegExp(`^node n2: WARNING: the SSH host key of 127\\.0\\.0\\.1 port ${target.port} has CHANGED`),
    );
    expect((err as SshError).message).not.toMatch(/jump host/);
    await until('both hops closed', () => allClosed(jump, jm) && allClosed(target, tm), 10_000);
    expect(since(target, tm)).toEqual([['close']]);
    expect(since(jump, jm)).toEqual([[...AUTHED, `tcpip:127.0.0.1:${target.port}`, 'close']]);
  });

  it("names the jump host that refused the key, and never offers the target's key to it", async () => {
    const [jm, tm] = [jump.logs.length, target.logs.length];
    const err = await SshConnection.connect(
      chain(knownHosts(keys.jumpHost.pub, keys.targetHost.pub), { jumpKey: keys.targetClient.path }),
      fast,
    ).catch((e: unknown) => e);
    expect((err as SshError).kind).toBe('auth');
    expect((err as SshError).message).toMatch(
      new RegExp(`^node n2: jump host j1 \\(127\\.0\\.0\\.1:${jump.port}\\): ju@127\\.0\\.0\\.1 refused every key`),
    );
    await until('the jump server saw the end', () => allClosed(jump, jm), 10_000);
    expect(since(jump, jm)).toEqual([['auth:none:rejected', 'auth:publickey:rejected', 'close']]);
    expect(since(target, tm)).toEqual([]);
  });

  it('names the jump host that cannot reach the next hop', async () => {
    const t = chain(knownHosts(keys.jumpHost.pub, keys.targetHost.pub));
    const closedPort = await new Promise<number>((r) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const err = await SshConnection.connect({ ...t, port: closedPort }, fast).catch((e: unknown) => e);
    expect((err as SshError).kind).toBe('network');
    expect((err as SshError).message).toMatch(
      new RegExp(
        `^node n2: jump host j1 \\(127\\.0\\.0\\.1:${jump.port}\\): cannot reach 127\\.0\\.0\\.1:${closedPort} through it`,
      ),
    );
  });

  it('gives up on a jump host that never answers the forwarding, naming it, and ends the chain', async () => {
    const jm = jump.logs.length;
    jump.slow.tcpipHangs = true;
    try {
      const started = Date.now();
      const err = await SshConnection.connect(chain(knownHosts(keys.jumpHost.pub, keys.targetHost.pub)), {
        ...fast,
        readyTimeoutMs: 400,
      }).catch((e: unknown) => e);
      expect((err as SshError).kind).toBe('network');
      expect((err as SshError).message).toBe(
        `node n2: jump host j1 (127.0.0.1:${jump.port}): cannot reach 127.0.0.1:${target.port} through it: no answer in 400 ms`,
      );
      expect(Date.now() - started).toBeLessThan(800);
      await until('the jump server saw the end', () => allClosed(jump, jm), 10_000);
    } finally {
      delete jump.slow.tcpipHangs;
    }
  });

  it('holds the whole chain to one deadline, naming the hop it had reached', async () => {
    const [jm, tm] = [jump.logs.length, target.logs.length];
    // each step stays within its own timer; together they take longer than two of them
    Object.assign(jump.slow, { authMs: 800, tcpipMs: 800 });
    target.slow.authMs = 800;
    try {
      const started = Date.now();
      const err = await SshConnection.connect(chain(knownHosts(keys.jumpHost.pub, keys.targetHost.pub)), {
        ...fast,
        readyTimeoutMs: 1000,
      }).catch((e: unknown) => e);
      expect((err as SshError).kind).toBe('network');
      expect((err as SshError).message).toBe('node n2: timed out: the chain of jump hosts not through in 2000 ms');
      expect(Date.now() - started).toBeLessThan(2400);
      await until('both hops closed', () => allClosed(jump, jm) && allClosed(target, tm), 10_000);
    } finally {
      for (const s of [jump, target]) for (const k of Object.keys(s.slow)) delete s.slow[k as keyof TestServer['slow']];
    }
  });

  it("blames the jump host, not the node, when the jump host drops during the next hop's handshake", async () => {
    // a target that accepts and never says a word: the handshake waits, and the jump host goes away
    const held = new Set<import('node:net').Socket>();
    const silent = createServer((s) => held.add(s));
    const silentPort = await new Promise<number>((r) =>
      silent.listen(0, '127.0.0.1', () => r((silent.address() as AddressInfo).port)),
    );
    let accepted = 0;
    silent.on('connection', () => accepted++);
    try {
      const t = { ...chain(knownHosts(keys.jumpHost.pub, keys.targetHost.pub)), port: silentPort };
      const pending = SshConnection.connect(t, fast).catch((e: unknown) => e);
      await until('the jump host reached the silent target', () => accepted > 0, 10_000);
      jump.drop();
      const err = await pending;
      expect((err as SshError).kind).toBe('network');
      expect((err as SshError).message).toMatch(
        new RegExp(`^node n2: jump host j1 \\(127\\.0\\.0\\.1:${jump.port}\\): the connection was lost`),
      );
    } finally {
      held.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  });

  it('passes over a key file with a passphrase for one that parses', async () => {
    const locked = keygenLocked('locked_jump');
    const t = chain(knownHosts(keys.jumpHost.pub, keys.targetHost.pub));
    t.jump![0]!.identityFiles = [locked, keys.jumpClient.path];
    const conn = await SshConnection.connect(t, fast);
    expect((await conn.exec('id')).stdout).toBe('target ran: id\n');
    conn.end();
  });

  it('passes over a key file with a passphrase when ssh-agent holds the key', async () => {
    const sock = join(tmp.path, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await until('the agent listens', () => existsSync(sock), 10_000);
      execFileSync('ssh-add', ['-q', keys.jumpClient.path], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      process.env.SSH_AUTH_SOCK = sock;
      const t = chain(knownHosts(keys.jumpHost.pub, keys.targetHost.pub));
      t.jump![0]!.identityFiles = [keygenLocked('locked_agent')];
      const conn = await SshConnection.connect(t, fast);
      expect((await conn.exec('id')).stdout).toBe('target ran: id\n');
      conn.end();
    } finally {
      delete process.env.SSH_AUTH_SOCK;
      agent.kill();
    }
  });

  it('says which key file has a passphrase, and on which hop, when there is nothing else to use', async () => {
    const locked = keygenLocked('locked_only');
    const t = chain(knownHosts(keys.jumpHost.pub, keys.targetHost.pub));
    t.jump![0]!.identityFiles = [locked];
    const err = await SshConnection.connect(t, fast).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
    expect((err as SshError).kind).toBe('auth');
    expect((err as SshError).message).toBe(
      `node n2: jump host j1 (127.0.0.1:${jump.port}): no key to use: ${locked} is protected by a passphrase; add it to ssh-agent (ssh-add, with SSH_AUTH_SOCK set) or give a key file without a passphrase`,
    );
  });
});

function keygenLocked(name: string): string {
  const path = join(tmp.path, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-f', path, '-N', 'secret words', '-C', '']);
  return path;
}
