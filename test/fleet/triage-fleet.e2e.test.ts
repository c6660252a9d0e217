/**
 * Triage on a fleet: three test nodes, and an organisation of three VPs (test/fixtures/orgs/studio-three,
 * over the disciplines agency ships, so the nodes need no overlay) named in the operator config, org.yaml
 * giving each VP one node. `agency run` with no --node sends a task for each VP's mandate to that VP's node,
 * with its discipline and VP; with the VP's node cut off it falls back to the least loaded node, with a note;
 * `run --split` on a task spanning two disciplines of the VP (push gave the nodes the organisation, so a node
 * splits over the VPs it carries) starts two sessions there, each told its own part, and the
 * real Claude Code CLI runs each against the scripted Messages API.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstUserText } from '../fixtures/messages-api.js';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';
import { ssh } from '../helpers/fleet.js';

const ORG = fileURLToPath(new URL('../fixtures/orgs/studio-three', import.meta.url));
let f: AgencyFleet;
let work: string;
let repo: string;

interface Started {
  session: string;
  node: string;
  discipline: string;
  vp: string | null;
}

beforeAll(async () => {
  f = await agencyFleet(3, () => ({ steps: [{ text: 'done here' }] }), { prefix: 'atr', subnet: '10.233' });
  // the nodes compile from the registry agency ships (the one pushed with the agent), which the VPs' disciplines are of
  await Promise.all(
    f.fleet.nodes.map((n) =>
      ssh(
        f.fleet,
        n,
        [
          "sed -i '/^AGENCY_REGISTRY=/d' ~/.agency/node.env && git config --global user.name t && git config --global user.email t@example.invalid",
        ],
        {},
      ),
    ),
  );
  work = mkdtempSync(join(tmpdir(), 'agency-triage-'));
  cpSync(ORG, join(work, 'org'), { recursive: true });
  const config = JSON.parse(readFileSync(f.configFile, 'utf8'));
  writeFileSync(f.configFile, JSON.stringify({ ...config, org: join(work, 'org') }, null, 2));
  // the operator's repository, sent to whichever node a task goes to
  repo = join(work, 'repo');
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'ignore' });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  git('config', 'user.name', 't');
  git('config', 'user.email', 't@example.invalid');
  writeFileSync(join(repo, 'README.md'), 'fixture\n');
  git('add', '-A');
  git('commit', '-qm', 'init');
  const push = await f.agency(['push', '--json'], { timeoutMs: 280_000 });
  expect(push.code, push.stdout + push.stderr).toBe(0);
}, 400_000);
afterAll(async () => {
  await f?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

async function run(task: string, ...more: string[]): Promise<{ started: Started; stderr: string }> {
  const r = await f.agency(['run', task, '--repo', repo, '--json', ...more]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return { started: JSON.parse(r.stdout) as Started, stderr: r.stderr };
}

describe('triage on a fleet of three nodes', () => {
  it(
    'a task for each VP’s mandate lands on that VP’s node, with its discipline and VP',
    { timeout: 300_000 },
    async () => {
      const tasks = [
        {
          task: 'fix the react component that renders the login form',
          node: 'n1',
          vp: 'product',
          discipline: 'frontend',
        },
        { task: 'add a kubernetes helm chart and a ci pipeline', node: 'n2', vp: 'platform', discipline: 'devops' },
        {
          task: 'write the readme and a tutorial for the docs',
          node: 'n3',
          vp: 'knowledge',
          discipline: 'documentation',
        },
      ];
      for (const t of tasks) {
        const { started, stderr } = await run(t.task);
        expect(started, t.task).toMatchObject({ node: t.node, vp: t.vp, discipline: t.discipline });
        expect(stderr).not.toContain('least loaded');
      }
      // the node has each session, with the discipline triage chose
      const status = JSON.parse((await f.agency(['status', '--json'])).stdout);
      const where = status.sessions
        .map((s: { node: string; discipline: string }) => `${s.node}:${s.discipline}`)
        .sort();
      expect(where).toEqual(['n1:frontend', 'n2:devops', 'n3:documentation']);
    },
  );

  it(
    'with the VP’s node cut off, the task falls back to the least loaded node, with a note',
    { timeout: 300_000 },
    async () => {
      await f.fleet.cut(2);
      try {
        const { started, stderr } = await run('add a terraform module for the staging infrastructure');
        expect(['n1', 'n3']).toContain(started.node);
        expect(started).toMatchObject({ discipline: 'devops', vp: 'platform' });
        expect(stderr).toContain(
          `agency: VP Platform and Security (platform): none of its nodes is reachable (n2 down); running on ${started.node}, the least loaded reachable node`,
        );
      } finally {
        await f.fleet.restore(2);
      }
    },
  );

  it(
    'run --split starts one session per discipline the task spans, each told its own part',
    { timeout: 400_000 },
    async () => {
      const task = 'add a helm chart and a ci pipeline, then run a threat model and a vulnerability audit of it';
      const r = await f.agency(['run', '--split', task, '--repo', repo, '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const sessions = JSON.parse(r.stdout).sessions as Started[];
      expect(sessions.map((s) => [s.node, s.discipline])).toEqual([
        ['n2', 'devops'],
        ['n2', 'security-audit'],
      ]);
      const waited = await Promise.all(
        sessions.map((s) => f.agency(['wait', `${s.node}/${s.session}`, '--timeout', '240'], { timeoutMs: 260_000 })),
      );
      waited.forEach((w) => expect(w.code, w.stdout + w.stderr).toBe(0));
      // each claude was given the whole task and its own part
      const prompts = f.apis
        .get('n2')!
        .requests.filter((q) => q.kind === 'main')
        .map((q) => firstUserText(q.body));
      const mine = (title: string) => prompts.find((p) => p.includes(`Your part is the ${title}`));
      expect(mine('DevOps and Infrastructure')).toContain(task);
      expect(mine('Security Audit')).toContain(task);
      expect(mine('Security Audit')).toContain(
        'The other parts are taken by other sessions: DevOps and Infrastructure',
      );
      // and text output: the ids, one per line
      const text = await f.agency(['run', '--split', task, '--repo', repo]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout.trim().split('\n')).toHaveLength(2);
      expect(text.stdout).toMatch(/^s-[0-9a-f]+\ns-[0-9a-f]+\n$/);
    },
  );
});
