// `agency nodes add --jump` and what `agency nodes` shows of it: hops checked when added, the jump hosts
// listed, and a jump host that cannot be reached named in the node's error.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pushLine } from '../../src/cli/fleet-commands.js';
import { agencyAsync, closedPort, operatorEnv, sshKey } from '../helpers/operator.js';
import { tempDir } from '../helpers/tmp.js';

const home = tempDir('ag-jump-op-');
afterAll(() => home.remove());
const env = operatorEnv(home.path);
const config = env.AGENCY_CONFIG!;
mkdirSync(dirname(config), { recursive: true });
const agency = (...args: string[]) => agencyAsync(args, env);

describe('nodes add --jump', () => {
  it('refuses malformed hops, a node that jumps through itself, and a local node with a jump', async () => {
    for (const [args, message] of [
      [['n2', '--host', 'h2', '--jump', 'j1,,j2'], 'agency: --jump: jump host "" has no host'],
      [['n2', '--host', 'h2', '--jump', 'ops@j1:0'], 'jump host "ops@j1:0" has a port that is not 1-65535'],
      [['n2', '--host', 'h2', '--jump', 'j1,n2'], 'node n2 cannot be its own jump host'],
      [['n2', '--local', '--jump', 'j1'], '--jump is for a node reached over ssh, not --local'],
    ] as const) {
      const r = await agency('nodes', 'add', ...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it('writes the hops, and agency nodes shows them and names the jump host it cannot reach', async () => {
    const key = sshKey(join(home.path, 'key'));
    const port = await closedPort();
    const added = await agency(
      'nodes',
      'add',
      'n2',
      '--host',
      '10.254.254.2',
      '--identity',
      key,
      '--jump',
      `127.0.0.1:${port}`,
      '--json',
    );
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout).node).toEqual({
      name: 'n2',
      host: '10.254.254.2',
      identityFile: key,
      jump: `127.0.0.1:${port}`,
    });
    expect(JSON.parse(readFileSync(config, 'utf8')).nodes.at(-1).jump).toBe(`127.0.0.1:${port}`);
    mkdirSync(join(home.path, '.ssh'), { recursive: true });
    writeFileSync(join(home.path, '.ssh', 'id_ed25519'), readFileSync(key));
    const r = await agency('nodes', '--json');
    expect(r.code).toBe(1);
    const n2 = JSON.parse(r.stdout).nodes.find((n: { name: string }) => n.name === 'n2');
    expect(n2).toMatchObject({ reachable: false, jump: `127.0.0.1:${port}` });
    expect(n2.error).toContain(`node n2: jump host 127.0.0.1:${port}: cannot reach 127.0.0.1:${port}`);
    const text = await agency('nodes');
    expect(text.stdout).toMatch(new RegExp(`^n2 +down +via 127\\.0\\.0\\.1:${port} `, 'm'));
  });

  it("keeps the other nodes working when one node's jump hosts cannot be resolved, and says why", async () => {
    const port = await closedPort();
    const nodes = [
      { name: 'fine', host: '127.0.0.1', port },
      { name: 'ring-a', host: '10.254.254.3', jump: 'ring-b' },
      { name: 'ring-b', host: '10.254.254.4', jump: 'ring-a' },
      { name: 'mine', host: '10.254.254.5', jump: 'here' },
      { name: 'here', local: true },
    ];
    writeFileSync(config, JSON.stringify({ nodes }));
    const r = await agency('nodes', '--json');
    expect(r.code, r.stderr).toBe(1);
    const got = JSON.parse(r.stdout).nodes as { name: string; state: string; error: string | null }[];
    const of = (name: string) => got.find((n) => n.name === name);
    expect(got.map((n) => n.name).sort()).toEqual(['fine', 'here', 'mine', 'ring-a', 'ring-b']);
    expect(of('fine')!.error).toContain(`node fine: cannot reach 127.0.0.1:${port}`);
    expect(of('ring-a')).toMatchObject({ state: 'down' });
    expect(of('ring-a')!.error).toContain("the nodes' jump hosts go round in a loop (ring-a → ring-b → ring-a)");
    expect(of('mine')!.error).toBe('node mine: jump host here is this machine (a local node); leave it out of jump');
    const text = await agency('nodes');
    expect(text.stdout).toMatch(/^ring-b +down +via ring-a .*go round in a loop/m);
  });

  it('refuses a node whose jump hosts would loop, or that names a node with a port, when it is added', async () => {
    writeFileSync(
      config,
      JSON.stringify({
        nodes: [
          { name: 'gate', host: '10.254.254.6' },
          { name: 'a', host: '10.254.254.7', jump: 'b' },
        ],
      }),
    );
    const loop = await agency('nodes', 'add', 'b', '--host', '10.254.254.8', '--jump', 'gate,a');
    expect(loop.code, loop.stderr).toBe(2);
    expect(loop.stderr).toContain("the nodes' jump hosts go round in a loop (b → a → b)");
    const port = await agency('nodes', 'add', 'c', '--host', '10.254.254.9', '--jump', 'gate:2222');
    expect(port.code, port.stderr).toBe(2);
    expect(port.stderr).toContain(
      `names node gate with a port, which a node's name does not take (the node is reached as configured): write gate alone, or the node's host instead (10.254.254.6:2222)`,
    );
    expect(JSON.parse(readFileSync(config, 'utf8')).nodes.map((n: { name: string }) => n.name)).toEqual(['gate', 'a']);
  });

  it('refuses to remove a node that others jump through, naming them', async () => {
    const nodes = [
      { name: 'gate', host: '10.254.254.6' },
      { name: 'a', host: '10.254.254.7', jump: 'gate' },
      { name: 'b', host: '10.254.254.8', jump: 'a,gate' },
    ];
    writeFileSync(config, JSON.stringify({ nodes }));
    const r = await agency('nodes', 'remove', 'gate');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('node gate is the jump host of a, b:');
    expect(JSON.parse(readFileSync(config, 'utf8')).nodes).toEqual(nodes);
    const ok = await agency('nodes', 'remove', 'b');
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('pushLine', () => {
  it("escapes a failure's text, which may come from a jump server", () => {
    const line = pushLine({
      node: 'n2',
      ok: false,
      failure: 'failed',
      error: 'node n2: jump host j1: (SSH) Channel open failure: \u001b]0;owned\u0007\u001b[2J',
      ms: 0,
    });
    expect(line).toMatch(/^n2: node n2: jump host j1: \(SSH\) Channel open failure: /);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
  });
});
