/**
 * git over agency's own SSH connection, against an in-process ssh2 server that runs exec requests with sh,
 * as sshd does (no root, nothing beyond 127.0.0.1): real local git fetches and pushes through the bridge;
 * the node runs only the service agency asked for, on the path agency named.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server, utils } from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { GitLink, LINK_URL, LinkedGit } from '../../src/fleet/git-link.js';
import { SshConnection } from '../../src/fleet/ssh-connect.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const git = (cwd: string, ...a: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e.invalid', ...a], {
    cwd,
    encoding: 'utf8',
  }).trim();

/** an ed25519 pair ssh2 can read back (see remote-link.test.ts) */
function ed25519Pair(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error))
      return pair;
  }
}

/** an SSH server whose exec requests run with sh, and a connection to it */
async function fakeNode(): Promise<{ ssh: SshConnection; execs: string[]; dir: string }> {
  const t = tempDir('agency-gitlink-');
  cleanups.push(t.remove);
  const hostKey = ed25519Pair();
  const client = ed25519Pair();
  writeFileSync(join(t.path, 'id'), client.private, { mode: 0o600 });
  const execs: string[] = [];
  const server = new Server({ hostKeys: [hostKey.private] }, (conn) => {
    conn.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
    conn.on('ready', () =>
      conn.on('session', (accept) =>
        accept().on('exec', (acc, _rej, info) => {
          execs.push(info.command);
          const ch = acc();
          const p = spawn('sh', ['-c', info.command], { stdio: ['pipe', 'pipe', 'pipe'] });
          ch.pipe(p.stdin);
          p.stdout.pipe(ch, { end: false });
          p.stderr.pipe(ch.stderr);
          p.stdin.on('error', () => undefined);
          p.on('close', (code) => {
            ch.exit(code ?? 1);
            ch.end();
          });
        }),
      ),
    );
    conn.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const pub = utils.parseKey(hostKey.public) as { getPublicSSH(): Buffer; type: string };
  writeFileSync(
    join(t.path, 'known_hosts'),
    `[127.0.0.1]:${port} ${pub.type} ${pub.getPublicSSH().toString('base64')}\n`,
  );
  const ssh = await SshConnection.connect({
    name: 'fake',
    host: '127.0.0.1',
    port,
    user: 'test',
    identityFiles: [join(t.path, 'id')],
    knownHostsFiles: [join(t.path, 'known_hosts')],
  });
  cleanups.push(() => server.close());
  cleanups.push(() => ssh.end());
  return { ssh, execs, dir: t.path };
}

/** a repository "on the node" (a bare one, at a path with a quote in it) and a clone "on the operator's machine" */
function repos(dir: string): { nodeRepo: string; here: string } {
  const nodeRepo = join(dir, "node's", 'repo.git');
  mkdirSync(join(nodeRepo, '..'), { recursive: true });
  git(dir, 'init', '-q', '--bare', '-b', 'main', nodeRepo);
  const here = join(dir, 'here');
  git(dir, 'init', '-q', '-b', 'main', here);
  writeFileSync(join(here, 'a.txt'), 'a\n');
  git(here, 'add', '-A');
  git(here, 'commit', '-q', '-m', 'first');
  return { nodeRepo, here };
}

describe("git over a node's SSH connection", () => {
  it('pushes unpushed commits to the path agency names, and fetches a branch back', async () => {
    const { ssh, execs, dir } = await fakeNode();
    const { nodeRepo, here } = repos(dir);
    const link = new GitLink(ssh, 'fake');
    const head = git(here, 'rev-parse', 'HEAD');
    const pushed = await link.git({
      cwd: here,
      args: ['push', '--quiet', LINK_URL, `+${head}:refs/heads/main`],
      service: 'git-receive-pack',
      remotePath: nodeRepo,
    });
    expect(pushed.code, pushed.stderr + pushed.remoteStderr).toBe(0);
    expect(git(nodeRepo, 'rev-parse', 'refs/heads/main')).toBe(head);
    // the command is agency's: the service asked for, on the path it named, quoted for the node's shell
    expect(execs).toEqual([`git-receive-pack '${nodeRepo.replace("'", "'\\''")}'`]);

    // the node's session commits on its branch; the operator fetches it
    const wt = join(dir, 'wt');
    git(nodeRepo, 'worktree', 'add', '-q', '-b', 'agency/s-1', wt, 'main');
    writeFileSync(join(wt, 'b.txt'), 'b\n');
    git(wt, 'add', '-A');
    git(wt, 'commit', '-q', '-m', 'session work');
    const tip = git(wt, 'rev-parse', 'HEAD');
    const fetched = await link.git({
      cwd: here,
      args: ['fetch', '--quiet', LINK_URL, '+refs/heads/agency/s-1:refs/agency/fetched/s-1'],
      service: 'git-upload-pack',
      remotePath: nodeRepo,
    });
    expect(fetched.code, fetched.stderr + fetched.remoteStderr).toBe(0);
    expect(git(here, 'rev-parse', 'refs/agency/fetched/s-1')).toBe(tip);
    expect(git(here, 'show', `${tip}:b.txt`)).toBe('b');
    // git's protocol version 2 travels in the command, since sshd passes no environment by default
    expect(execs[1]).toMatch(/^env GIT_PROTOCOL=version=2 git-upload-pack '/);
  });

  it('runs only the service it was asked for, and reports what the node said', async () => {
    const { ssh, execs, dir } = await fakeNode();
    const { nodeRepo, here } = repos(dir);
    const link = new GitLink(ssh, 'fake');
    const wrong = await link.git({
      cwd: here,
      args: ['push', '--quiet', LINK_URL, 'HEAD:refs/heads/main'],
      service: 'git-upload-pack',
      remotePath: nodeRepo,
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.remoteStderr).toMatch(/git asked for git-receive-pack, not git-upload-pack/);
    expect(execs).toEqual([]);

    const missing = await link.git({
      cwd: here,
      args: ['fetch', '--quiet', LINK_URL, 'refs/heads/main'],
      service: 'git-upload-pack',
      remotePath: join(dir, 'gone.git'),
    });
    expect(missing.code).not.toBe(0);
    expect(missing.remoteStderr).toMatch(/not a git repository|does not appear to be a git repository/);
  });

  it('started before the node is known, git waits; attached, it fetches; cancelled, nothing runs', async () => {
    const { ssh, execs, dir } = await fakeNode();
    const { nodeRepo, here } = repos(dir);
    git(here, 'push', '-q', nodeRepo, 'HEAD:refs/heads/agency/s-2');
    const opts = {
      cwd: here,
      args: ['fetch', '--quiet', LINK_URL, '+refs/heads/agency/s-2:refs/agency/fetched/s-2'],
      service: 'git-upload-pack' as const,
    };
    const early = LinkedGit.start(opts);
    await until('git waiting on its connection', () => early.waiting === 1);
    expect(execs).toEqual([]);
    early.attach(new GitLink(ssh, 'fake'), nodeRepo);
    const r = await early.done;
    expect(r.code, r.stderr + r.remoteStderr).toBe(0);
    expect(git(here, 'rev-parse', 'refs/agency/fetched/s-2')).toBe(git(here, 'rev-parse', 'HEAD'));
    expect(execs).toHaveLength(1);

    const dropped = LinkedGit.start({ ...opts, args: [...opts.args.slice(0, -1), '+refs/heads/agency/s-2:refs/x'] });
    dropped.cancel();
    const d = await dropped.done;
    expect(d.code).not.toBe(0);
    expect(execs).toHaveLength(1);
    expect(() => git(here, 'rev-parse', '--verify', '--quiet', 'refs/x')).toThrow();
  });

  it('a fetch of megabytes arrives whole', { timeout: 60_000 }, async () => {
    const { ssh, dir } = await fakeNode();
    const { nodeRepo, here } = repos(dir);
    const big = join(dir, 'big');
    git(dir, 'clone', '-q', nodeRepo, big);
    // incompressible content, so that the pack is as large as the files
    for (let i = 0; i < 2; i++) writeFileSync(join(big, `blob-${i}.bin`), randomBytes(3 << 20).toString('base64'));
    git(big, 'add', '-A');
    git(big, 'commit', '-q', '-m', 'big');
    git(big, 'push', '-q', 'origin', 'HEAD:refs/heads/big');
    const link = new GitLink(ssh, 'fake');
    const r = await link.git({
      cwd: here,
      args: ['fetch', '--quiet', LINK_URL, '+refs/heads/big:refs/remotes/node/big'],
      service: 'git-upload-pack',
      remotePath: nodeRepo,
    });
    expect(r.code, r.stderr + r.remoteStderr).toBe(0);
    expect(git(here, 'rev-parse', 'refs/remotes/node/big')).toBe(git(big, 'rev-parse', 'HEAD'));
    git(here, 'fsck', '--no-progress', '--no-dangling');
  });
});
