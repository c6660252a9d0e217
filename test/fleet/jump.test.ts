// Jump host chains resolved from ssh config files and from the nodes' own `jump` fields: multi-hop lists,
// alias hops, a first hop's own ProxyJump followed as ssh follows it, loops and ProxyCommand refused.
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeConfig } from '../../src/config/config.js';
import { sshTarget } from '../../src/fleet/fleet.js';
import { parseHops, resolveJumps } from '../../src/fleet/jump.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('agency-jump-');
afterAll(() => tmp.remove());

let n = 0;
/** a home with this ~/.ssh/config */
function home(lines: string[]): { home: string; configFile: string } {
  const h = join(tmp.path, `home${++n}`);
  mkdirSync(join(h, '.ssh'), { recursive: true });
  const configFile = join(h, '.ssh', 'config');
  writeFileSync(configFile, lines.join('\n') + '\n');
  return { home: h, configFile };
}

const CONFIG = [
  'Host j1',
  '  HostName 10.9.0.1',
  '  User j1user',
  '  IdentityFile ~/.ssh/j1_key',
  '  UserKnownHostsFile ~/.ssh/kh_j1',
  'Host j2',
  '  HostName 10.9.0.2',
  '  Port 2202',
  '  HostKeyAlias j2-key',
  '  ProxyJump j9',
  'Host j3',
  '  HostName 10.9.0.3',
  '  ProxyJump j1',
  'Host j4',
  '  HostName 10.9.0.4',
  '  ProxyJump j3,j2',
  'Host loop-a',
  '  ProxyJump loop-b',
  'Host loop-b',
  '  ProxyJump loop-a',
  'Host piped',
  '  HostName 10.9.0.7',
  '  ProxyCommand nc %h %p',
  'Host via-piped',
  '  HostName 10.9.0.8',
  '  ProxyJump piped',
  'Host target',
  '  HostName 10.9.1.5',
  '  User deploy',
  '  ProxyJump ops@j1:2222,j2',
  'Host self-loop',
  '  HostName 10.9.1.6',
  '  ProxyJump j5',
  'Host j5',
  '  ProxyJump self-loop',
];

describe('resolveJumps from ~/.ssh/config', () => {
  const cfg = home(CONFIG);
  const ctx = { ssh: { ...cfg, localUser: 'me' } };
  const brief = (list: string, stack?: string[]) =>
    resolveJumps(list, 'node t', ctx, stack ? { stack } : {}).map((t) => `${t.user}@${t.host}:${t.port}`);

  it('resolves several hops, each alias through its own Host block, with user and port as written', () => {
    const hops = resolveJumps('ops@j1:2222,j2', 'node t', ctx);
    expect(hops).toEqual([
      {
        name: 'j1',
        alias: 'j1',
        host: '10.9.0.1',
        port: 2222,
        user: 'ops',
        identityFiles: [join(cfg.home, '.ssh', 'j1_key')],
        knownHostsFiles: [join(cfg.home, '.ssh', 'kh_j1'), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      },
      {
        name: 'j2',
        alias: 'j2',
        host: '10.9.0.2',
        port: 2202,
        user: 'me',
        identityFiles: ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(cfg.home, '.ssh', f)),
        knownHostsFiles: [
          join(cfg.home, '.ssh', 'known_hosts'),
          join(cfg.home, '.ssh', 'known_hosts2'),
          '/etc/ssh/ssh_known_hosts',
          '/etc/ssh/ssh_known_hosts2',
        ],
        hostKeyAlias: 'j2-key',
      },
    ]);
  });

  it("follows the first hop's own ProxyJump, and not a later hop's (ssh -J overrides it)", () => {
    expect(brief('j3')).toEqual(['j1user@10.9.0.1:22', 'me@10.9.0.3:22']);
    // j4 → j3,j2: j3 is reached through j1; j2's own ProxyJump j9 is not followed
    expect(brief('j4')).toEqual(['j1user@10.9.0.1:22', 'me@10.9.0.3:22', 'me@10.9.0.2:2202', 'me@10.9.0.4:22']);
    expect(brief('j1,j3')).toEqual(['j1user@10.9.0.1:22', 'me@10.9.0.3:22']);
  });

  it('takes a host no Host block names for a host name, and parses ssh:// and bracketed forms', () => {
    expect(brief('u@bastion.example.org,ssh://v@10.1.2.3:2022/,[fd00::1]:23')).toEqual([
      'u@bastion.example.org:22',
      'v@10.1.2.3:2022',
      'me@fd00::1:23',
    ]);
    expect(parseHops('a@b@c:7', 'x')).toEqual([{ spec: 'a@b@c:7', user: 'a@b', host: 'c', port: 7 }]);
  });

  it('refuses a loop of ProxyJump settings, naming its members', () => {
    expect(() => brief('loop-a')).toThrow(/node t: .*loop \(loop-a → loop-b → loop-a\)/);
    expect(() => brief('j5', ['self-loop'])).toThrow(/loop \(self-loop → j5 → self-loop\)/);
  });

  it('refuses a ProxyCommand on a hop, or on the hop a hop goes through, with the reason', () => {
    expect(() => brief('j1,piped')).toThrow(
      /node t: jump host piped has a ProxyCommand in ~\/\.ssh\/config, which agency does not run \(it runs no local commands from ssh config\)/,
    );
    expect(() => brief('via-piped')).toThrow(/node t: jump host via-piped: jump host piped has a ProxyCommand/);
  });

  it('refuses malformed hops, naming them', () => {
    expect(() => parseHops('j1,,j2', 'node t')).toThrow(/node t: jump host "" has no host/);
    expect(() => parseHops('j1:99999', 'node t')).toThrow(/jump host "j1:99999" has a port that is not 1-65535/);
    expect(() => parseHops('@j1', 'node t')).toThrow(/has an empty or blank user/);
    expect(() => parseHops('-oProxyCommand=x', 'node t')).toThrow(/is not a host name/);
  });
});

