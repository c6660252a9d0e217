/**
 * The check command's sandbox on Linux, with the real bubblewrap: a check (code from workers) writes only to
 * the worktree it checks and a private /tmp, cannot read the node's home or the user's logins, reaches no
 * network and no unix socket of the system, cannot touch git's files or the session's uncommitted ones, and
 * everything it started ends at its timeout. The merge queue runs its checks in it, and refuses to merge at
 * all where it cannot be made.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/dispatch/check-run.js';
import { runMergeQueue } from '../../src/dispatch/merge-queue.js';
import { workerBranch } from '../../src/protocol/worker-branch.js';
import { createWorktree } from '../../src/worktree/index.js';
import { deferAfterEach } from '../helpers/defer.js';
import { git, reachable, refAt, userRepo, write } from '../helpers/git-repo.js';
import { until } from '../helpers/until.js';
import { branchWith, snapshotTree } from '../helpers/worker-branches.js';

const defer = deferAfterEach();
const ID = 's-0d0d0d';
const SECRET = `secret-${randomBytes(8).toString('hex')}`;

/** A node's home (with node.env) holding the session's worktree, and a user's home with logins in it. */
async function setup() {
  // outside /tmp, which the sandbox replaces as a whole: here each hidden path must be hidden on its own
  const path = realpathSync(mkdtempSync(join(homedir(), '.agency-sandbox-test-')));
  const t = { path, remove: () => rmSync(path, { recursive: true, force: true }) };
  defer(t.remove);
  const agencyHome = join(t.path, 'agency-home');
  const home = join(t.path, 'home');
  write(agencyHome, { 'node.env': `ANTHROPIC_API_KEY=${SECRET}\n`, 'run/api-key': `${SECRET}\n` });
  write(home, {
    '.ssh/id_ed25519': SECRET,
    '.aws/credentials': SECRET,
    '.config/gh/hosts.yml': SECRET,
    '.claude.json': SECRET,
  });
  const repo = userRepo(join(t.path, 'repo'));
  const wt = await createWorktree({ repo, id: ID, under: join(agencyHome, 'worktrees') });
  const env = { PATH: process.env.PATH, HOME: home, AGENCY_HOME: agencyHome, GH_TOKEN: SECRET, LANG: 'C' };
  const gitDirs = git(wt.path, 'rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir')
    .trim()
    .split('\n');
  return { t, agencyHome, home, repo, wt: wt.path, branch: wt.branch, base: wt.base, env, gitDirs };
}

const sandboxed = (command: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000) => ({
  command,
  sandbox: true,
  env,
  timeoutMs,
});

