// `agency nodes add --jump` and what `agency nodes` shows of it: hops checked when added, the jump hosts
// listed, and a jump host that cannot be reached named in the node's error.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agencyAsync, closedPort, operatorEnv, sshKey } from '../helpers/operator.js';
import { tempDir } from '../helpers/tmp.js';

const home = tempDir('ag-jump-op-');
afterAll(() => home.remove());
const env = operatorEnv(home.path);
const config = env.AGENCY_CONFIG!;
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
});