describe('sshTarget: the jump hosts of a configured node', () => {
  const cfg = home(CONFIG);
  const saved = process.env.HOME;
  beforeEach(() => void (process.env.HOME = cfg.home));
  afterEach(() => void (process.env.HOME = saved));

  const nodes: NodeConfig[] = [
    { name: 'local', local: true },
    { name: 'gate', host: '10.0.0.2', user: 'gu', identityFile: '/keys/gate', knownHostsFile: '/kh/gate' },
    { name: 'inner', host: '10.0.1.2', user: 'iu', jump: 'gate' },
    { name: 'deep', host: '10.0.2.2', jump: 'inner' },
    { name: 'mixed', host: '10.0.3.2', jump: 'j3,gate' },
    { name: 'by-alias', ssh: 'target' },
    { name: 'by-piped', ssh: 'piped' },
    { name: 'ring-a', host: '10.0.4.2', jump: 'ring-b' },
    { name: 'ring-b', host: '10.0.5.2', jump: 'ring-a' },
    { name: 'via-local', host: '10.0.6.2', jump: 'local' },
    { name: 'over', host: '10.0.6.2', jump: 'j1,j1,j1,j1,j1,j1,j1,j1,j1' },
    { name: 'gate-port', host: '10.0.7.2', jump: 'gate:2222' },
    { name: 'gate-user', host: '10.0.7.3', jump: 'j1,ops@gate' },
    { name: 'selfish', host: '10.0.7.4', jump: 'gate,selfish' },
  ];
  const node = (name: string) =>
    sshTarget(
      nodes.find((x) => x.name === name)!,
      nodes,
    );
  const me = userInfo().username;
  const chain = (name: string) => node(name).jump?.map((t) => `${t.name}=${t.user}@${t.host}:${t.port}`);

  it("reaches a hop that names a configured node as that node is reached, with the node's own key and known_hosts", () => {
    const t = node('inner');
    expect(t.jump).toEqual([
      {
        name: 'gate',
        host: '10.0.0.2',
        port: 22,
        user: 'gu',
        identityFiles: ['/keys/gate'],
        knownHostsFiles: ['/kh/gate'],
      },
    ]);
    expect(t.host).toBe('10.0.1.2');
    expect(chain('deep')).toEqual(['gate=gu@10.0.0.2:22', 'inner=iu@10.0.1.2:22']);
    expect(chain('mixed')).toEqual([`j1=j1user@10.9.0.1:22`, `j3=${me}@10.9.0.3:22`, 'gate=gu@10.0.0.2:22']);
    expect(node('gate').jump).toBeUndefined();
  });

  it("follows an ssh alias's ProxyJump, and refuses its ProxyCommand", () => {
    expect(chain('by-alias')).toEqual(['j1=ops@10.9.0.1:2222', `j2=${me}@10.9.0.2:2202`]);
    expect(node('by-alias')).toMatchObject({ host: '10.9.1.5', user: 'deploy' });
    expect(() => node('by-piped')).toThrow(
      /node by-piped: its ssh alias piped has a ProxyCommand, which agency does not run \(it runs no local commands from ssh config\)/,
    );
  });

  it('refuses nodes that jump through each other, the local node, and too many hops', () => {
    expect(() => node('ring-a')).toThrow(
      /node ring-b: the nodes' jump hosts go round in a loop \(ring-a → ring-b → ring-a\)/,
    );
    expect(() => node('via-local')).toThrow(/node via-local: jump host local is this machine/);
    expect(() => node('over')).toThrow(/node over: 9 jump hosts .*at most 8/);
  });

  it("refuses a node's name given with a user or port, saying to write the node's host instead", () => {
    expect(() => node('gate-port')).toThrow(
      'node gate-port: jump host "gate:2222" names node gate with a port, which a node\'s name does not take (the node is reached as configured): write gate alone, or the node\'s host instead (10.0.0.2:2222)',
    );
    expect(() => node('gate-user')).toThrow(
      /node gate-user: jump host "ops@gate" names node gate with a user.*\(ops@10\.0\.0\.2\)/,
    );
  });

  it('refuses a node that names itself as a hop', () => {
    expect(() => node('selfish')).toThrow('node selfish: node selfish cannot be its own jump host');
  });
});
