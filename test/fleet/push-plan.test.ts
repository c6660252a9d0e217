import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import {
  hasRuntime,
  launcherExec,
  launcherNode,
  launcherScript,
  libcName,
  parseProbe,
  planNode,
  PROBE,
  type Facts,
} from '../../src/fleet/push-plan.js';
import { pushLine } from '../../src/cli/fleet-commands.js';
import { isBundledNode } from '../../src/paths/runtime-dir.js';
import { pathWithRuntime, runtimeInfo } from '../../src/node/runtime-info.js';
import { shq } from '../../src/fleet/shell-quote.js';

const linux = (more: Facts = {}): Facts => ({
  home: '/home/u',
  platform: 'Linux-x86_64',
  libc: 'glibc 2.36',
  node: 'none',
  ...more,
});
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return { failure: (e as { failure?: string }).failure, message: (e as Error).message };
  }
  throw new Error('not refused');
};

describe('what push decides from the probe', () => {
  it('refuses glibc older than 2.28 and musl, with the reason', () => {
    const old = refusal(() => planNode('n1', linux({ libc: 'glibc 2.17' })));
    expect(old.failure).toBe('libc');
    expect(old.message).toMatch(/node n1 has glibc 2\.17: Node 20 and 22 need glibc 2\.28 or newer/);
    expect(
      refusal(() => planNode('n1', linux({ libc: 'glibc 2.27', node: '22.1.0', nodePath: '/usr/bin/node' }))).failure,
    ).toBe('libc');
    const musl = refusal(() => planNode('n2', linux({ libc: 'musl' })));
    expect(musl.failure).toBe('libc');
    expect(musl.message).toMatch(/node n2 uses the musl C library/);
    expect(planNode('n3', linux({ libc: 'glibc 2.28' })).runtime.kind).toBe('bundled');
  });

  it('refuses macOS older than 11', () => {
    const r = refusal(() => planNode('mac', { platform: 'Darwin-x86_64', macos: '10.15.7', node: 'none' }));
    expect(r).toEqual({ failure: 'libc', message: expect.stringMatching(/runs macOS 10\.15\.7: .*macOS 11 or newer/) });
    expect(planNode('mac', { platform: 'Darwin-arm64', macos: '14.5', node: 'none' })).toEqual({
      platform: 'darwin-arm64',
      runtime: { kind: 'bundled', platform: 'darwin-arm64' },
    });
  });

  it('refuses linux-arm64 for the agent, saying why, and unknown platforms', () => {
    const arm = refusal(() => planNode('pi', linux({ platform: 'Linux-aarch64' })));
    expect(arm.failure).toBe('platform');
    expect(arm.message).toMatch(/linux-arm64: .*node-pty .*no addon built for linux-arm64/);
    expect(refusal(() => planNode('x', linux({ platform: 'FreeBSD-amd64' }))).message).toMatch(/runs FreeBSD-amd64/);
  });

  it('auto: the node’s own Node when it is 20 or newer, else agency’s', () => {
    expect(planNode('a', linux({ node: '22.3.0', nodePath: '/usr/bin/node' })).runtime).toEqual({
      kind: 'system',
      node: '22.3.0',
      path: '/usr/bin/node',
    });
    for (const node of ['18.19.0', 'broken', 'none'])
      expect(planNode('a', linux({ node, nodePath: '/usr/bin/node' })).runtime).toEqual({
        kind: 'bundled',
        platform: 'linux-x64',
      });
  });

  it('bundled: agency’s Node even where the node has one; system: refuses without Node 20+, naming the fix', () => {
    expect(planNode('b', linux({ node: '22.3.0', nodePath: '/usr/bin/node' }), 'bundled').runtime.kind).toBe('bundled');
    expect(planNode('s', linux({ node: '20.0.0', nodePath: '/opt/n/bin/node' }), 'system').runtime).toEqual({
      kind: 'system',
      node: '20.0.0',
      path: '/opt/n/bin/node',
    });
    const none = refusal(() => planNode('s', linux(), 'system'));
    expect(none.failure).toBe('no-node');
    expect(none.message).toMatch(
      /runtime: system.*none on its PATH: install Node\.js 20\+ there, or set its runtime to auto or bundled/,
    );
    expect(
      refusal(() => planNode('s', linux({ node: '18.0.0', nodePath: '/usr/bin/node' }), 'system')).message,
    ).toMatch(/it has 18\.0\.0, not 20 or newer/);
  });

  it('a runtime the node keeps already is not sent again; the launcher runs the chosen Node', () => {
    const sha = 'a'.repeat(64);
    expect(hasRuntime(linux({ runtimes: `${'b'.repeat(64)} ${sha} ` }), sha)).toBe(true);
    expect(hasRuntime(linux({ runtimes: '' }), sha)).toBe(false);
    expect(launcherNode('/home/u', { kind: 'bundled', platform: 'linux-x64' }, sha)).toBe(
      `/home/u/.agency/runtime/${sha}/bin/node`,
    );
    expect(launcherNode('/home/u', { kind: 'system', node: '22.0.0', path: '/usr/bin/node' }, null)).toBe(
      '/usr/bin/node',
    );
    expect(libcName(linux())).toBe('glibc 2.36');
    expect(libcName({ macos: '14.5' })).toBe('macOS 14.5');
  });

  const dir = mkdtempSync(join(tmpdir(), 'agency-plan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the launcher execs its Node on the current agent, and the probe reads it back', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.agency', 'agent', 'current', 'bin'), { recursive: true });
    writeFileSync(
      join(home, '.agency', 'agent', 'current', 'bin', 'agency'),
      'console.log(JSON.stringify(process.argv.slice(2)))',
    );
    const launcher = join(home, '.agency', 'agent', 'agency');
    writeFileSync(launcher, launcherScript(process.execPath), { mode: 0o755 });
    const env = { HOME: home, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` };
    expect(execFileSync(launcher, ['node', "it's"], { env, encoding: 'utf8' }).trim()).toBe('["node","it\'s"]');
    const facts = parseProbe(execFileSync('/bin/sh', ['-c', PROBE], { env, encoding: 'utf8' }));
    expect(facts.launcher).toBe(launcherExec(process.execPath));
    expect([facts.node, facts.nodePath]).toEqual([process.versions.node, process.execPath]);
    expect(facts.libc).toMatch(/^glibc \d+\.\d+$/);
  });

  it('the daemon on agency’s Node gives its sessions `node` at the end of their PATH', () => {
    const home = join(dir, 'h2');
    const bin = join(home, '.agency', 'runtime', 'c'.repeat(64), 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'node'), '');
    expect(isBundledNode(join(bin, 'node'), home)).toBe(true);
    expect(isBundledNode(process.execPath, home)).toBe(false);
    expect(pathWithRuntime('/usr/bin:/bin', join(bin, 'node'), home)).toBe(`/usr/bin:/bin:${bin}`);
    expect(pathWithRuntime('/usr/bin:/bin', process.execPath, home)).toBe('/usr/bin:/bin');
  });

  it('push says when it installed agency’s Node and how much it sent', () => {
    const base = { node: 'n1', ok: true, build: 'f'.repeat(64), ms: 5 };
    expect(
      pushLine({
        ...base,
        runtime: { kind: 'bundled', node: '22.23.2' },
        uploaded: { runtime: 40 * 1024 * 1024, agent: 2048 },
      }),
    ).toBe(
      `n1: installed and started (ffffffffffff, 2 KB sent, 5 ms); installed agency's Node 22.23.2 (40960 KB sent)`,
    );
    expect(
      pushLine({
        ...base,
        unchanged: true,
        runtime: { kind: 'system', node: '20.1.0' },
        uploaded: { runtime: 0, agent: 0 },
      }),
    ).toBe('n1: already up to date (ffffffffffff, 5 ms); on its own Node 20.1.0');
  });

  it('reads a probe answered with CRLF line ends', () => {
    const facts = parseProbe('home=/home/u\r\nplatform=Linux-x86_64\r\nlibc=glibc 2.36\r\nnode=none\r\n');
    expect(facts).toEqual({ home: '/home/u', platform: 'Linux-x86_64', libc: 'glibc 2.36', node: 'none' });
    expect(planNode('crlf', facts)).toEqual({
      platform: 'linux-x64',
      runtime: { kind: 'bundled', platform: 'linux-x64' },
    });
    const own = parseProbe('platform=Linux-x86_64\r\nnode=22.1.0\r\nnodePath=/usr/bin/node\r\n');
    expect(planNode('crlf', own).runtime).toEqual({ kind: 'system', node: '22.1.0', path: '/usr/bin/node' });
  });

  it('says what is wrong with a node’s own Node when it must run on it', () => {
    const why = (more: Facts) => refusal(() => planNode('n1', linux(more), 'system'));
    const relative = why({ node: '22.1.0', nodePath: 'node' });
    expect(relative.failure).toBe('no-node');
    expect(relative.message).toMatch(/its Node 22\.1\.0 is found at "node", not an absolute path/);
    expect(relative.message).not.toMatch(/not 20 or newer/);
    expect(why({ node: '18.19.0', nodePath: '/usr/bin/node' }).message).toMatch(/it has 18\.19\.0, not 20 or newer/);
    expect(why({ node: 'broken', nodePath: '/opt/node/bin/node' }).message).toMatch(
      /its \/opt\/node\/bin\/node does not run/,
    );
    expect(why({ node: 'none' }).message).toMatch(/it has none on its PATH: install Node\.js 20\+ there/);
  });

  it('the daemon and doctor agree on agency’s Node, through a symlink into the runtimes too', () => {
    const home = join(dir, 'h3');
    const bin = join(home, '.agency', 'runtime', 'd'.repeat(64), 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'node'), '');
    mkdirSync(join(home, 'elsewhere'));
    symlinkSync(join(bin, 'node'), join(home, 'elsewhere', 'node'));
    for (const execPath of [join(bin, 'node'), join(home, 'elsewhere', 'node'), process.execPath]) {
      const info = runtimeInfo({
        platform: 'linux',
        execPath,
        version: '22.1.0',
        home,
        glibc: () => '2.36',
        macVersion: () => undefined,
      });
      expect(isBundledNode(execPath, home)).toBe(info.bundled);
    }
    expect(isBundledNode(join(home, 'elsewhere', 'node'), home)).toBe(true);
  });

  it('quotes any word for the shell, once for every command push builds', () => {
    for (const word of ["it's", 'a b', '$HOME', '`id`', "'", '', 'x\ny', '"\\'])
      expect(execFileSync('/bin/sh', ['-c', `printf %s ${shq(word)}`], { encoding: 'utf8' })).toBe(word);
    expect(launcherExec("/opt/my node's/bin/node")).toBe(
      `exec '/opt/my node'\\''s/bin/node' "$HOME/.agency/agent/current/bin/agency" "$@"`,
    );
  });
});
