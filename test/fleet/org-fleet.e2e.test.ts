/**
 * `agency org apply` on a fleet of 16 test nodes with a 3-VP organisation: the VPs go round robin over the
 * nodes, every node that is up reports its VP in `nodes --json` and on its tile in the real TUI (tmux,
 * 160×48); a node that was down at apply gets its VP with the next push; and a session of the overlay's own
 * discipline runs from the overlay, on the node of the VP that owns it, with the VP in its CLAUDE.md; and
 * `agency run` with no --node sends a task for each VP's mandate to one of that VP's nodes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';
import { ssh } from '../helpers/fleet.js';
import { MIN_REGISTRY } from '../helpers/node.js';
import { tmux, tuiScript, until, type Tmux } from '../helpers/tmux.js';

const ORG = fileURLToPath(new URL('../fixtures/orgs/fund-ops', import.meta.url));
const NODES = 16;
const names = Array.from({ length: NODES }, (_, i) => `n${i + 1}`);
/** org.yaml names no nodes: its three VPs go round the nodes in order */
const VPS = ['quant', 'risk', 'ir'];
const VP_NAMES: Record<string, string> = { quant: 'Quant Strategy', risk: 'Risk', ir: 'Investor Relations' };
const vpOf = (node: string) => VPS[(Number(node.slice(1)) - 1) % VPS.length]!;
const DOWN = 'n16';

