/**
 * Repositories across the fleet, end to end on a test node (a network namespace with its own sshd and user):
 * a repository given by URL (a bare repository served by the node's own sshd) is mirrored on the node and a
 * session works in it to the end with the real Claude Code CLI, then `agency fetch` brings its branch into
 * the operator's clone over the link; and a repository on the operator's machine with a commit pushed
 * nowhere is sent to the node, where the session sees that commit.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';
import { ssh, sshArgs, type FleetNode, type Run } from '../helpers/fleet.js';
import { AGENCY_BIN } from '../helpers/agency.js';

/** never a real secret: it must show up nowhere the operator or the node keeps or shows things */
const SECRET = 'NotARealPassword-7f3a';
const SESSION_FILE = 'from-the-session.txt';

let f: AgencyFleet;
let n1: FleetNode;
let operator: string;

const git = (cwd: string, ...a: string[]) =>
  execFileSync('git', ['-c', 'user.name=Operator', '-c', 'user.email=op@example.invalid', ...a], {
    cwd,
    encoding: 'utf8',
  }).trim();

beforeAll(async () => {
  f = await agencyFleet(
    1,
    () => ({
      steps: [
        {
          tool: 'Bash',
          input: {
            command: `cat unpushed.txt 2>/dev/null; echo made on the node > ${SESSION_FILE} && git add ${SESSION_FILE} && git commit -q -m "session work" && git log --oneline -1`,
            description: 'commit a file',
          },
        },
        { text: 'committed' },
      ],
    }),
    { prefix: 'agr', subnet: '10.221' },
  );
  n1 = f.node('n1');
  operator = mkdtempSync(join(tmpdir(), 'agency-fleetrepo-op-'));
  const push = await f.agency(['push', '--node', 'n1', '--json'], { timeoutMs: 200_000 });
  expect(push.code, push.stdout + push.stderr).toBe(0);
  // the node: a bare repository to serve, a key and known_hosts entry for its own sshd, a git identity
  const setup = [
    'set -e',
    'git config --global user.name "Node One" && git config --global user.email n1@example.invalid',
    'git init -q --bare -b main ~/served/project.git',
    'git init -q -b main ~/seed && cd ~/seed && echo served > README.md && git add -A && git commit -qm "served first"',
    'git push -q ~/served/project.git main',
    'mkdir -p -m 700 ~/.ssh && ssh-keygen -q -t ed25519 -N "" -f ~/.ssh/id_ed25519',
    `echo "${n1.host} ${n1.hostKey}" > ~/.ssh/known_hosts`,
    'cat ~/.ssh/id_ed25519.pub',
  ].join('\n');
  const r = await ssh(f.fleet, n1, [setup]);
  expect(r.code, r.stderr).toBe(0);
  appendFileSync(join(f.fleet.stateDir, 'authorized_keys'), `${r.stdout.trim().split('\n').pop()}\n`);
}, 400_000);
afterAll(async () => {
  rmSync(operator, { recursive: true, force: true });
  await f?.cleanup();
}, 120_000);

/** `agency …` as the operator runs it, in a folder of theirs */
function agencyIn(cwd: string, args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [AGENCY_BIN, ...args], { cwd, env: f.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`agency ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}${stderr}`));
    }, timeoutMs);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Waits for the session to end its turn, approving whatever it asks the operator on the way. */
async function runToEnd(ref: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const w = await f.agency(['wait', ref, '--until', 'input', '--timeout', '150'], { timeoutMs: 170_000 });
    if (w.code === 0) return;
    if (w.code !== 3) throw new Error(`wait ended with ${w.code}: ${w.stdout}${w.stderr}`);
    const open = JSON.parse((await f.agency(['decisions', '--json'])).stdout).decisions as { id: string }[];
    for (const d of open) await f.agency(['approve', `n1/${d.id}`]);
  }
  throw new Error(`session ${ref} kept asking`);
}

