/**
 * The fleet end to end: test nodes in network namespaces with their own OpenSSH servers; `agency push`
 * installs the agent, `agency nodes` sees them, and a session on each runs a scripted scenario to the end
 * with the real Claude Code CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';
import { ssh } from '../helpers/fleet.js';

const NODES = Number(process.env.AGENCY_TEST_FLEET_SIZE ?? 16);
let f: AgencyFleet;

beforeAll(async () => {
  f = await agencyFleet(
    NODES,
    () => ({
      steps: [
        { tool: 'Bash', input: { command: 'touch made-on-node.txt', description: 'make a file' } },
        { text: 'done on the node' },
      ],
    }),
    { prefix: 'agp', subnet: '10.202' },
  );
}, 180_000);
afterAll(async () => f?.cleanup(), 120_000);

describe(`a fleet of ${NODES} nodes`, () => {
  it('push installs the agent on every node, and again changes nothing', { timeout: 300_000 }, async () => {
    const r = await f.agency(['push', '--json'], { timeoutMs: 280_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const results = JSON.parse(r.stdout).results;
    expect(results).toHaveLength(NODES);
    expect(results.every((x: { ok: boolean; unchanged: boolean }) => x.ok && !x.unchanged)).toBe(true);
    const builds = new Set(results.map((x: { build: string }) => x.build));
    expect(builds.size).toBe(1);
    const again = JSON.parse((await f.agency(['push', '--json'], { timeoutMs: 280_000 })).stdout).results;
    expect(again.every((x: { ok: boolean; unchanged: boolean }) => x.ok && x.unchanged)).toBe(true);
  });

  it('agency nodes shows every node reachable with the same agent', { timeout: 120_000 }, async () => {
    const r = await f.agency(['nodes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const nodes = JSON.parse(r.stdout).nodes;
    expect(nodes).toHaveLength(NODES);
    expect(nodes.every((n: { reachable: boolean }) => n.reachable)).toBe(true);
    expect(new Set(nodes.map((n: { build: string }) => n.build)).size).toBe(1);
    expect(new Set(nodes.map((n: { agentVersion: string }) => n.agentVersion)).size).toBe(1);
  });

  it('a session started on each node runs its scenario to the end', { timeout: 400_000 }, async () => {
    const started = await Promise.all(
      f.fleet.nodes.map(async (n) => {
        const r = await f.agency([
          'run',
          'make a file',
          '--node',
          n.name,
          '--repo',
          `${n.home}/repo`,
          '--discipline',
          'backend',
          '--json',
        ]);
        expect(r.code, `${n.name}: ${r.stdout}${r.stderr}`).toBe(0);
        return JSON.parse(r.stdout) as { session: string; node: string; worktree: string };
      }),
    );
    const waited = await Promise.all(
      started.map((s) => f.agency(['wait', `${s.node}/${s.session}`, '--timeout', '300'], { timeoutMs: 320_000 })),
    );
    waited.forEach((w, i) => expect(w.code, `${started[i]!.node}: ${w.stdout}${w.stderr}`).toBe(0));
    for (const s of started) {
      const check = await ssh(f.fleet, f.node(s.node), [`test -f ${s.worktree}/made-on-node.txt && echo yes`]);
      // what the CLI sent back for the tool call says why, when the file is missing (a guard's or sandbox's refusal)
      const results = JSON.stringify(f.apis.get(s.node)?.toolResults() ?? []);
      expect(check.stdout.trim(), `${s.node}: tool results ${results}`).toBe('yes');
    }
    const status = JSON.parse((await f.agency(['status', '--json'])).stdout);
    expect(status.sessions.filter((s: { state: string }) => s.state === 'idle')).toHaveLength(NODES);
  });
});
