// The host key check on a live connection: an in-process ssh2 Server on 127.0.0.1 (as ssh2's own tests
// do) and an ssh2 Client with hostVerifierFor. A refused key must end the connection before the client
// sends any credential — the server's `authentication` handler never runs. The real OpenSSH client,
// pointed at the same server and files, is the oracle for which keys are accepted.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, Server, utils, type ConnectConfig } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostKeyAlgorithmsFor, hostVerifierFor, type Verdict } from '../../src/fleet/host-verifier.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('agency-ssh2-hostkey-');

interface Key {
  priv: Buffer;
  line: string;
  blob: Buffer;
  fp: string;
  privPath: string;
}
function keygen(name: string, type: string): Key {
  const path = join(tmp.path, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-f', path, '-N', '', '-C', '']);
  const [t, b64] = readFileSync(`${path}.pub`, 'utf8').trim().split(' ');
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], { encoding: 'utf8' }).split(
    ' ',
  )[1]!;
  return { priv: readFileSync(path), line: `${t} ${b64}`, blob: Buffer.from(b64!, 'base64'), fp, privPath: path };
}

let n = 0;
function knownHosts(...lines: string[]): string {
  const file = join(tmp.path, `known_hosts_${++n}`);
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return file;
}

/** What the server saw of one connection, in order. */
interface ServerLog {
  events: string[];
  closed: Promise<void>;
}

interface TestServer {
  port: number;
  logs: ServerLog[];
  close(): Promise<void>;
}