describe('the check sandbox', () => {
  it('lets the check write its worktree and a private /tmp, and nothing else', async () => {
    const s = await setup();
    const probe = `agency-probe-${randomBytes(4).toString('hex')}`;
    const outside = [join(process.cwd(), probe), join(homedir(), probe)];
    defer(() => outside.forEach((f) => rmSync(f, { force: true })));
    const tries = [
      `echo ok > built.txt`,
      `echo x > /tmp/${probe}`,
      ...outside.map((f) => `echo x > ${f}`),
      `echo gitdir: /tmp > .git`,
      `echo x > ${s.gitDirs[1]}/hooks/post-checkout`,
      `echo x >> ${s.gitDirs[0]}/HEAD`,
      ...[s.home, s.repo, s.agencyHome].map((d) => `echo x > ${d}/pwned`),
    ];
    const command = tries.map((c, i) => `if (${c}) 2>/dev/null; then echo ${i} wrote; else echo ${i} refused; fi`);
    const r = await runCheck(s.wt, sandboxed([...command, `cat /tmp/${probe}`].join('\n'), s.env), {
      gitDirs: s.gitDirs,
    });
    const verdicts = r.output.trim().split('\n');
    expect(verdicts).toEqual(['0 wrote', '1 wrote', ...tries.slice(2).map((_, i) => `${i + 2} refused`), 'x']);
    expect(readFileSync(join(s.wt, 'built.txt'), 'utf8')).toBe('ok\n');
    expect(existsSync(`/tmp/${probe}`)).toBe(false);
    for (const f of outside) expect(existsSync(f)).toBe(false);
    for (const d of [s.home, s.repo, s.agencyHome]) expect(existsSync(join(d, 'pwned'))).toBe(false);
    expect(existsSync(join(s.gitDirs[1]!, 'hooks', 'post-checkout'))).toBe(false);
    expect(readFileSync(join(s.wt, '.git'), 'utf8')).toMatch(/^gitdir: /);
    // git still works for the check, reading
    const g = await runCheck(s.wt, sandboxed('git log --format=%s -1', s.env), { gitDirs: s.gitDirs });
    expect(g).toMatchObject({ ok: true, output: 'init\n' });
  });

  it("cannot read the node's home, the user's logins, or a secret variable", async () => {
    const s = await setup();
    const reads = [
      join(s.agencyHome, 'node.env'),
      join(s.agencyHome, 'run', 'api-key'),
      join(s.home, '.ssh', 'id_ed25519'),
      join(s.home, '.aws', 'credentials'),
      join(s.home, '.config', 'gh', 'hosts.yml'),
      join(s.home, '.claude.json'),
    ];
    const command = [...reads.map((f) => `cat ${f} 2>/dev/null`), 'head -1 /etc/passwd', 'env'].join('; ');
    const r = await runCheck(s.wt, sandboxed(command, s.env), { gitDirs: s.gitDirs });
    expect(r.output).not.toContain(SECRET);
    expect(r.output).toMatch(/^root:/);
    expect(r.output).not.toContain('GH_TOKEN');
    expect(r.output).toContain(`AGENCY_HOME=${s.agencyHome}\n`);
  });

  it('reaches no network and no unix socket of the system', async () => {
    const s = await setup();
    let connections = 0;
    const servers: Server[] = [];
    const listen = (at: number | string) =>
      new Promise<Server>((resolve) => {
        const server = createServer((c) => {
          connections++;
          c.on('error', () => {});
          c.end('hello\n');
        });
        servers.push(server);
        if (typeof at === 'number') server.listen(at, '127.0.0.1', () => resolve(server));
        else server.listen(at, () => resolve(server));
      });
    defer(() => servers.forEach((x) => x.close()));
    const tcp = await listen(0);
    const port = (tcp.address() as { port: number }).port;
    const sock = `/run/agency-check-${randomBytes(4).toString('hex')}.sock`;
    defer(() => rmSync(sock, { force: true }));
    await listen(sock);
    const connect = (target: string) =>
      `node -e "require('net').connect(${target}).on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(1)})"`;
    // outside the sandbox, both answer
    const open = await runCheck(s.wt, { command: connect(`${port},'127.0.0.1'`), sandbox: false, env: s.env });
    expect(open.output).toBe('connected\n');
    connections = 0;
    const r = await runCheck(
      s.wt,
      sandboxed(`${connect(`${port},'127.0.0.1'`)}; ${connect(`'${sock}'`)}; exit 0`, s.env),
      { gitDirs: s.gitDirs },
    );
    expect(r.output).toMatch(/^(ECONNREFUSED|ENETUNREACH)\nENOENT\n$/);
    expect(connections).toBe(0);
  });

  it("cannot change the session's uncommitted files", async () => {
    const s = await setup();
    write(s.wt, { 'mine.txt': "the session's\n" });
    const r = await runCheck(s.wt, sandboxed('echo theirs > mine.txt; rm -f mine.txt; cat mine.txt', s.env), {
      gitDirs: s.gitDirs,
      protect: ['mine.txt'],
    });
    expect(r.output).toContain("the session's\n");
    expect(readFileSync(join(s.wt, 'mine.txt'), 'utf8')).toBe("the session's\n");
  });

  it('ends everything the check started at its timeout', async () => {
    const s = await setup();
    const mark = `61.${randomBytes(3).readUIntBE(0, 3)}`;
    const sleeping = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .some((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8') === `sleep\0${mark}\0`;
          } catch {
            return false;
          }
        });
    const t0 = Date.now();
    const r = await runCheck(s.wt, sandboxed(`(setsid sleep ${mark} &); sleep ${mark}`, s.env, 1_000), {
      gitDirs: s.gitDirs,
    });
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(Date.now() - t0).toBeLessThan(15_000);
    await until('every sleep of the check to end', () => !sleeping(), 10_000);
  });
});

