/**
 * Nodes that cannot be used each give their own clear result, and the rest of the fleet is undisturbed:
 * an unknown host key, a changed host key, no Node.js where the config asks for the node's own, a full disk, and an sshd that forbids stream-local
 * forwarding (reached through exec instead).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';

let f: AgencyFleet;
let otherKey: string;
interface Result {
  node: string;
  ok: boolean;
  failure?: string;
  error?: string;
}
let results: Map<string, Result>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agency-otherkey-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
  otherKey = readFileSync(join(dir, 'k.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  rmSync(dir, { recursive: true, force: true });
  f = await agencyFleet(
    6,
    () => ({
      steps: [{ tool: 'Bash', input: { command: 'touch via-exec.txt', description: 'make' } }, { text: 'done' }],
    }),
    {
      prefix: 'agf',
      subnet: '10.204',
      noStreamLocal: [2],
      noNode: [3],
      diskFull: [4],
      // n5's key is not in known_hosts at all; n6 is there with some other key
      known: (n) => (n.name === 'n5' ? null : n.name === 'n6' ? `${n.host} ${otherKey}` : `${n.host} ${n.hostKey}`),
    },
  );
  // n3 is to run on its own Node, which it lacks (a node set to auto would get agency's)
  const config = JSON.parse(readFileSync(f.configFile, 'utf8')) as { nodes: { name: string; runtime?: string }[] };
  config.nodes.find((n) => n.name === 'n3')!.runtime = 'system';
  writeFileSync(f.configFile, JSON.stringify(config, null, 2));
  const push = await f.agency(['push', '--json'], { timeoutMs: 200_000 });
  expect(push.code).toBe(1);
  results = new Map(JSON.parse(push.stdout).results.map((r: Result) => [r.node, r]));
}, 300_000);
afterAll(async () => f?.cleanup(), 120_000);

describe('push to a fleet with broken nodes', () => {
  it('installs on the healthy nodes', () => {
    expect(results.get('n1')).toMatchObject({ ok: true });
    expect(results.get('n2')).toMatchObject({ ok: true });
  });
  it('refuses an unknown host key before any credential, with its fingerprint and how to trust it', () => {
    const r = results.get('n5')!;
    expect(r).toMatchObject({ ok: false, failure: 'host-key' });
    expect(r.error).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(r.error).toMatch(/ssh-keyscan .*10\.204\.5\.2/);
  });
  it('refuses a changed host key, saying where the old one is', () => {
    const r = results.get('n6')!;
    expect(r).toMatchObject({ ok: false, failure: 'host-key' });
    expect(r.error).toMatch(/changed|CHANGED/);
    expect(r.error).toMatch(/ssh-keygen -R/);
  });
  it('names a node set to run on its own Node.js that has none', () => {
    expect(results.get('n3')).toMatchObject({ ok: false, failure: 'no-node' });
    expect(results.get('n3')!.error).toMatch(/runtime: system.*none on its PATH: install Node\.js 20\+ there/);
  });
  it('names a node whose disk is full', () => {
    expect(results.get('n4')).toMatchObject({ ok: false, failure: 'disk' });
    expect(results.get('n4')!.error).toMatch(/out of disk/);
  });
});

describe('the fleet afterwards', () => {
  it('agency nodes shows each node as it is', { timeout: 120_000 }, async () => {
    const r = await f.agency(['nodes', '--json']);
    expect(r.code).toBe(1); // some nodes are not reachable
    const nodes = new Map(JSON.parse(r.stdout).nodes.map((n: { name: string }) => [n.name, n]));
    expect(nodes.get('n1')).toMatchObject({ reachable: true, transport: 'ssh' });
    expect(nodes.get('n2')).toMatchObject({ reachable: true, transport: 'ssh-exec' });
    expect(nodes.get('n3')).toMatchObject({ reachable: false, state: 'no-agent' });
    expect(nodes.get('n5')).toMatchObject({ reachable: false, state: 'refused' });
    expect(nodes.get('n6')).toMatchObject({ reachable: false, state: 'refused' });
  });
  it(
    'push --service says plainly when a node has no user service manager, and the daemon runs on',
    { timeout: 120_000 },
    async () => {
      const r = await f.agency(['push', '--node', 'n1', '--service', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const [res] = JSON.parse(r.stdout).results;
      expect(res).toMatchObject({ node: 'n1', ok: true });
      expect(res.service).toMatch(
        /^not installed: no systemd user manager for \w+ here \(.*\): log in to the node once/,
      );
      const nodes = JSON.parse((await f.agency(['nodes', '--json'])).stdout).nodes;
      expect(nodes.find((n: { name: string }) => n.name === 'n1')).toMatchObject({ reachable: true });
    },
  );

  it('a session runs to the end on the node reached through exec', { timeout: 180_000 }, async () => {
    const run = await f.agency([
      'run',
      'make a file',
      '--node',
      'n2',
      '--repo',
      `${f.node('n2').home}/repo`,
      '--discipline',
      'backend',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const { session } = JSON.parse(run.stdout);
    const w = await f.agency(['wait', `n2/${session}`, '--timeout', '120'], { timeoutMs: 150_000 });
    expect(w.code, w.stdout + w.stderr).toBe(0);
  });
});
