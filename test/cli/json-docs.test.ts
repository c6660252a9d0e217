/**
 * Every JSON document agency prints, from every command that takes --json, run for real: a node with the
 * real Claude Code CLI against the scripted Messages API for the session commands, a node with recorded
 * state for decisions and watch, a configured node that is down, and for the landing commands a node whose
 * sessions' branches hold commits (made by hand, in a real repository with a remote). Each document has
 * `"schema": 1` as its first key, and docs/json.md shows each one with the same keys, so the documentation
 * cannot drift from what the commands print. A command that gains --json fails here until it is run and
 * documented.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../src/cli/commands.js';
import { findProgram } from '../../src/node/find-program.js';
import { AGENCY_BIN } from '../helpers/agency.js';
import { commit, git, refAt, userRepo } from '../helpers/git-repo.js';
import { MIN_REGISTRY, testNode, type TestNode } from '../helpers/node.js';
import { offlineNode } from '../helpers/node-server.js';
import { agencyAsync, closedPort, operatorEnv, sshKey, type Run } from '../helpers/operator.js';
import { decisionRecord, sessionRecord } from '../helpers/state-records.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { compareShapes, docExamples } from '../helpers/json-shapes.js';
import { startScriptedApi } from '../fixtures/messages-api.js';
import { genesisScenario } from '../helpers/genesis-script.js';
import { workerSummary } from '../helpers/workers.js';

const DOC = fileURLToPath(new URL('../../docs/json.md', import.meta.url));
const STUDIO_ORG = fileURLToPath(new URL('../fixtures/orgs/studio-three', import.meta.url));
const ORG = fileURLToPath(new URL('../fixtures/orgs/fund-ops', import.meta.url));

/** What each command printed: its label (as docs/json.md names its example) → the documents. */
const printed = new Map<string, unknown[]>();
function keep(label: string, r: Run): unknown {
  expect(r.stdout, `${label}: ${r.stderr}`).not.toBe('');
  const doc = JSON.parse(r.stdout);
  printed.set(label, [...(printed.get(label) ?? []), doc]);
  return doc;
}

/** The commands that take --json, as `parent child` paths, from the command table itself. */
function jsonCommands(): string[] {
  const program = new Command();
  registerCommands(program);
  const out: string[] = [];
  const walk = (c: Command, path: string[]) => {
    for (const sub of c.commands) {
      const p = [...path, sub.name()];
      if (sub.options.some((o) => o.long === '--json')) out.push(p.join(' '));
      walk(sub, p);
    }
  };
  walk(program, []);
  return out.sort();
}

const offline = offlineNode('ag-json-', {
  state: (home) => ({
    version: 1,
    sessions: [sessionRecord(home, 's-aaa111', { state: 'needs-input' }), sessionRecord(home, 's-bbb222')],
    decisions: [decisionRecord('s-aaa111', 'd-0f0f0f'), decisionRecord('s-aaa111', 'd-1e1e1e')],
  }),
});
const home = tempDir('ag-jop-');
let live: TestNode;

// Landing: a user's repository whose remote has a web address (pushes go to a bare repository beside it),
// and three ended sessions with a commit each: one to merge and remove, one to push, one that conflicts.
const L1 = 's-1a1a1a';
const L2 = 's-2b2b2b';
const L3 = 's-3c3c3c';
const repo = userRepo(join(home.path, 'shop'));
const bare = join(home.path, 'shop.git');
git(home.path, 'init', '-q', '--bare', bare);
git(repo, 'remote', 'add', 'origin', 'https://ada:s3cr3t@git.example.invalid/ada/shop.git');
git(repo, 'remote', 'set-url', '--push', 'origin', bare);
// the node finds git and no gh: `pr` prints where to open a pull request, and nothing leaves this machine
const bin = join(home.path, 'bin');
mkdirSync(bin);
symlinkSync(findProgram('git', process.env.PATH)!, join(bin, 'git'));
const landingNode = offlineNode('ag-jland-', {
  env: { PATH: bin, HOME: home.path, CLAUDE_CONFIG_DIR: home.path },
  state: (nodeHome) => {
    const base = { branch: 'main', commit: refAt(repo, 'main')! };
    const sessions = [L1, L2, L3].map((id) => {
      const record = sessionRecord(nodeHome, id, { repo, base, task: `task of ${id}` });
      git(repo, 'worktree', 'add', '-q', '-b', record.branch, record.worktree, base.commit);
      return record;
    });
    return { version: 1, sessions, decisions: [] };
  },
});
const worktree = (id: string) => sessionRecord(landingNode.dir.path, id).worktree;
let pushed: string;

