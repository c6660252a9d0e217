/**
 * A node reachable only through another node: n2 has no link to the operator's machine, only to n1's
 * namespace, and is configured with `jump: n1`. push, status, a session and its PTY pane all go through n1
 * (real OpenSSH servers both); a changed host key of n1 in the operator's known_hosts is refused by name.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cockpit } from '../../src/cockpit/client.js';
import { subscribePty } from '../../src/cockpit/pty-subscription.js';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';
import { run, ssh } from '../helpers/fleet.js';
import { until } from '../helpers/until.js';

let f: AgencyFleet;

beforeAll(async () => {
  f = await agencyFleet(
    2,
    (node) => ({
      steps: [
        {
          tool: 'Bash',
          input: { command: `echo made-on-$(id -un) && touch made-behind.txt`, description: 'make a file' },
        },
        { text: `done on ${node.name}` },
      ],
    }),
    { prefix: 'agj', subnet: '10.241', behind: [[2, 1]] },
  );
  process.env.AGENCY_CONFIG = f.configFile;
  process.env.AGENCY_HOME = f.env.AGENCY_HOME;
}, 180_000);
afterAll(async () => f?.cleanup(), 120_000);

interface NodeJson {
  name: string;
  state: string;
  error: string | null;
}

describe('a node behind a jump host', () => {
  it('is not reachable from here except through the other node', { timeout: 30_000 }, async () => {
    const n2 = f.node('n2');
    expect(n2.behind).toBe('n1');
    const direct = await run('bash', ['-c', `exec 3<>/dev/tcp/${n2.host}/22`], { timeoutMs: 10_000 });
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toMatch(/No route to host|unreachable/i);
    const config = JSON.parse(readFileSync(f.configFile, 'utf8'));
    expect(config.nodes.find((x: { name: string }) => x.name === 'n2').jump).toBe('n1');
  });

  it('push installs the agent through the jump host, and status sees the node up', { timeout: 240_000 }, async () => {
    const push = await f.agency(['push', '--node', 'n2', '--json'], { timeoutMs: 220_000 });
    expect(push.code, push.stdout + push.stderr).toBe(0);
    const [result] = JSON.parse(push.stdout).results;
    expect(result).toMatchObject({ node: 'n2', ok: true });
    // n1 has no agent (only n2 was pushed): status and nodes say so of n1, and exit 1
    const status = await f.agency(['status', '--json']);
    const n2 = JSON.parse(status.stdout).nodes.find((n: NodeJson) => n.name === 'n2');
    expect(n2, status.stdout + status.stderr).toMatchObject({ state: 'up', error: null });
    expect(n2.info.build).toBe(result.build);
    const nodes = await f.agency(['nodes', '--json']);
    const listed = JSON.parse(nodes.stdout).nodes.find((n: { name: string }) => n.name === 'n2');
    expect(listed).toMatchObject({ reachable: true, jump: 'n1' });
  });

  it(
    'runs a session to the end on the node, and its PTY pane shows what it printed',
    { timeout: 300_000 },
    async () => {
      const n2 = f.node('n2');
      const r = await f.agency([
        'run',
        'make a file',
        '--node',
        'n2',
        '--repo',
        `${n2.home}/repo`,
        '--discipline',
        'backend',
        '--json',
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const { session, worktree } = JSON.parse(r.stdout) as { session: string; worktree: string };

      const cockpit = await Cockpit.open({ live: true, nodes: ['n2'] });
      let screen = '';
      try {
        const stop = subscribePty(cockpit.link('n2'), session, 0, {
          onData: (_seq, data) => void (screen += data.toString()),
          onReset: () => {},
        });
        await until(
          'the pane to show the tool call',
          () => screen.includes('make a file') || screen.includes('made-behind'),
          120_000,
          () => screen.slice(-2000),
        );
        const waited = await f.agency(['wait', `n2/${session}`, '--timeout', '240'], { timeoutMs: 260_000 });
        expect(waited.code, waited.stdout + waited.stderr).toBe(0);
        await until(
          'the pane to show the answer',
          () => screen.includes('done on n2'),
          30_000,
          () => screen.slice(-2000),
        );
        stop();
      } finally {
        cockpit.close();
      }
      const made = await ssh(f.fleet, n2, [`test -f ${worktree}/made-behind.txt && echo yes`]);
      expect(made.stdout.trim(), JSON.stringify(f.apis.get('n2')?.toolResults() ?? [])).toBe('yes');
    },
  );

  it('goes down when the jump host is cut off, saying so, and comes back with it', { timeout: 120_000 }, async () => {
    Object.assign(process.env, { AGENCY_SSH_KEEPALIVE_MS: '1000', AGENCY_SSH_KEEPALIVE_COUNT: '2' });
    const cockpit = await Cockpit.open({ live: true, nodes: ['n2'] });
    try {
      const link = cockpit.link('n2');
      await until('n2 to be up', () => link.status().state === 'up', 30_000);
      await f.fleet.cut(1);
      await until(
        'n2 to be marked down',
        () => link.status().state !== 'up',
        15_000,
        () => JSON.stringify(link.status()),
      );
      expect(link.status().error).toMatch(/jump host n1 \(/);
      await f.fleet.restore(1);
      await until(
        'n2 to come back through n1',
        () => link.status().state === 'up',
        60_000,
        () => JSON.stringify(link.status()),
      );
    } finally {
      cockpit.close();
      delete process.env.AGENCY_SSH_KEEPALIVE_MS;
      delete process.env.AGENCY_SSH_KEEPALIVE_COUNT;
    }
  });

  it('refuses the node when the jump host key changed, naming the jump host', { timeout: 120_000 }, async () => {
    const knownHosts = join(dirname(f.configFile), 'known_hosts');
    const n1 = f.node('n1');
    const other = join(dirname(f.configFile), 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', other]);
    const otherKey = readFileSync(`${other}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const before = readFileSync(knownHosts, 'utf8');
    expect(before).toContain(`${n1.host} ${n1.hostKey}`);
    writeFileSync(knownHosts, before.replace(`${n1.host} ${n1.hostKey}`, `${n1.host} ${otherKey}`));
    // what each sshd logged of logins: no key is offered to a host whose key was refused, nor beyond it
    const logins = (i: number) =>
      readFileSync(join(f.fleet.stateDir, 'nodes', `n${i}`, 'sshd.log'), 'utf8').match(
        /Accepted publickey|Failed publickey|Postponed publickey/g,
      )?.length ?? 0;
    const [n1Before, n2Before] = [logins(1), logins(2)];
    expect(n1Before * n2Before).toBeGreaterThan(0); // both took logins before

    const jumpHost = new RegExp(
      `node n2: jump host n1 \\(${n1.host.replace(/\./g, '\\.')}\\): WARNING: the SSH host key of ${n1.host.replace(/\./g, '\\.')} has CHANGED`,
    );
    const status = await f.agency(['status', '--json']);
    const n2 = JSON.parse(status.stdout).nodes.find((n: NodeJson) => n.name === 'n2');
    expect(n2.state, status.stdout + status.stderr).toBe('refused');
    expect(n2.error).toMatch(jumpHost);
    const push = await f.agency(['push', '--node', 'n2', '--json'], { timeoutMs: 60_000 });
    expect(push.code).not.toBe(0);
    const [result] = JSON.parse(push.stdout).results;
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(jumpHost);
    expect([logins(1), logins(2)]).toEqual([n1Before, n2Before]);
  });
});
