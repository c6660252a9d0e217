/** Pause, resume, stop; and hostile output from a session never reaching the user's terminal. */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { Connection } from '../../src/protocol/connection.js';
import { processTree } from '../../src/session/process-tree.js';
import { AGENCY_BIN } from '../helpers/agency.js';
import { testNode, type TestNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();
async function node(...args: Parameters<typeof testNode>): Promise<TestNode> {
  const n = await testNode(...args);
  defer(() => n.cleanup());
  return n;
}

const procState = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return 'gone';
  }
};
const command = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return 'gone';
  }
};
const cpuTicks = (pids: number[]) =>
  pids.reduce((sum, pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(0).split(') ')[1]!.split(' ');
      return sum + Number(f[11]) + Number(f[12]);
    } catch {
      return sum;
    }
  }, 0);
const size = (p: string) => {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
};

describe('session control', () => {
  it(
    'pause stops all output and CPU of the whole process tree; resume continues it; stop ends it',
    { timeout: 120_000 },
    async () => {
      const n = await node({
        steps: [
          {
            tool: 'Bash',
            input: {
              command: "sh -c 'i=0; while [ $i -lt 2000 ]; do echo tick $i >> ticks.log; i=$((i+1)); sleep 0.02; done'",
              description: 'tick',
            },
          },
          { text: 'ticked' },
        ],
      });
      const run = await n.agency(['run', 'tick', '--discipline', 'backend', '--json']);
      const { session, worktree } = JSON.parse(run.stdout);
      const ticks = join(worktree, 'ticks.log');
      await until('the ticking to start', () => size(ticks) > 100, 60_000);

      const paused = await n.agency(['pause', session, '--json']);
      expect(JSON.parse(paused.stdout).state).toBe('paused');
      const status = JSON.parse((await n.agency(['status', '--json'])).stdout);
      const daemonChildren = processTree(n.daemonPid()!).slice(1);
      expect(daemonChildren.length).toBeGreaterThan(2); // claude, its shell, sh, sleep…
      for (const pid of daemonChildren) expect(['T', 'gone']).toContain(procState(pid));
      // over a window, nothing in the tree runs and nothing is printed or written
      const seq = status.sessions[0].outputSeq;
      const ticked = size(ticks);
      const cpu = cpuTicks(daemonChildren);
      await new Promise((r) => setTimeout(r, 1500));
      expect(size(ticks)).toBe(ticked);
      expect(cpuTicks(daemonChildren)).toBe(cpu);
      expect(JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0].outputSeq).toBe(seq);

      const resumed = await n.agency(['resume', session, '--json']);
      expect(JSON.parse(resumed.stdout).state).not.toBe('paused');
      await until('the ticking to go on', () => size(ticks) > ticked, 10_000);
      for (const pid of processTree(n.daemonPid()!).slice(1)) expect(procState(pid)).not.toBe('T');

      const stopped = await n.agency(['stop', session, '--json']);
      expect(JSON.parse(stopped.stdout)).toMatchObject({ state: 'exited', reason: 'stopped by the operator' });
      // what may be left under the daemon is its own git, measuring the session's branch as the session ends;
      // the rest goes (a zombie is gone, only not yet reaped by a node busy with the stop)
      const left = () =>
        processTree(n.daemonPid()!)
          .slice(1)
          .filter((pid) => !['gone', 'Z'].includes(procState(pid)!) && command(pid) !== 'git');
      await until(
        'the session’s processes to end',
        () => left().length === 0,
        10_000,
        () =>
          left()
            .map((pid) => `${pid} ${command(pid)} (${procState(pid)})`)
            .join(', '),
      );
      const again = await n.agency(['pause', session]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/is not running \(it is exited\)/);
    },
  );

  it(
    "taking over gives a session the operator's terminal size; a nonsense size is refused",
    { timeout: 120_000 },
    async () => {
      const n = await node({ steps: [{ text: 'ready' }] });
      const { session } = JSON.parse((await n.agency(['run', 'wait', '--discipline', 'backend', '--json'])).stdout);
      expect((await n.agency(['wait', session, '--timeout', '60'])).code).toBe(0);
      const socket = connect(join(n.agencyHome, 'run', 'node.sock'));
      defer(() => socket.destroy());
      const conn = new Connection(socket, { role: 'cockpit', agent: 'test' });
      await conn.ready;
      await conn.request('resize', { session, cols: 100, rows: 30 });
      const view = JSON.parse((await n.agency(['screen', session, '--json'])).stdout);
      expect({ cols: view.cols, rows: view.rows }).toEqual({ cols: 100, rows: 30 });
      await expect(conn.request('resize', { session, cols: 5, rows: 100000 })).rejects.toThrow(
        /is not one agency can give a session/,
      );
    },
  );

  it(
    'hostile output in a session never reaches the terminal of the user running status, watch or screen',
    { timeout: 120_000 },
    async () => {
      const hostile =
        'done \u001b]52;c;ZXZpbA==\u0007 \u001b[21t \u001bP$qm\u001b\\ \u009b31m \u009d0;pwned\u009c \u001b]0;title\u0007 \u0007 end';
      const n = await node({
        steps: [
          {
            tool: 'Bash',
            input: {
              command: `echo -e '\\033]52;c;ZXZpbA==\\007\\033[21t\\033P$qm\\033\\\\'`,
              description: 'print escapes',
            },
          },
          { text: hostile },
        ],
      });
      const run = await n.agency([
        'run',
        `hostile \u001b]0;task\u0007 title \u009b2J`,
        '--discipline',
        'backend',
        '--json',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const { session } = JSON.parse(run.stdout);
      const done = await n.agency(['wait', session, '--timeout', '60']);
      expect(done.code, done.stdout + done.stderr).toBe(0);

      const watched = await new Promise<string>((resolve) => {
        const p = spawn(process.execPath, [AGENCY_BIN, 'watch'], { env: n.env, stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        p.stdout.on('data', (d) => {
          out += d;
          if (out.includes(session)) p.kill();
        });
        p.on('exit', () => resolve(out));
      });
      const outputs = {
        status: (await n.agency(['status'])).stdout,
        statusJson: (await n.agency(['status', '--json'])).stdout,
        screen: (await n.agency(['screen', session])).stdout,
        screenJson: (await n.agency(['screen', session, '--json'])).stdout,
        watch: watched,
      };
      const state = JSON.parse(outputs.statusJson).sessions[0];
      expect(state.activity).toContain('done');
      // the hostile bytes really are in the node's state (the task as given); only the views make them safe
      expect(state.task).toMatch(/\u001b\]0;task\u0007 title \u009b2J/);
      expect(outputs.status).toContain('hostile');
      for (const [name, text] of Object.entries(outputs)) {
        // no escape, no BEL, no C1 control, no other C0 control than newline
        expect(text, name).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      }
    },
  );

  it(
    'a local node the operator named answers to that name, whatever its daemon calls itself',
    { timeout: 120_000 },
    async () => {
      const n = await node({ steps: [{ text: 'hello there' }] });
      expect((await n.agency(['nodes', 'add', 'me', '--local'])).code).toBe(0);
      const run = await n.agency(['run', 'say hello', '--discipline', 'backend', '--json']);
      const started = JSON.parse(run.stdout);
      expect(started.node).toBe('me');
      expect((await n.agency(['wait', started.session, '--timeout', '90'])).code).toBe(0);
      const status = JSON.parse((await n.agency(['status', '--json'])).stdout);
      expect(status.sessions.map((s: { node: string }) => s.node)).toEqual(['me']);
      for (const ref of [started.session, `me/${started.session}`]) {
        const screen = await n.agency(['screen', ref, '--json']);
        expect(screen.code, screen.stderr).toBe(0);
      }
      const wrong = await n.agency(['stop', 'nosuch', '--all']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain('give a session id or --all, not both');
      expect(JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0].state).toBe('idle');
      const stopped = await n.agency(['stop', '--all', '--json']);
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(JSON.parse(stopped.stdout).sessions).toMatchObject([{ node: 'me', id: started.session, state: 'exited' }]);
      expect((await n.agency(['stop', '--all'])).stdout).toBe('no sessions to stop\n');
    },
  );

  it('run says so when the node cannot start claude, and leaves nothing behind', { timeout: 60_000 }, async () => {
    const n = await node({ steps: [{ text: 'never asked' }] }, { env: { AGENCY_CLAUDE_BIN: '/nonexistent/claude' } });
    const r = await n.agency(['run', 'say hello', '--discipline', 'backend', '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'the node cannot start "/nonexistent/claude": it is not an executable file. Install Claude Code there',
    );
    expect(r.stderr).toContain('AGENCY_CLAUDE_BIN');
    expect(JSON.parse((await n.agency(['status', '--json'])).stdout).sessions).toEqual([]);
    expect(readdirSync(join(n.agencyHome, 'worktrees'))).toEqual([]);
  });
});