function startServer(hostKeys: Buffer[], clientKey: Key): Promise<TestServer> {
  const allowed = utils.parseKey(readFileSync(`${clientKey.privPath}.pub`));
  if (allowed instanceof Error) throw allowed;
  const logs: ServerLog[] = [];
  const server = new Server({ hostKeys }, (conn) => {
    const events: string[] = ['connection'];
    logs.push({ events, closed: new Promise((r) => conn.on('close', () => r())) });
    conn.on('error', () => {});
    conn.on('authentication', (ctx) => {
      events.push(`authentication:${ctx.method}`);
      if (ctx.method !== 'publickey' || ctx.key.algo !== allowed.type || !ctx.key.data.equals(allowed.getPublicSSH()))
        return ctx.reject(['publickey']);
      if (ctx.signature && allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true)
        return ctx.reject(['publickey']);
      ctx.accept();
    });
    conn.on('ready', () => {
      events.push('ready');
      conn.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          const ch = acceptExec();
          ch.write(`ran: ${info.command}\n`);
          ch.exit(0);
          ch.end();
        });
      });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ port, logs, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

interface Outcome {
  ok: boolean;
  error?: Error & { level?: string };
  output?: string;
  verdict: Verdict | null;
  /** client-side events: hostVerifier, handshake, ready */
  events: string[];
  presented: Buffer[];
  server: ServerLog;
}

/** Connects with hostVerifierFor, runs one command if let in, and waits until the server saw the end. */
async function connect(
  srv: TestServer,
  files: string[],
  clientKey: Key,
  extra: Partial<ConnectConfig> = {},
): Promise<Outcome> {
  const before = srv.logs.length;
  const verifier = hostVerifierFor({ host: '127.0.0.1', port: srv.port, files });
  const events: string[] = [];
  const presented: Buffer[] = [];
  const client = new Client();
  client.on('handshake', () => events.push('handshake'));
  const result = await new Promise<Omit<Outcome, 'server' | 'verdict' | 'events' | 'presented'>>((resolve) => {
    client.on('error', (error) => resolve({ ok: false, error }));
    client.on('ready', () => {
      events.push('ready');
      client.exec('hostname', (err, stream) => {
        if (err) return resolve({ ok: false, error: err });
        let output = '';
        stream.on('data', (d: Buffer) => (output += d.toString()));
        stream.on('close', () => resolve({ ok: true, output }));
      });
    });
    client.connect({
      host: '127.0.0.1',
      port: srv.port,
      username: 'agency',
      privateKey: clientKey.priv,
      readyTimeout: 20_000,
      hostVerifier: (key: Buffer) => {
        events.push('hostVerifier');
        presented.push(key);
        return verifier.verify(key);
      },
      ...extra,
    });
  });
  client.end();
  expect(srv.logs.length).toBe(before + 1);
  const server = srv.logs[before]!;
  await server.closed;
  return { ...result, verdict: verifier.verdict(), events, presented, server };
}

function expectRefusedBeforeAuth(o: Outcome, reason: string): Extract<Verdict, { ok: false }> {
  expect(o.ok).toBe(false);
  expect(o.error?.message).toBe('Host denied (verification failed)');
  expect(o.error?.level).toBe('handshake');
  expect(o.events).toEqual(['hostVerifier']);
  // the server got the connection and the key exchange, and never a credential
  expect(o.server.events).toEqual(['connection']);
  const v = o.verdict;
  if (!v || v.ok) throw new Error(`expected a refusal verdict, got ${JSON.stringify(v)}`);
  expect(v.reason).toBe(reason);
  return v;
}

let hostEd: Key, hostEc: Key, otherEd: Key, ca: Key, clientKey: Key;
let srv: TestServer;
let srvTwoKeys: TestServer;
beforeAll(async () => {
  hostEd = keygen('host_ed25519', 'ed25519');
  hostEc = keygen('host_ecdsa', 'ecdsa');
  otherEd = keygen('other_ed25519', 'ed25519');
  ca = keygen('ca', 'ed25519');
  clientKey = keygen('client', 'ed25519');
  srv = await startServer([hostEd.priv], clientKey);
  srvTwoKeys = await startServer([hostEd.priv, hostEc.priv], clientKey);
});
afterAll(async () => {
  await srv?.close();
  await srvTwoKeys?.close();
  tmp.remove();
});

describe('ssh2 client with hostVerifierFor, against an in-process ssh2 server', () => {
  it('hands hostVerifier the raw public key blob, as in known_hosts', async () => {
    const o = await connect(srv, [knownHosts()], clientKey);
    expect(o.presented).toHaveLength(1);
    expect(Buffer.isBuffer(o.presented[0])).toBe(true);
    expect(o.presented[0]!.equals(hostEd.blob)).toBe(true);
  });

  it('refuses an unknown key before any credential, with the fingerprint and the command to trust it', async () => {
    const file = knownHosts(`some.other.host ${hostEd.line}`);
    const v = expectRefusedBeforeAuth(await connect(srv, [file], clientKey), 'unknown');
    expect(v.fingerprint).toBe(hostEd.fp);
    expect(v.message).toContain(hostEd.fp);
    expect(v.message).toContain(`ssh-keyscan -p ${srv.port} -t ed25519 127.0.0.1 >> ${file}`);
  });

  it('refuses a changed key before any credential, with the old line and the commands to replace it', async () => {
    const file = knownHosts(`[127.0.0.1]:${srv.port} ${otherEd.line}`);
    const v = expectRefusedBeforeAuth(await connect(srv, [file], clientKey), 'changed');
    expect(v.message).toContain(`${file}:1`);
    expect(v.message).toContain(hostEd.fp);
    expect(v.message).toContain(`ssh-keygen -R '[127.0.0.1]:${srv.port}' -f ${file}`);
    expect(v.message).toContain(`ssh-keyscan -p ${srv.port} -t ed25519 127.0.0.1 >> ${file}`);
  });

  it('refuses a revoked key before any credential, even when it is also listed', async () => {
    const file = knownHosts(`[127.0.0.1]:${srv.port} ${hostEd.line}`, `@revoked * ${hostEd.line}`);
    const v = expectRefusedBeforeAuth(await connect(srv, [file], clientKey), 'revoked');
    expect(v.message).toContain(`${file}:2`);
  });

  it('refuses a host trusted only through @cert-authority before any credential', async () => {
    const file = knownHosts(`@cert-authority * ${ca.line}`);
    const v = expectRefusedBeforeAuth(await connect(srv, [file], clientKey), 'ca-only');
    expect(v.message).toMatch(/cannot negotiate host certificates/);
    expect(v.message).toContain(`ssh-keyscan -p ${srv.port} -t ed25519 127.0.0.1 >> ${file}`);
  });

  it('lets a known key in: publickey authentication and a command, with the check before authentication', async () => {
    const file = knownHosts(`[127.0.0.1]:${srv.port} ${hostEd.line}`);
    const o = await connect(srv, [file], clientKey);
    expect(o.error).toBeUndefined();
    expect(o.output).toBe('ran: hostname\n');
    expect(o.verdict).toMatchObject({ ok: true, fingerprint: hostEd.fp, matchedFile: file, line: 1 });
    // key check, then the end of the key exchange, then (and only then) authentication
    expect(o.events).toEqual(['hostVerifier', 'handshake', 'ready']);
    expect(o.server.events[0]).toBe('connection');
    expect(o.server.events).toContain('authentication:publickey');
    expect(o.server.events.at(-1)).toBe('ready');
  });

  it('lets a key in from entries hashed by ssh-keygen -H, and under the plain name for another port', async () => {
    const hashed = knownHosts(`[127.0.0.1]:${srv.port} ${hostEd.line}`);
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
    expect((await connect(srv, [hashed], clientKey)).output).toBe('ran: hostname\n');
    const plain = knownHosts(`127.0.0.1 ${hostEd.line}`);
    expect((await connect(srv, [plain], clientKey)).output).toBe('ran: hostname\n');
  });

  it('asks for a key type known for the host when given hostKeyAlgorithmsFor', async () => {
    const file = knownHosts(`[127.0.0.1]:${srvTwoKeys.port} ${hostEc.line}`);
    // ssh2 prefers ED25519, which nobody recorded for this host: refused, naming the type that is known
    const v = expectRefusedBeforeAuth(await connect(srvTwoKeys, [file], clientKey), 'unknown');
    expect(v.message).toContain('No ED25519 key is known for 127.0.0.1 port');
    expect(v.message).toContain('only ECDSA');
    const serverHostKey = hostKeyAlgorithmsFor({ host: '127.0.0.1', port: srvTwoKeys.port, files: [file] });
    const o = await connect(srvTwoKeys, [file], clientKey, { algorithms: { serverHostKey } });
    expect(o.output).toBe('ran: hostname\n');
    expect(o.verdict).toMatchObject({ ok: true, keyType: 'ecdsa-sha2-nistp256' });
  });
});

describe('the real OpenSSH client as the oracle of which keys are accepted', () => {
  /**
   * Whether `ssh` accepted the server's host key (it then fails at authentication, which we refuse).
   * Run asynchronously: the server it talks to lives in this process.
   */
  async function opensshAccepts(port: number, file: string): Promise<{ accepted: boolean; stderr: string }> {
    const stderr = await new Promise<string>((resolve) =>
      execFile(
        'ssh',
        [
          '-F',
          '/dev/null',
          '-o',
          'BatchMode=yes',
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          `UserKnownHostsFile=${file}`,
          '-o',
          'GlobalKnownHostsFile=/dev/null',
          '-o',
          'CheckHostIP=no',
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          'IdentityFile=/dev/null',
          '-o',
          'PreferredAuthentications=publickey',
          '-o',
          'ConnectTimeout=20',
          '-p',
          String(port),
          'nobody@127.0.0.1',
          'true',
        ],
        { encoding: 'utf8', timeout: 30_000 },
        (_err, _stdout, err) => resolve(err),
      ),
    );
    if (/Host key verification failed/.test(stderr)) return { accepted: false, stderr };
    if (/Permission denied/.test(stderr)) return { accepted: true, stderr };
    throw new Error(`unexpected ssh outcome: ${stderr}`);
  }

  const cases: [string, (port: number) => string[], string][] = [
    ['listed', (p) => [`[127.0.0.1]:${p} ${hostEd.line}`], 'ok'],
    [
      'listed after a non-matching pattern',
      (p) => [`[127.0.0.2]:${p},!x ${otherEd.line}`, `[127.0.0.?]:${p} ${hostEd.line}`],
      'ok',
    ],
    ['listed under the plain name only', () => [`127.0.0.1 ${hostEd.line}`], 'ok'],
    ['excluded by negation', (p) => [`[127.0.0.*]:${p},![127.0.0.1]:${p} ${hostEd.line}`], 'unknown'],
    ['another key of the same type', (p) => [`[127.0.0.1]:${p} ${otherEd.line}`], 'changed'],
    ['another key under the plain name only', () => [`127.0.0.1 ${otherEd.line}`], 'unknown'],
    ['revoked and listed', (p) => [`[127.0.0.1]:${p} ${hostEd.line}`, `@revoked * ${hostEd.line}`], 'revoked'],
    ['only a CA', () => [`@cert-authority * ${ca.line}`], 'ca-only'],
    ['nothing', () => ['# empty'], 'unknown'],
  ];

  it.each(cases)(
    '%s: agency accepts exactly when ssh does, and names the same problem',
    async (_name, lines, expected) => {
      const file = knownHosts(...lines(srv.port));
      const ssh = await opensshAccepts(srv.port, file);
      const o = await connect(srv, [file], clientKey);
      expect(o.verdict?.ok ? 'ok' : (o.verdict as { reason: string }).reason).toBe(expected);
      expect(o.verdict?.ok).toBe(ssh.accepted);
      if (expected === 'changed') expect(ssh.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
      if (expected === 'revoked') expect(ssh.stderr).toMatch(/REVOKED HOST KEY/);
      if (expected === 'unknown') expect(ssh.stderr).toMatch(/No ED25519 host key is known/);
      if (o.verdict?.ok === false) expect(o.server.events).toEqual(['connection']);
    },
  );

  it('differs from ssh on purpose when only another key type is known: ssh says CHANGED, agency says which type is missing', async () => {
    const file = knownHosts(`[127.0.0.1]:${srv.port} ${hostEc.line}`);
    expect(await opensshAccepts(srv.port, file)).toMatchObject({
      accepted: false,
      stderr: expect.stringMatching(/HAS CHANGED/),
    });
    const o = await connect(srv, [file], clientKey);
    expect(o.verdict).toMatchObject({
      ok: false,
      reason: 'unknown',
      message: expect.stringContaining('No ED25519 key is known'),
    });
  });
});
