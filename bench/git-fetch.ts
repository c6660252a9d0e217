/**
 * `agency fetch` of a session's branch from a remote node (a test node in a network namespace with its own
 * sshd; needs root) against `git fetch` over OpenSSH of the same branch from the same node, each into a
 * fresh copy of the same clone, so both transfer the same objects. Whole commands, start to exit: agency's
 * includes starting the CLI, its SSH connection to the node and finding the session. A small branch (one
 * commit of a few bytes) and a large one (one commit of incompressible files).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agencyFleet } from '../test/helpers/fleet-agency.js';
import { run, ssh, sshArgs } from '../test/helpers/fleet.js';
import { makeNodeShare, NODE_SHARE_VAR, removeNodeShare } from '../test/helpers/node-share.js';
import { percentile, report } from './stats.js';

const LARGE_MB = 40;

export async function benchGitFetch(rounds = { small: 9, large: 3 }): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('fetch: skipped (test nodes need root for network namespaces)');
    return;
  }
  const share = makeNodeShare();
  process.env[NODE_SHARE_VAR] = share.dir;
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-fetch-'));
  const f = await agencyFleet(1, () => ({ steps: [{ text: 'ok' }] }), { prefix: 'agg', subnet: '10.222' });
  try {
    const node = f.node('n1');
    const push = await f.agency(['push', '--node', 'n1'], { timeoutMs: 300_000 });
    if (push.code !== 0) throw new Error(`push failed: ${push.stdout}${push.stderr}`);
    const start = async () => {
      const r = await f.agency([
        'run',
        'ok',
        '--node',
        'n1',
        '--repo',
        `${node.home}/repo`,
        '--discipline',
        'backend',
        '--json',
      ]);
      if (r.code !== 0) throw new Error(`run failed: ${r.stdout}${r.stderr}`);
      return JSON.parse(r.stdout) as { session: string; worktree: string; branch: string };
    };
    const small = await start();
    const large = await start();
    // the sessions' work, committed in their worktrees on the node
    const commit = (wt: string, make: string) =>
      ssh(f.fleet, node, [
        `cd ${wt} && ${make} && git add -A && git -c user.name=b -c user.email=b@e.invalid commit -qm work`,
      ]);
    await commit(small.worktree, 'echo small > small.txt');
    const made = await commit(
      large.worktree,
      `for i in 1 2 3 4; do head -c ${(LARGE_MB / 4) << 20} /dev/urandom > big-$i.bin; done`,
    );
    if (made.code !== 0) throw new Error(`the large commit failed: ${made.stderr}`);

    // the operator's clone of the node's repository, made with OpenSSH: both fetches start from copies of it
    const opts = sshArgs(f.fleet, node).slice(0, -1);
    const gitSsh = `ssh ${opts.map((a) => `'${a}'`).join(' ')}`;
    const url = `ssh://${node.user}@${node.host}${node.home}/repo`;
    const pristine = join(dir, 'pristine');
    execFileSync('git', ['clone', '-q', '--single-branch', '--branch', 'main', url, pristine], {
      env: { ...process.env, GIT_SSH_COMMAND: gitSsh },
    });
    let copies = 0;
    const copy = () => {
      const c = join(dir, `copy-${copies++}`);
      execFileSync('git', ['clone', '-q', '--local', pristine, c]);
      return c;
    };
    const timed = async (f: () => Promise<{ code: number | null; stderr: string }>) => {
      const t = performance.now();
      const r = await f();
      const ms = performance.now() - t;
      if (r.code !== 0) throw new Error(r.stderr);
      return ms;
    };
    const agencyFetch = (s: { session: string }) => async () => {
      const c = copy();
      return timed(() => f.agency(['fetch', `n1/${s.session}`, '--repo', c], { timeoutMs: 300_000 }));
    };
    const gitFetch = (s: { branch: string }) => async () => {
      const c = copy();
      return timed(() =>
        run(
          'env',
          [
            `GIT_SSH_COMMAND=${gitSsh}`,
            'git',
            '-C',
            c,
            'fetch',
            '--quiet',
            '--no-tags',
            url,
            `+refs/heads/${s.branch}:refs/agency/fetched/${s.branch}`,
          ],
          { timeoutMs: 300_000 },
        ),
      );
    };
    let baseline: number[] = [];
    for (const [name, s, n] of [
      ['small branch (one commit, a few bytes)', small, rounds.small],
      [`large branch (one commit, ${LARGE_MB} MB)`, large, rounds.large],
    ] as const) {
      const ours: number[] = [];
      const theirs: number[] = [];
      // warm both (the node's page cache, the pack it makes) before measuring, then alternate
      await agencyFetch(s)();
      await gitFetch(s)();
      for (let i = 0; i < n; i++) {
        ours.push(await agencyFetch(s)());
        theirs.push(await gitFetch(s)());
      }
      if (s === small) baseline = theirs;
      report(`agency fetch, ${name}`, percentile(ours, 50), 'ms', percentile(theirs, 50), 'git fetch over OpenSSH');
    }
    // what of agency's figure is the CLI starting at all (Node.js and agency's modules), before any work
    const starts: number[] = [];
    for (let i = 0; i < rounds.small; i++) starts.push(await timed(() => f.agency(['--version'])));
    report(
      'agency --version (the CLI starting)',
      percentile(starts, 50),
      'ms',
      percentile(baseline, 50),
      'git fetch over OpenSSH, small',
    );
  } finally {
    await f.cleanup();
    rmSync(dir, { recursive: true, force: true });
    removeNodeShare(share);
  }
}