describe('the merge queue with the sandbox', () => {
  it('bisects a batch with its checks in the sandbox', async () => {
    const s = await setup();
    const names = ['a', 'b', 'c', 'd'];
    const items = names.map((n, i) => {
      const branch = workerBranch(ID, n);
      branchWith(s.repo, branch, s.base, { [`${n}.txt`]: n === 'c' ? 'BUG\n' : `${n}\n` });
      return { id: n, branch, order: i + 1 };
    });
    const check = sandboxed(`! grep -rqs BUG --include='*.txt' . && echo x > ${s.home}/pwned`, s.env);
    const out = await runMergeQueue({ worktree: s.wt, branch: s.branch, items, check });
    // every check fails: the sandbox refuses the write outside the worktree
    expect(out.merged).toEqual([]);
    const check2 = sandboxed(`! grep -rqs BUG --include='*.txt' .`, s.env);
    const out2 = await runMergeQueue({ worktree: s.wt, branch: s.branch, items, check: check2 });
    expect(out2.merged).toEqual(['a', 'b', 'd']);
    expect(out2.failedChecks.map((f) => f.id)).toEqual(['c']);
    // the whole, two halvings, then d on its own
    expect(out2.checks).toBe(4);
    expect(reachable(s.repo, workerBranch(ID, 'c'), s.branch)).toBe(false);
    expect(existsSync(join(s.home, 'pwned'))).toBe(false);
  });

  it("keeps the check off the session's compiled context and uncommitted files", async () => {
    const s = await setup();
    // what agency compile writes (ignored by git in the session's worktree), and an edit of the session's
    write(s.wt, { 'CLAUDE.md': 'context\n', '.claude/settings.json': '{}\n', 'app.txt': "the session's edit\n" });
    const branch = workerBranch(ID, 'a');
    branchWith(s.repo, branch, s.base, { 'a.txt': 'a\n' });
    const tamper = [
      'echo injected >> CLAUDE.md',
      `echo '{"hooks":{"PreToolUse":[]}}' > .claude/settings.json`,
      'echo x > .claude/settings.local.json',
      'echo theirs > app.txt',
    ];
    const command = tamper.map((c, i) => `if (${c}) 2>/dev/null; then echo ${i} wrote; else echo ${i} refused; fi`);
    const out = await runMergeQueue({
      worktree: s.wt,
      branch: s.branch,
      items: [{ id: 'a', branch, order: 1 }],
      check: sandboxed([...command, 'exit 1'].join('\n'), s.env),
    });
    expect(out.failedChecks[0]!.output.split('\n').slice(1, 5)).toEqual(tamper.map((_, i) => `${i} refused`));
    expect(readFileSync(join(s.wt, 'CLAUDE.md'), 'utf8')).toBe('context\n');
    expect(readFileSync(join(s.wt, '.claude', 'settings.json'), 'utf8')).toBe('{}\n');
    expect(existsSync(join(s.wt, '.claude', 'settings.local.json'))).toBe(false);
    expect(readFileSync(join(s.wt, 'app.txt'), 'utf8')).toBe("the session's edit\n");
  });

  it('merges nothing where the sandbox cannot be made', async () => {
    const s = await setup();
    const branch = workerBranch(ID, 'a');
    branchWith(s.repo, branch, s.base, { 'a.txt': 'a\n' });
    const noBwrap = join(s.t.path, 'bin');
    mkdirSync(noBwrap);
    writeFileSync(join(noBwrap, 'README'), 'no programs\n');
    const before = snapshotTree([s.wt, join(s.repo, '.git')], (p) => p.includes('/objects'));
    await expect(
      runMergeQueue({
        worktree: s.wt,
        branch: s.branch,
        items: [{ id: 'a', branch, order: 1 }],
        check: sandboxed('true', { ...s.env, PATH: noBwrap }),
      }),
    ).rejects.toThrow('bubblewrap (bwrap) is not installed on this node');
    expect(snapshotTree([s.wt, join(s.repo, '.git')], (p) => p.includes('/objects'))).toEqual(before);
    expect(refAt(s.repo, s.branch)).toBe(s.base);
  });
});
