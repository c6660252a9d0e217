/**
 * The runtime travels with the agent: a node with no Node.js gets agency's from the (stand-in) npm
 * registry, runs a session on it to the end with the real Claude Code CLI, and a second push sends
 * nothing; a node with its own Node keeps running on it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localRuntimeTarball, startNpmRegistry, type NpmRegistry } from '../fixtures/npm-registry.js';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';
import { ssh } from '../helpers/fleet.js';

interface PushJson {
  node: string;
  ok: boolean;
  unchanged?: boolean;
  build?: string;
  runtime?: { kind: string; node: string };
  uploaded?: { runtime: number; agent: number };
  error?: string;
}

let f: AgencyFleet;
let registry: NpmRegistry;
let first: Map<string, PushJson>;

beforeAll(async () => {
  registry = await startNpmRegistry([await localRuntimeTarball()]);
  f = await agencyFleet(
    2,
    () => ({
      steps: [
        { tool: 'Bash', input: { command: 'touch made-on-node.txt', description: 'make a file' } },
        { text: 'done on agency node' },
      ],
    }),
    { prefix: 'anr', subnet: '10.241', noNode: [1] },
  );
  const config = JSON.parse(readFileSync(f.configFile, 'utf8')) as Record<string, unknown>;
  config.runtime = { node: process.versions.node, registry: registry.url };
  writeFileSync(f.configFile, JSON.stringify(config, null, 2));
}, 180_000);
afterAll(async () => {
  await f?.cleanup();
  await registry?.close();
}, 120_000);

describe('a node without Node.js and one with it', () => {
  it(
    'push installs agency’s Node and the agent where there is no Node, and keeps the node’s own elsewhere',
    { timeout: 240_000 },
    async () => {
      const r = await f.agency(['push', '--json'], { timeoutMs: 220_000 });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      first = new Map((JSON.parse(r.stdout).results as PushJson[]).map((x) => [x.node, x]));
      const n1 = first.get('n1')!;
      expect(n1, JSON.stringify(n1)).toMatchObject({
        ok: true,
        unchanged: false,
        runtime: { kind: 'bundled', node: process.versions.node },
      });
      expect(n1.uploaded!.runtime).toBeGreaterThan(1_000_000);
      expect(n1.uploaded!.agent).toBeGreaterThan(0);
      const n2 = first.get('n2')!;
      expect(n2).toMatchObject({ ok: true, runtime: { kind: 'system' }, uploaded: { runtime: 0 } });
      expect(n2.uploaded!.agent).toBeGreaterThan(0);
      // the registry was asked once for the package and once for its tarball
      expect(registry.requests.filter((p) => p.endsWith('.tgz'))).toHaveLength(1);
      // the runtime is kept by its hash, complete, and the launcher runs it
      const look = await ssh(f.fleet, f.node('n1'), [
        'ls -a ~/.agency/runtime; for d in ~/.agency/runtime/*/; do test -f "$d.complete" && echo complete; done; cat ~/.agency/agent/agency; command -v node || echo no-node',
      ]);
      expect(look.stdout).toMatch(/^[0-9a-f]{64}$/m);
      expect(look.stdout).toMatch(/^complete$/m);
      expect(look.stdout).toMatch(
        /^exec '\/home\/[^']+\/\.agency\/runtime\/[0-9a-f]{64}\/bin\/node' "\$HOME\/\.agency\/agent\/current\/bin\/agency" "\$@"$/m,
      );
      expect(look.stdout).toMatch(/^no-node$/m);
    },
  );

  it('the daemons say which Node they run on', { timeout: 120_000 }, async () => {
    const r = await f.agency(['nodes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const nodes = new Map(
      (
        JSON.parse(r.stdout).nodes as { name: string; runtime: { node: string; bundled: boolean; libc?: string } }[]
      ).map((n) => [n.name, n]),
    );
    expect(nodes.get('n1')!.runtime).toMatchObject({
      node: process.versions.node,
      bundled: true,
      libc: expect.stringMatching(/^glibc \d+\.\d+/),
    });
    expect(nodes.get('n2')!.runtime).toMatchObject({ bundled: false });
  });

  it(
    'a session on the node without Node.js runs to the end, with agency’s Node at the end of its PATH',
    { timeout: 200_000 },
    async () => {
      const n = f.node('n1');
      const run = await f.agency([
        'run',
        'make a file',
        '--node',
        'n1',
        '--repo',
        `${n.home}/repo`,
        '--discipline',
        'backend',
        '--json',
      ]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const s = JSON.parse(run.stdout) as { session: string; worktree: string };
      const w = await f.agency(['wait', `n1/${s.session}`, '--timeout', '150'], { timeoutMs: 170_000 });
      expect(w.code, w.stdout + w.stderr).toBe(0);
      const made = await ssh(f.fleet, n, [`test -f ${s.worktree}/made-on-node.txt && echo yes`]);
      const results = JSON.stringify(f.apis.get('n1')?.toolResults() ?? []);
      expect(made.stdout.trim(), `tool results ${results}`).toBe('yes');
      // its claude finds `node` (agency's) at the end of its PATH, for hooks and MCP servers
      const claude = execFileSync('ps', ['-u', n.user, '-o', 'pid=,args='], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .find((p) => /\/claude$/.test(p[1] ?? ''));
      expect(claude, 'a claude process of the node').toBeDefined();
      const env = readFileSync(`/proc/${claude![0]}/environ`, 'utf8').split('\0');
      const path = env
        .find((v) => v.startsWith('PATH='))!
        .slice(5)
        .split(':');
      expect(path.at(-1)).toMatch(new RegExp(`^${n.home}/\\.agency/runtime/[0-9a-f]{64}/bin$`));
      expect(path.slice(0, -1)).not.toContainEqual(expect.stringContaining('.agency/runtime'));
    },
  );

  it('a second push sends nothing and asks the registry nothing', { timeout: 120_000 }, async () => {
    const before = registry.requests.length;
    const r = await f.agency(['push', '--json'], { timeoutMs: 110_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const again = JSON.parse(r.stdout).results as PushJson[];
    for (const x of again) {
      expect(x, JSON.stringify(x)).toMatchObject({ ok: true, unchanged: true, uploaded: { runtime: 0, agent: 0 } });
      expect(x.build).toBe(first.get(x.node)!.build);
      expect(x.runtime).toEqual(first.get(x.node)!.runtime);
    }
    expect(registry.requests.length).toBe(before);
  });
});