let f: AgencyFleet;
let t: Tmux | undefined;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agency-org-fleet-'));
  chmodSync(dir, 0o755);
  f = await agencyFleet(NODES, () => ({ steps: [{ text: 'stressed it' }] }), { prefix: 'ago', subnet: '10.231' });
  // the overlay is checked here over the registry the nodes have (the test fixture's)
  f.env.AGENCY_REGISTRY = MIN_REGISTRY;
  const push = await f.agency(['push', '--json'], { timeoutMs: 300_000 });
  if (push.code !== 0) throw new Error(`push failed: ${push.stdout}${push.stderr}`);
}, 400_000);
afterAll(async () => {
  t?.kill();
  await f?.cleanup();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

interface NodesDoc {
  nodes: { name: string; state: string; org: { id: string } | null; vps: { id: string; name: string }[] }[];
}
const nodesJson = async () => JSON.parse((await f.agency(['nodes', '--json'])).stdout) as NodesDoc;

describe(`agency org apply on a fleet of ${NODES} nodes`, () => {
  it('gives every node that is up its VP, and records the organisation', { timeout: 180_000 }, async () => {
    await f.fleet.cut(Number(DOWN.slice(1)));
    const r = await f.agency(['org', 'apply', ORG, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      org: { id: string; dir: string };
      nodes: { node: string; result: string; vps: string[] }[];
    };
    expect(doc.org).toMatchObject({ id: 'fund-ops', dir: ORG });
    expect(doc.nodes.map((n) => [n.node, n.result, n.vps])).toEqual(
      names.map((n) => [n, n === DOWN ? 'down' : 'applied', [vpOf(n)]]),
    );
    expect(JSON.parse(readFileSync(f.configFile, 'utf8')).org).toBe(ORG);
    const listed = await nodesJson();
    for (const n of listed.nodes.filter((x) => x.name !== DOWN)) {
      expect(n.org?.id, n.name).toBe('fund-ops');
      expect(
        n.vps.map((v) => [v.id, v.name]),
        n.name,
      ).toEqual([[vpOf(n.name), VP_NAMES[vpOf(n.name)]]]);
    }
    expect(listed.nodes.find((x) => x.name === DOWN)?.state).not.toBe('up');
  });

  it('a node that was down gets its VP with the next push', { timeout: 180_000 }, async () => {
    await f.fleet.restore(Number(DOWN.slice(1)));
    const r = await f.agency(['push', '--node', DOWN, '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { results: { node: string; ok: boolean; org?: unknown }[] };
    expect(doc.results).toEqual([
      expect.objectContaining({ node: DOWN, ok: true, org: { result: 'applied', vps: [vpOf(DOWN)], error: null } }),
    ]);
    const n = (await nodesJson()).nodes.find((x) => x.name === DOWN)!;
    expect(n.vps.map((v) => v.id)).toEqual([vpOf(DOWN)]);
  });

  it('every tile of the real TUI shows its VP and mandate', { timeout: 120_000 }, async () => {
    t = tmux('org');
    t.start(tuiScript(f.env, dir, dir));
    // each tile's title: the node, its VP's name (cut to the room beside the link state)
    const titled = (screen: string, n: string) =>
      new RegExp(`\\b${n} · ${VP_NAMES[vpOf(n)]!.slice(0, 14)}`).test(screen);
    await until('16 tiles with their VPs', () => names.every((n) => titled(t!.screen(), n)), t, 90_000);
    const screen = t.screen();
    expect(screen).toMatch(/nodes 16\/16 up/);
    expect(screen).toContain("Design and stress-test the fund's");
    expect(screen).toContain("Keep the fund's systems and exposu");
    expect(screen).toContain('Tell investors what the fund does');
    expect(screen.replace(/\n$/, '').split('\n').length).toBeLessThanOrEqual(48);
  });

  it(
    "a session of the overlay's own discipline runs from the overlay, for its VP, on the VP's node",
    { timeout: 180_000 },
    async () => {
      const node = f.node('n1'); // quant's, which owns stress-testing
      const r = await f.agency([
        'run',
        'stress the strategy against 2008',
        '--node',
        'n1',
        '--repo',
        `${node.home}/repo`,
        '--discipline',
        'stress-testing',
        '--json',
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const run = JSON.parse(r.stdout) as { session: string; worktree: string };
      const waited = await f.agency(['wait', `n1/${run.session}`, '--until', 'done', '--timeout', '120']);
      expect(waited.code, waited.stdout + waited.stderr).toBe(0);
      const status = JSON.parse((await f.agency(['status', '--json'])).stdout) as {
        sessions: { id: string; node: string; vp?: string | null; discipline: string }[];
      };
      expect(status.sessions.find((s) => s.id === run.session && s.node === 'n1')).toMatchObject({
        vp: 'quant',
        discipline: 'stress-testing',
      });
      const files = await ssh(f.fleet, node, [
        `cat ${run.worktree}/CLAUDE.md && cat ${run.worktree}/.claude/agents/scenario-simulator.md`,
      ]);
      expect(files.stdout).toContain('# Market Stress Testing');
      expect(files.stdout).toContain(
        "You work for Quant Strategy of Fund Operations: Design and stress-test the fund's trading strategies.",
      );
      expect(files.stdout).toContain('name: scenario-simulator');
    },
  );

  it("a task for each VP's mandate lands on one of that VP's nodes", { timeout: 300_000 }, async () => {
    // the operator's repository goes to whichever node a task lands on, into a mirror with no git identity
    await Promise.all(
      f.fleet.nodes.map((n) =>
        ssh(f.fleet, n, ['git config --global user.name t && git config --global user.email t@example.invalid'], {}),
      ),
    );
    const repo = join(dir, 'repo');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    writeFileSync(join(repo, 'README.md'), 'fund\n');
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'add', '-A']);
    execFileSync('git', [
      '-C',
      repo,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@example.invalid',
      'commit',
      '-qm',
      'init',
    ]);
    const tasks = [
      {
        vp: 'quant',
        discipline: 'stress-testing',
        task: 'backtest the momentum strategy through a 2008 drawdown scenario',
      },
      { vp: 'risk', discipline: 'backend', task: 'add a database migration behind the exposure limits api endpoint' },
      { vp: 'ir', discipline: 'docs', task: 'write the readme and a tutorial guide for our investors' },
    ];
    for (const t of tasks) {
      const classified = JSON.parse((await f.agency(['classify', t.task, '--json'])).stdout) as {
        best: string;
        vp: { id: string } | null;
      };
      expect([classified.best, classified.vp?.id], t.task).toEqual([t.discipline, t.vp]);
      const r = await f.agency(['run', t.task, '--repo', repo, '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const started = JSON.parse(r.stdout) as { node: string; vp: string | null; discipline: string };
      expect(started, t.task).toMatchObject({ vp: t.vp, discipline: t.discipline });
      expect(vpOf(started.node), `${t.task} went to ${started.node}`).toBe(t.vp);
      expect(r.stderr).not.toContain('least loaded');
    }
  });
});
