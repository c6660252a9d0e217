// resolveSshAlias against `ssh -G`, which prints what the real ssh would use for an alias.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSshAlias, SshConfigError, sshConfigNames } from '../../src/fleet/ssh-config.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('agency-ssh-config-');
afterAll(() => tmp.remove());

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** `ssh -G` for an alias: each keyword's values, as ssh prints them. */
function sshG(config: string, alias: string): Map<string, string[]> {
  const out = execFileSync('ssh', ['-G', '-F', config, alias], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const m = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(' ');
    if (i < 0) continue;
    const k = line.slice(0, i);
    m.set(k, [...(m.get(k) ?? []), line.slice(i + 1)]);
  }
  return m;
}

describe('resolveSshAlias, with ssh -G as the oracle', () => {
  // ssh expands ~ with the password database's home, not $HOME
  const home = userInfo().homedir;
  const me = userInfo().username;
  const dir = join(tmp.path, 'cfg');
  write(
    join(dir, 'inc-web.conf'),
    [
      'ForwardAgent no',
      'Host web',
      '  Compression yes',
      '  IdentityFile ~/.ssh/from_nested_include',
      'Host other',
      '  User nested-user # only for web: this file is included inside the web block',
    ].join('\n'),
  );
  write(
    join(dir, 'conf.d', '10-a.conf'),
    ['Host alpha', '  HostName alpha.example.net', '  User alpha', '  UserKnownHostsFile none'].join('\n'),
  );
  write(
    join(dir, 'conf.d', '20-b.conf'),
    [
      'Host beta',
      '  HostName Beta.Example.NET',
      '  ProxyJump none',
      '  Port 2022',
      'Match originalhost gamma',
      '  HostName gamma.example.net',
      '  Port 2023',
    ].join('\n'),
  );
  write(join(dir, 'db.conf'), 'User db-user\nHost db1\n  HostName db1.example.net\n');
  write(join(dir, 'conf.d', 'ignored.txt'), 'Host alpha\n  User wrong\n');
  const config = write(
    join(dir, 'config'),
    [
      '# global settings; an Include after a Host line would belong to that Host block',
      'IdentityFile ~/.ssh/id_global',
      `Include ${join(dir, 'conf.d', '*.conf')}`,
      '',
      'Host web',
      '  HostName 10.0.0.5',
      '  Port 2222',
      '  User deploy',
      '  IdentityFile ~/.ssh/id_%h_%u',
      '  IdentityFile %d/keys/%r@%h:%p',
      '  UserKnownHostsFile ~/kh/%h %d/known_hosts_%p',
      '  ProxyJump bastion',
      `  Include ${join(dir, 'inc-web.conf')}`,
      '',
      'Host *.corp !skip.corp',
      '  User corpuser',
      '  HostName %h.internal',
      '',
      'Host db?',
      '  Port 2200',
      `  Include ${join(dir, 'db.conf')}`,
      '',
      'Host *',
      '  User fallback',
      '  IdentityFile ~/.ssh/id_star',
    ].join('\n'),
  );

  /** What the test expects ssh to make of ~ and %-tokens in a path ssh -G printed unexpanded. */
  function expandLikeSsh(p: string, t: { h: string; r: string; p: string; n: string }): string {
    return p
      .replace(/^~\//, `${home}/`)
      .replace(/%([%hurpdn])/g, (_m, c: string) =>
        c === '%' ? '%' : c === 'u' ? me : c === 'd' ? home : t[c as 'h' | 'r' | 'p' | 'n'],
      );
  }

  const aliases = [
    'web',
    'WEB',
    'a.corp',
    'skip.corp',
    'db1',
    'db2',
    'db12',
    'alpha',
    'beta',
    'gamma',
    'other',
    'unknown-alias',
  ];

  it.each(aliases)('%s resolves as ssh -G says', (alias) => {
    const r = resolveSshAlias(alias, { configFile: config, home, localUser: me });
    const g = sshG(config, alias);
    const one = (k: string) => g.get(k)?.[0];
    expect(r.host).toBe(one('hostname'));
    expect(r.user ?? me).toBe(one('user'));
    expect(String(r.port ?? 22)).toBe(one('port'));
    expect(r.proxyJump).toBe(one('proxyjump'));
    const ukh = one('userknownhostsfile')!;
    expect(r.knownHostsFiles).toEqual(ukh === 'none' ? [] : ukh.split(' '));
    expect(r.globalKnownHostsFiles).toEqual(one('globalknownhostsfile')!.split(' '));
    const t = { h: r.host, r: r.user ?? me, p: String(r.port ?? 22), n: alias };
    expect(r.identityFiles).toEqual(g.get('identityfile')!.map((p) => expandLikeSsh(p, t)));
    expect(r.warnings).toEqual([]);
  });

  it('gives web the values written for it, tokens and ~ expanded', () => {
    const r = resolveSshAlias('web', { configFile: config, home, localUser: me });
    expect(r).toMatchObject({ host: '10.0.0.5', user: 'deploy', port: 2222, proxyJump: 'bastion' });
    expect(r.identityFiles).toEqual([
      `${home}/.ssh/id_global`,
      `${home}/.ssh/id_10.0.0.5_${me}`,
      `${home}/keys/deploy@10.0.0.5:2222`,
      `${home}/.ssh/from_nested_include`,
      `${home}/.ssh/id_star`,
    ]);
    expect(r.knownHostsFiles).toEqual([`${home}/kh/10.0.0.5`, `${home}/known_hosts_2222`]);
  });

  it('applies included files where the Include stands: globally, or inside the Host block it is in', () => {
    const at = (alias: string) => resolveSshAlias(alias, { configFile: config, home, localUser: me });
    expect(at('alpha')).toMatchObject({ host: 'alpha.example.net', user: 'alpha', knownHostsFiles: [] });
    expect(at('beta')).toMatchObject({ host: 'beta.example.net', port: 2022 });
    expect(at('beta').proxyJump).toBeUndefined();
    expect(at('gamma')).toMatchObject({ host: 'gamma.example.net', port: 2023 });
    expect(at('db1')).toMatchObject({ host: 'db1.example.net', user: 'db-user', port: 2200 });
    expect(at('db2')).toMatchObject({ host: 'db2', user: 'db-user', port: 2200 });
    expect(at('db12')).toMatchObject({ host: 'db12', user: 'fallback' });
    expect(at('other').user).toBe('fallback');
  });
});

describe('resolveSshAlias', () => {
  it('resolves an alias the config does not mention to itself, with the default known_hosts files', () => {
    const home = join(tmp.path, 'home-empty');
    const r = resolveSshAlias('Some-Host.example', { home });
    expect(r).toEqual({
      host: 'some-host.example',
      identityFiles: [],
      knownHostsFiles: [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')],
      globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      warnings: [],
    });
  });

  it('reads ~/.ssh/config under the given home, with Includes relative to ~/.ssh and ~ expanded', () => {
    const home = join(tmp.path, 'home-rel');
    write(
      join(home, '.ssh', 'config'),
      ['Include extra.conf', 'Include ~/.ssh/more/*.conf', 'Host box', '  HostName box.lan'].join('\n'),
    );
    write(join(home, '.ssh', 'extra.conf'), 'Host box\n  User from-extra\n  IdentityFile ~/.ssh/box_%h\n');
    write(join(home, '.ssh', 'more', 'a.conf'), 'Host box\n  Port 2201\n  UserKnownHostsFile ~/.ssh/kh_box\n');
    const r = resolveSshAlias('box', { home });
    expect(r).toMatchObject({
      host: 'box.lan',
      user: 'from-extra',
      port: 2201,
      identityFiles: [join(home, '.ssh', 'box_box.lan')],
      knownHostsFiles: [join(home, '.ssh', 'kh_box')],
    });
  });

  it('never runs Match exec commands: the block does not apply, with a warning', () => {
    const marker = join(tmp.path, 'exec-ran');
    const config = write(
      join(tmp.path, 'exec.conf'),
      `Match exec "touch ${marker}"\n  User from-exec\nHost *\n  User plain\n`,
    );
    const r = resolveSshAlias('anything', { configFile: config, home: tmp.path });
    expect(r.user).toBe('plain');
    expect(existsSync(marker)).toBe(false);
    expect(r.warnings.join('\n')).toMatch(/Match exec .* is not evaluated/);
  });

  it('throws a clear error for a config ssh would refuse, naming the file', () => {
    const missing = join(tmp.path, 'no-such-config');
    expect(() => resolveSshAlias('x', { configFile: missing })).toThrow(SshConfigError);
    expect(() => resolveSshAlias('x', { configFile: missing })).toThrow(missing);
    const broken = write(join(tmp.path, 'broken.conf'), 'Host x\n  IdentityFile "~/unterminated\n');
    expect(() => resolveSshAlias('x', { configFile: broken })).toThrow(new RegExp(`${broken}: .*ssh would refuse`));
    const badPort = write(join(tmp.path, 'port.conf'), 'Host x\n  Port twenty-two\n');
    expect(() => resolveSshAlias('x', { configFile: badPort })).toThrow(/Port "twenty-two" for x is not a port number/);
    const loop = write(join(tmp.path, 'loop.conf'), `Include ${join(tmp.path, 'loop.conf')}\n`);
    expect(() => resolveSshAlias('x', { configFile: loop })).toThrow(/nested more than 16 deep/);
  });

  it('warns about tokens it does not know and leaves them as written', () => {
    const config = write(join(tmp.path, 'tokens.conf'), 'Host t\n  IdentityFile ~/k_%q_%C\n');
    const r = resolveSshAlias('t', { configFile: config, home: '/h', localUser: 'me' });
    expect(r.identityFiles).toHaveLength(1);
    expect(r.identityFiles[0]).toMatch(/^\/h\/k_%q_[0-9a-f]{40}$/);
    expect(r.warnings.join('\n')).toMatch(/unknown token %q/);
  });
});

describe('sshConfigNames', () => {
  it('is true only where a Host entry names the alias by more than a catch-all', () => {
    const config = write(
      join(tmp.path, 'names.conf'),
      ['Host *', '  User everyone', 'Host studio-* !studio-03', '  User ops', 'Host db', '  HostName 10.0.0.5'].join(
        '\n',
      ),
    );
    const names = (alias: string) => sshConfigNames(alias, { configFile: config, home: tmp.path });
    expect(names('db')).toBe(true);
    expect(names('studio-01')).toBe(true);
    expect(names('studio-03')).toBe(false);
    expect(names('nosuchalias')).toBe(false);
    expect(sshConfigNames('db', { home: join(tmp.path, 'home-without-ssh') })).toBe(false);
  });
});