const onNode = async (command: string) => {
  const r = await ssh(f.fleet, n1, [command]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
};

describe('a repository given by URL, served by the node', () => {
  let session: { session: string; worktree: string; branch: string };
  let clone: string;

  it('is mirrored on the node, and a session there works in it to the end', { timeout: 300_000 }, async () => {
    const url = `ssh://${n1.user}:${SECRET}@${n1.host}${n1.home}/served/project.git`;
    const r = await f.agency([
      'run',
      'commit a file',
      '--node',
      'n1',
      '--repo',
      url,
      '--discipline',
      'backend',
      '--json',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    session = JSON.parse(r.stdout);
    await runToEnd(`n1/${session.session}`);
    const status = JSON.parse((await f.agency(['status', '--json'])).stdout);
    const s = status.sessions.find((x: { id: string }) => x.id === session.session);
    // the session ran in the OS sandbox, which lets git reach the mirror its worktree belongs to
    expect(status.nodes[0].info.sandbox).toEqual({ mode: 'on' });
    const served = await onNode('git -C ~/served/project.git rev-parse main');
    expect(s.origin).toBe(`ssh://${n1.user}@${n1.host}${n1.home}/served/project.git`);
    expect(s.base).toEqual({ branch: 'main', commit: served });
    expect(s.repo).toMatch(new RegExp(`^${n1.home}/\\.agency/mirrors/project-[0-9a-f]{16}\\.git$`));
    // the session committed on its branch, from inside the sandbox, in a worktree of the mirror
    expect(await onNode(`git -C ${s.repo} log --format=%s -1 ${session.branch}`)).toBe('session work');
    expect(await onNode(`git -C ${s.repo} rev-parse ${session.branch}~1`)).toBe(served);
    // the password in the URL went nowhere: not into the node's files, nor any answer the operator got
    expect(await onNode(`grep -rl -- '${SECRET}' ~/.agency || echo none`)).toBe('none');
    expect(JSON.stringify(s)).not.toContain(SECRET);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it(
    "agency fetch brings the session's branch into the operator's clone, over the link",
    { timeout: 120_000 },
    async () => {
      clone = join(operator, 'clone');
      // the operator's clone, made with OpenSSH as an operator would
      const sshCommand = sshArgs(f.fleet, n1)
        .slice(0, -1)
        .map((a) => `'${a}'`)
        .join(' ');
      execFileSync('git', ['clone', '-q', `ssh://${n1.user}@${n1.host}${n1.home}/served/project.git`, clone], {
        env: { ...process.env, GIT_SSH_COMMAND: `ssh ${sshCommand}` },
      });
      const r = await agencyIn(clone, ['fetch', `n1/${session.session}`, '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({
        session: session.session,
        node: 'n1',
        repo: clone,
        branch: `agency/${session.session}`,
        previous: null,
        updated: true,
        ahead: 1,
      });
      expect(git(clone, 'show', `agency/${session.session}:${SESSION_FILE}`)).toBe('made on the node');
      expect(git(clone, 'rev-parse', `agency/${session.session}`)).toBe(out.commit);
      expect(git(clone, 'for-each-ref', 'refs/agency/')).toBe('');
      // again: nothing to move
      const again = JSON.parse((await agencyIn(clone, ['fetch', `n1/${session.session}`, '--json'])).stdout);
      expect(again).toMatchObject({ updated: false, commit: out.commit, previous: out.commit });
    },
  );

  it(
    'leaves a local branch of that name that has commits of its own, and says where the fetched one is',
    { timeout: 120_000 },
    async () => {
      const branch = `agency/${session.session}`;
      git(clone, 'checkout', '-q', branch);
      writeFileSync(join(clone, 'mine.txt'), 'mine\n');
      git(clone, 'add', '-A');
      git(clone, 'commit', '-q', '-m', 'operator work');
      const mine = git(clone, 'rev-parse', branch);
      const r = await agencyIn(clone, ['fetch', `n1/${session.session}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `${branch} in ${clone} has commits the session's branch lacks, so it is left as it is`,
      );
      expect(r.stderr).toContain(`refs/agency/fetched/${session.session}`);
      expect(git(clone, 'rev-parse', branch)).toBe(mine);
      expect(git(clone, 'log', '--format=%s', '-1', `refs/agency/fetched/${session.session}`)).toBe('session work');
    },
  );
});

describe('a URL the node cannot clone', () => {
  it('says why, naming the URL without its password, and makes nothing', { timeout: 120_000 }, async () => {
    const before = JSON.parse((await f.agency(['status', '--json'])).stdout).sessions.length;
    const run = (url: string) =>
      f.agency(['run', 'commit a file', '--node', 'n1', '--repo', url, '--discipline', 'backend']);
    const missing = await run(`ssh://${n1.user}:${SECRET}@${n1.host}${n1.home}/served/nothing.git`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `cannot clone ssh://${n1.user}@${n1.host}${n1.home}/served/nothing.git: there is no git repository at that address`,
    );
    // sshd lets in only the node's own user
    const refused = await run(`ssh://nobody@${n1.host}${n1.home}/served/project.git`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot clone ssh:\/\/nobody@.*: the node was refused/);
    expect(missing.stderr + refused.stderr).not.toContain(SECRET);
    expect(JSON.parse((await f.agency(['status', '--json'])).stdout).sessions).toHaveLength(before);
    expect(await onNode('ls ~/.agency/mirrors')).toMatch(/^project-[0-9a-f]{16}\.git$/);
  });
});

describe("a repository on the operator's machine, for a remote node", () => {
  it(
    'is sent over the link with a commit pushed nowhere, and the session sees that commit',
    { timeout: 300_000 },
    async () => {
      const repo = join(operator, 'mine');
      mkdirSync(repo);
      git(repo, 'init', '-q', '-b', 'feature');
      writeFileSync(join(repo, 'README.md'), 'mine\n');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', 'first');
      writeFileSync(join(repo, 'unpushed.txt'), 'only on the operator machine\n');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', 'unpushed work');
      const head = git(repo, 'rev-parse', 'HEAD');
      writeFileSync(join(repo, 'README.md'), 'changed, not committed\n');

      const r = await agencyIn(repo, ['run', 'commit a file', '--node', 'n1', '--discipline', 'backend', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /has changes not committed; they stay here: the session on n1 starts from [0-9a-f]{12} \(feature\)/,
      );
      const s = JSON.parse(r.stdout) as { session: string; worktree: string; branch: string };
      await runToEnd(`n1/${s.session}`);
      const summary = JSON.parse((await f.agency(['status', '--json'])).stdout).sessions.find(
        (x: { id: string }) => x.id === s.session,
      );
      expect(summary.base).toEqual({ branch: 'feature', commit: head });
      expect(summary.origin).toBeNull();
      expect(summary.repo).toMatch(new RegExp(`^${n1.home}/\\.agency/mirrors/mine-[0-9a-f]{16}\\.git$`));
      // the session read the file of the unpushed commit, and committed on top of it
      // (scripted tool calls share their ids across sessions: the requests themselves are searched)
      const seen = f.apis
        .get('n1')!
        .requests.some((q) => JSON.stringify(q.body ?? '').includes('only on the operator machine'));
      expect(seen).toBe(true);
      expect(await onNode(`git -C ${summary.repo} rev-parse ${s.branch}~1`)).toBe(head);
      expect(await onNode(`git -C ${summary.repo} rev-parse refs/heads/feature`)).toBe(head);

      // a second run from the same repository goes to the same mirror, and sends only what is new
      writeFileSync(join(repo, 'more.txt'), 'more\n');
      git(repo, 'add', 'more.txt');
      git(repo, 'commit', '-q', '-m', 'more');
      const again = await agencyIn(repo, ['run', 'commit a file', '--node', 'n1', '--discipline', 'backend', '--json']);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      const s2 = JSON.parse(again.stdout) as { session: string };
      await runToEnd(`n1/${s2.session}`);
      const summary2 = JSON.parse((await f.agency(['status', '--json'])).stdout).sessions.find(
        (x: { id: string }) => x.id === s2.session,
      );
      expect(summary2.repo).toBe(summary.repo);
      expect(summary2.base.commit).toBe(git(repo, 'rev-parse', 'HEAD'));

      // and fetch, from the operator's repository as the current folder, brings the session's work back
      const fetched = await agencyIn(repo, ['fetch', `n1/${s.session}`]);
      expect(fetched.code, fetched.stdout + fetched.stderr).toBe(0);
      expect(fetched.stdout).toMatch(new RegExp(`^agency/${s.session} is now at [0-9a-f]{12} in ${repo}`));
      expect(git(repo, 'rev-parse', `agency/${s.session}~1`)).toBe(head);
      expect(git(repo, 'show', `agency/${s.session}:${SESSION_FILE}`)).toBe('made on the node');
    },
  );

  it(
    'a folder that is no repository here, for a remote node, is refused before anything is made',
    { timeout: 60_000 },
    async () => {
      const empty = mkdtempSync(join(operator, 'empty-'));
      const r = await agencyIn(empty, ['run', 'commit a file', '--node', 'n1', '--discipline', 'backend']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/the current folder is not a git repository; to work on node n1, pass --repo/);
    },
  );
});