beforeAll(async () => {
  await offline.listen();
  commit(worktree(L1), 'add a greeting', { 'hello.txt': 'hello\n' });
  pushed = commit(worktree(L2), 'add a footer', { 'footer.txt': 'footer\n' });
  commit(worktree(L3), 'rewrite the app', { 'app.txt': 'the session version\n' });
  await landingNode.listen();
  await landingNode.landing.measureMissing();
  live = await testNode({ steps: [{ text: 'hello there' }, { text: 'again' }, { text: 'and again' }] });
}, 120_000);
afterAll(async () => {
  await live?.cleanup();
  await offline.close();
  await landingNode.close();
  home.remove();
});

describe('JSON output', () => {
  it('of the session commands, on a node running the real claude', { timeout: 180_000 }, async () => {
    const a = (...args: string[]) => live.agency(args, { timeoutMs: 90_000 });
    const unknown = await a('run', 'say hello', '--discipline', 'nosuch', '--json');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('agency: unknown discipline "nosuch"; known disciplines: backend, docs\n');
    // the node is given an organisation: its sessions of a VP's discipline say whose they are
    const org = keep('org apply', await a('org', 'apply', ORG, '--json')) as { nodes: { vps: string[] }[] };
    expect(org.nodes).toEqual([{ node: 'local', result: 'applied', vps: ['quant', 'risk', 'ir'], error: null }]);
    const run = keep('run', await a('run', 'say hello', '--discipline', 'backend', '--json')) as { session: string };
    const s = run.session;
    keep('workers', await a('workers', s, '--json'));
    keep('wait', await a('wait', s, '--timeout', '90', '--json'));
    keep('screen', await a('screen', s, '--json'));
    keep('send', await a('send', s, 'once more', '--json'));
    expect((await a('wait', s, '--timeout', '90')).code).toBe(0);
    keep('interrupt', await a('interrupt', s, '--json'));
    keep('pause', await a('pause', s, '--json'));
    keep('resume', await a('resume', s, '--json'));
    keep('pause --all', await a('pause', '--all', '--json'));
    keep('resume --all', await a('resume', '--all', '--json'));
    // split by the node over its registry's disciplines: one session for the endpoint, one for the readme
    const split = keep(
      'run split',
      await a('run', '--split', 'add an api endpoint and write a readme guide', '--json'),
    );
    expect((split as { sessions: { discipline: string }[] }).sessions.map((x) => x.discipline)).toEqual([
      'docs',
      'backend',
    ]);
    keep('stop --all', await a('stop', '--all', '--json'));
    keep('stop', await a('stop', s, '--json'));
    keep('status', await a('status', '--json'));
    keep('cost', await a('cost', '--by', 'model', '--json'));
    const trail = keep('audit', await a('audit', '--json')) as { entries: { kind: string }[] };
    expect(trail.entries.map((e) => e.kind)).toEqual(expect.arrayContaining(['node-start', 'run', 'pause', 'stop']));
    expect(keep('audit verify', await a('audit', 'verify', '--json'))).toMatchObject({ ok: true });
    keep('node stop', await a('node', 'stop', '--json'));
  });

  it('of decisions, nodes and watch, on a node with recorded state and beside a node that is down', async () => {
    const env = operatorEnv(join(home.path, 'op'), { AGENCY_HOME: offline.dir.path });
    const a = (...args: string[]) => agencyAsync(args, env);
    keep('decisions', await a('decisions', '--json'));
    keep('approve', await a('approve', 'd-0f0f0f', '--json'));
    const key = sshKey(join(home.path, 'id_test'));
    keep(
      'nodes add',
      await a(
        'nodes',
        'add',
        'box1',
        '--host',
        '127.0.0.1',
        '--port',
        String(await closedPort()),
        '--identity',
        key,
        '--json',
      ),
    );
    keep('nodes', await a('nodes', '--json'));
    keep('push', await a('push', '--json'));
    // a configured organisation that no longer passes its checks: the document says why it went nowhere
    const config = JSON.parse(readFileSync(env.AGENCY_CONFIG!, 'utf8'));
    writeFileSync(env.AGENCY_CONFIG!, JSON.stringify({ ...config, org: join(home.path, 'no-such-org') }));
    const broken = await a('push', '--json');
    expect(broken.code).toBe(1);
    expect((keep('push', broken) as { org: { error: string } }).org.error).toContain(
      `the organisation in the config (${join(home.path, 'no-such-org')}) was not sent`,
    );
    writeFileSync(env.AGENCY_CONFIG!, JSON.stringify(config));
    // watch: the snapshot, the down node's link going round, and a decision answered
    const p = spawn(process.execPath, [AGENCY_BIN, 'watch', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    try {
      const kinds = () =>
        new Set(
          out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l).kind as string),
        );
      await until(
        'the snapshot and a node event',
        () => kinds().has('snapshot') && kinds().has('node'),
        30_000,
        () => out,
      );
      keep('deny', await a('deny', 'd-1e1e1e', '--json'));
      // a worker's report, as the node's dispatcher tells its watchers
      offline.manager.relay({
        kind: 'worker',
        worker: workerSummary({ id: 'w-1a', node: 'edge', session: 's-aaa111', state: 'running' }),
      });
      // what the node spent, as it tells its watchers once a turn is recorded
      offline.economics.ledger.record({
        at: new Date().toISOString(),
        session: 's-aaa111',
        worker: null,
        vp: null,
        discipline: 'backend',
        model: 'claude-sonnet-4-5',
        spend: { inputTokens: 10, outputTokens: 5, cacheCreationTokens: 0, cacheReadTokens: 100, costUsd: 0.01 },
      });
      offline.manager.relay({ kind: 'spend', node: 'edge', spend: offline.economics.spend() });
      await until(
        'a decision, a session, a worker and a spend event',
        () => kinds().has('decision') && kinds().has('session') && kinds().has('worker') && kinds().has('spend'),
        10_000,
        () => out,
      );
    } finally {
      p.kill('SIGTERM');
    }
    for (const line of out.split('\n').filter(Boolean))
      keep(`watch ${JSON.parse(line).kind}`, { code: 0, stdout: line, stderr: '' });
    keep('nodes remove', await a('nodes', 'remove', 'box1', '--json'));
  });

  it('of the offline commands and the first-run ones', async () => {
    const env = operatorEnv(join(home.path, 'fresh'), { ANTHROPIC_API_KEY: 'sk-ant-json-test' });
    const a = (...args: string[]) => agencyAsync(args, env);
    keep('registry check', await a('registry', 'check', MIN_REGISTRY, '--json'));
    keep('classify', await a('classify', 'add a rest api endpoint', '--registry', MIN_REGISTRY, '--json'));
    // with an organisation configured: its VPs' disciplines, and the VP
    const orgEnv = operatorEnv(join(home.path, 'org-op'), { AGENCY_CONFIG: join(home.path, 'org-config.json') });
    delete orgEnv.AGENCY_REGISTRY;
    writeFileSync(orgEnv.AGENCY_CONFIG!, JSON.stringify({ org: STUDIO_ORG }));
    keep('classify org', await agencyAsync(['classify', 'add a helm chart for the service', '--json'], orgEnv));
    const repo = join(home.path, 'repo');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q', repo]);
    keep(
      'compile',
      await a(
        'compile',
        '--task',
        'add an endpoint',
        '--discipline',
        'backend',
        '--registry',
        MIN_REGISTRY,
        '--dir',
        repo,
        '--json',
      ),
    );
    const model = await startScriptedApi(genesisScenario({ vps: 2, disciplines: 1, agents: 1 }));
    try {
      const genesisEnv = { ...env, ANTHROPIC_BASE_URL: model.url, XDG_CACHE_HOME: join(home.path, 'cache') };
      const out = join(home.path, 'genesis');
      const args = ['genesis', 'A fund operator', '--backend', 'api', '--vps', '2', '--out', out, '--yes', '--json'];
      keep('genesis', await agencyAsync(args, genesisEnv));
    } finally {
      await model.close();
    }
    keep('init', await a('init', '--yes', '--json'));
    keep('doctor', await a('doctor', '--json'));
  });

  it('of the landing commands, on a node whose sessions have commits', async () => {
    const env = operatorEnv(join(home.path, 'lander'), { AGENCY_HOME: landingNode.dir.path });
    const a = (...args: string[]) => agencyAsync(args, env);
    const status = keep('status', await a('status', '--json')) as { sessions: { landing: unknown }[] };
    expect(status.sessions.map((s) => s.landing)).toEqual(Array(3).fill(expect.objectContaining({ ahead: 1 })));
    const [diff, diffStat, log, open] = await Promise.all([
      a('diff', L1, '--json'),
      a('diff', L1, '--stat', '--json'),
      a('log', L1, '--json'),
      a('open', L1, '--json'),
    ]);
    expect(keep('diff', diff)).toMatchObject({ files: [{ path: 'hello.txt', status: 'added' }] });
    expect(keep('diff', diffStat)).not.toHaveProperty('patch');
    expect(keep('log', log)).toMatchObject({ commits: [{ subject: 'add a greeting' }] });
    expect(keep('open', open)).toMatchObject({ local: true, worktree: worktree(L1), command: env.SHELL ?? '/bin/sh' });
    const merged = keep('merge', await a('merge', L1, '--json')) as { commit: string };
    expect(refAt(repo, 'main')).toBe(merged.commit);
    // a merge that fails prints no JSON; the error names the files in conflict
    commit(repo, 'the user rewrites the app', { 'app.txt': 'the user version\n' });
    const conflict = await a('merge', L3, '--json');
    expect([conflict.code, conflict.stdout]).toEqual([1, '']);
    expect(conflict.stderr).toContain(`agency/${L3} conflicts with main in "app.txt"; nothing was merged`);
    const pr = await a('pr', L2, '--json');
    expect(pr.stdout).not.toContain('s3cr3t');
    expect(keep('pr', pr)).toMatchObject({
      remoteUrl: 'https://git.example.invalid/ada/shop.git',
      url: null,
      compareUrl: `https://git.example.invalid/ada/shop/compare/main...agency/${L2}?expand=1`,
    });
    expect(refAt(bare, `agency/${L2}`)).toBe(pushed);
    // fetch: the session's branch into another clone of the operator's repository
    const clone = join(home.path, 'clone');
    execFileSync('git', ['clone', '-q', repo, clone]);
    const fetched = keep('fetch', await a('fetch', L1, '--repo', clone, '--json')) as { commit: string };
    expect(refAt(clone, `agency/${L1}`)).toBe(fetched.commit);
    expect(keep('rm', await a('rm', L1, '--json'))).toMatchObject({ branch: `agency/${L1}`, recovered: null });
    // gc removes the pushed session (its remote has its work) and keeps the one whose work only its branch has
    const gc = keep('gc', await a('gc', '--json')) as { removed: { session: string }[]; kept: { session: string }[] };
    expect([gc.removed.map((r) => r.session), gc.kept.map((k) => k.session)]).toEqual([[L2], [L3]]);
    expect(keep('rm', await a('rm', L3, '--force', '--json'))).toMatchObject({
      recovered: `refs/agency/recovered/${L3}`,
    });
  });

  it('covers every command that takes --json', () => {
    const labels = new Set([...printed.keys()].map((l) => l.replace(/ --all$/, '').replace(/^watch .*/, 'watch')));
    expect(jsonCommands().filter((c) => !labels.has(c))).toEqual([]);
  });

  it('has "schema": 1 as the first key of every document', () => {
    for (const [label, docs] of printed)
      for (const doc of docs) expect(Object.entries(doc as object)[0], label).toEqual(['schema', 1]);
  });

  it('is what docs/json.md shows, key for key', () => {
    const { examples, shapes } = docExamples(readFileSync(DOC, 'utf8'));
    expect([...examples.keys()].sort()).toEqual([...printed.keys()].sort());
    const problems = [...printed].flatMap(([label, docs]) =>
      docs.flatMap((doc) => compareShapes(examples.get(label)!, doc, shapes).map((p) => `${label}: ${p}`)),
    );
    expect(problems).toEqual([]);
  });
});
