/**
 * Landing at scale, through the built CLI against a real node server and session table (the bench process
 * serves it; each command is a child process, as an operator runs it):
 * - `agency diff --stat` of a session whose branch changes 1,000 files, against plain `git diff --stat` of
 *   the same two commits (and the node's own part, the diff op over its socket);
 * - `agency status --json` on a node with 200 sessions, against the same on a node with none.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { Connection } from '../src/protocol/connection.js';
import { AGENCY_BIN } from '../test/helpers/agency.js';
import { commit, git, userRepo } from '../test/helpers/git-repo.js';
import { offlineNode, type OfflineNode } from '../test/helpers/node-server.js';
import { sessionRecord } from '../test/helpers/state-records.js';
import { tempDir } from '../test/helpers/tmp.js';
import { percentile, report } from './stats.js';

const ROUNDS = 9;

function timed(program: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn(program, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) =>
      code === 0 ? resolve(performance.now() - t) : reject(new Error(`${args.join(' ')}: ${code} ${stderr}`)),
    );
  });
}

/** Medians of a and b, run alternately so that a busy moment of the machine does not fall on one alone. */
async function medians(a: () => Promise<number>, b: () => Promise<number>): Promise<[number, number]> {
  await a();
  await b();
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return [percentile(as, 50), percentile(bs, 50)];
}

const cliEnv = (node: OfflineNode, dir: string): NodeJS.ProcessEnv => ({
  ...process.env,
  AGENCY_HOME: node.dir.path,
  AGENCY_CONFIG: join(dir, 'config.json'),
});

async function benchDiff(dir: string): Promise<void> {
  const id = 's-d1ff00';
  const repo = userRepo(join(dir, 'repo'));
  const base = git(repo, 'rev-parse', 'HEAD').trim();
  const node = offlineNode('agency-bench-diff-', {
    state: (home) => {
      const worktree = join(home, 'worktrees', 'repo-00000000', id);
      mkdirSync(join(worktree, '..'), { recursive: true });
      git(repo, 'worktree', 'add', '-q', '-b', `agency/${id}`, worktree, base);
      return {
        version: 1,
        sessions: [sessionRecord(home, id, { repo, base: { branch: 'main', commit: base } })],
        decisions: [],
      };
    },
  });
  try {
    const wt = join(node.paths.worktrees, 'repo-00000000', id);
    for (let i = 0; i < 1000; i++) {
      const d = join(wt, 'src', `m${Math.floor(i / 50)}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, `f${i}.ts`), `export const v${i} = ${i};\n`.repeat(20));
    }
    const tip = commit(wt, '1,000 files');
    await node.listen();
    const env = cliEnv(node, dir);
    const [agency, plain] = await medians(
      () => timed(process.execPath, [AGENCY_BIN, 'diff', id, '--stat'], dir, env),
      () => timed('git', ['diff', '--stat', base, tip], repo, process.env),
    );
    report('agency diff --stat, 1,000 files', agency, 'ms', plain, 'git diff --stat');
    const conn = new Connection(connect(node.paths.socket), { role: 'cockpit', agent: 'bench' });
    await conn.ready;
    const ops: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      const d = await conn.request('diff', { session: id, stat: true });
      ops.push(performance.now() - t);
      if (d.files.length !== 1000) throw new Error(`the diff has ${d.files.length} files`);
    }
    conn.close();
    report('  of which the node, diff op (stat)', percentile(ops, 50), 'ms', plain, 'git diff --stat');
  } finally {
    await node.close();
  }
}

async function benchStatus(dir: string): Promise<void> {
  const full = offlineNode('agency-bench-st-', {
    state: (home) => ({
      version: 1,
      sessions: Array.from({ length: 200 }, (_, i) =>
        sessionRecord(home, `s-${(0x100000 + i).toString(16)}`, {
          state: i % 4 === 0 ? 'idle' : 'exited',
          landing: {
            ahead: 2,
            behind: 0,
            filesChanged: 3,
            merged: false,
            dirty: false,
            measuredAt: new Date().toISOString(),
          },
        }),
      ),
      decisions: [],
    }),
  });
  const empty = offlineNode('agency-bench-st0-');
  try {
    await full.listen();
    await empty.listen();
    const [many, none] = await medians(
      () => timed(process.execPath, [AGENCY_BIN, 'status', '--json'], dir, cliEnv(full, dir)),
      () => timed(process.execPath, [AGENCY_BIN, 'status', '--json'], dir, cliEnv(empty, dir)),
    );
    report('agency status --json, 200 sessions', many, 'ms', none, 'the same, 0 sessions');
  } finally {
    await full.close();
    await empty.close();
  }
}

export async function benchLanding(): Promise<void> {
  const dir = tempDir('agency-bench-landing-');
  try {
    await benchDiff(dir.path);
    await benchStatus(dir.path);
  } finally {
    dir.remove();
  }
}
