/**
 * Notifications for real: the built `agency tui` in tmux (with `focus-events on`, so tmux reports the pane's
 * focus as a terminal does) and `agency notify`, against a local node running the real Claude Code CLI with
 * the scripted API, whose `cp` commands the policy escalates to the operator. A stand-in `notify-send` on
 * PATH records its arguments; the operator's notify command records its environment.
 *
 * - the cockpit's pane not focused (no client attached): a decision → one OS notification and one run of the
 *   command, naming node, session and why; `agency notify`, running beside it, stays quiet.
 * - a client attached (the pane focused): a decision → the bell only.
 * - the cockpit quit: `agency notify` tells of the next decision, once.
 * - no local node running: `agency notify` says so, starts none, and tells of the node's decisions once one runs.
 */
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn as spawnPty, type IPty } from 'node-pty';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENCY_BIN } from '../helpers/agency.js';
import { testNode, type TestNode } from '../helpers/node.js';
import { tmux as makeTmux, tuiScript, until } from '../helpers/tmux.js';
import { until as waitFor } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const copy = (file: string) => ({ tool: 'Bash', input: { command: `cp README.md ${file}`, description: 'copy' } });

/** The arguments of each notify-send call, in the order they were made. */
function osCalls(dir: string): string[][] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort((a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]))
    .map((f) => readFileSync(join(dir, f), 'utf8').split('\0').slice(0, -1));
}

/** The environment of each notify command run: KIND|NODE|SESSION|DECISION|TITLE|TEXT|COUNT. */
function commandRuns(file: string): string[][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('|'));
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

describe('notifications', () => {
  it(
    'away from the cockpit: the OS notification and the command, once; at it: the bell only; with no cockpit: agency notify',
    { timeout: 300_000 },
    async () => {
      const n: TestNode = await testNode({
        steps: [
          copy('a.md'),
          { text: 'copied a' },
          copy('b.md'),
          { text: 'copied b' },
          copy('c.md'),
          { text: 'copied c' },
        ],
      });
      cleanups.push(() => n.cleanup());
      const dir = join(n.agencyHome, 'notify-test');
      mkdirSync(dir);
      // a stand-in notify-send: each call's arguments, NUL-separated, in a file of its own (time-ordered)
      const bin = join(dir, 'bin');
      const calls = join(dir, 'os-calls');
      mkdirSync(bin);
      writeFileSync(
        join(bin, 'notify-send'),
        `#!/bin/sh\n/bin/mkdir -p '${calls}'\nprintf '%s\\0' "$@" > '${calls}'/$(/bin/date +%s%N)-$$\n`,
      );
      chmodSync(join(bin, 'notify-send'), 0o755);
      const commandLog = join(dir, 'commands.log');
      const config = join(dir, 'config.json');
      writeFileSync(
        config,
        JSON.stringify({
          notify: {
            bell: true,
            command: `printf '%s|%s|%s|%s|%s|%s|%s\\n' "$AGENCY_NOTIFY_KIND" "$AGENCY_NOTIFY_NODE" "$AGENCY_NOTIFY_SESSION" "$AGENCY_NOTIFY_DECISION" "$AGENCY_NOTIFY_TITLE" "$AGENCY_NOTIFY_TEXT" "$AGENCY_NOTIFY_COUNT" >> '${commandLog}'`,
          },
        }),
      );
      const env = { ...n.env, AGENCY_CONFIG: config, PATH: `${bin}:${n.env.PATH ?? process.env.PATH}` };
      const agency = (args: string[]) => n.agency(args, { env });
      const openDecision = async () => {
        let id = '';
        await waitFor(
          'a decision open',
          async () => {
            const d = JSON.parse((await agency(['decisions', '--json'])).stdout).decisions as { id: string }[];
            id = d[0]?.id ?? '';
            return id !== '';
          },
          90_000,
        );
        return id;
      };
      let session = '';
      /** until the session has done what it was asked (its last words on its screen), idle */
      let seen = '';
      const idleSaying = (text: string) =>
        waitFor(
          `the session idle, saying ${text}`,
          async () => {
            const st = JSON.parse((await agency(['status', '--json'])).stdout) as { sessions: { state: string }[] };
            seen = `${st.sessions[0]?.state}\n${(await agency(['screen', session])).stdout}`;
            return st.sessions[0]?.state === 'idle' && seen.includes(text);
          },
          90_000,
          () => seen,
        );
      const presence = join(n.agencyHome, 'run', 'cockpits');
      const marks = () =>
        existsSync(presence)
          ? readdirSync(presence).map(
              (f) => JSON.parse(readFileSync(join(presence, f), 'utf8')) as { focused: boolean | null },
            )
          : [];

      // the cockpit in tmux, which reports focus to it; each bell the pane rings is written down
      const bells = join(dir, 'bells');
      const t = makeTmux(
        'notify',
        { columns: 160, rows: 48 },
        `set -g focus-events on\nset -g bell-action any\nset-hook -g alert-bell 'run-shell "echo bell >> ${bells}"'\n`,
      );
      cleanups.push(() => t.kill());
      t.start(tuiScript(env, dir, n.repo));
      await until('the fleet view', () => /local\s+0 live/.test(t.screen()), t);
      // no client is attached: tmux tells the cockpit its pane has no focus, and the cockpit marks it
      await until('the cockpit marked, not focused', () => marks().length === 1 && marks()[0]!.focused === false, t);

      // agency notify beside it: quiet about what the cockpit watches
      const watcher: ChildProcess = spawnProcess(process.execPath, [AGENCY_BIN, 'notify'], {
        env,
        cwd: n.repo,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cleanups.push(() => watcher.kill('SIGKILL'));
      let watcherOut = '';
      let watcherErr = '';
      watcher.stdout!.on('data', (d) => (watcherOut += d));
      watcher.stderr!.on('data', (d) => (watcherErr += d));
      await waitFor('agency notify watching', () => watcherErr.includes('agency notify: watching local'), 30_000);

      // away from the cockpit: a decision → one OS notification, one run of the command
      const run = await agency(['run', 'copy the readme three times', '--discipline', 'backend', '--json']);
      expect(run.code, run.stderr).toBe(0);
      session = (JSON.parse(run.stdout) as { session: string }).session;
      const d1 = await openDecision();
      await waitFor('the OS notification', () => osCalls(calls).length === 1 && lines(commandLog) === 1, 30_000);
      const title = `agency: ${session} on local needs you`;
      expect(osCalls(calls)[0]).toEqual(['--app-name=agency', '--', title, 'Bash: cp README.md a.md']);
      expect(commandRuns(commandLog)[0]).toEqual([
        'decision',
        'local',
        session,
        d1,
        title,
        'Bash: cp README.md a.md',
        '1',
      ]);
      expect((await agency(['approve', d1])).code).toBe(0);
      await idleSaying('copied a');

      // at the cockpit: a client attached to tmux gives the pane focus; a decision → the bell, nothing else
      const client: IPty = spawnPty('tmux', ['-L', t.socket, 'attach', '-t', 'main'], {
        name: 'xterm-256color',
        cols: 160,
        rows: 48,
        env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string>,
      });
      client.onData(() => undefined);
      cleanups.push(() => client.kill());
      await until('the cockpit marked focused', () => marks()[0]?.focused === true, t);
      const rung = lines(bells);
      expect((await agency(['send', session, 'now copy it again'])).code).toBe(0);
      const d2 = await openDecision();
      expect(d2).not.toBe(d1);
      await waitFor(
        'the bell',
        () => lines(bells) > rung,
        30_000,
        () => t.screen(),
      );
      expect((await agency(['approve', d2])).code).toBe(0);
      await idleSaying('copied b');

      // the cockpit quits: its mark goes, and agency notify tells of what comes next
      t.keys('q');
      await until('the tui ended', () => t.screen().includes('tui exited 0'), t);
      expect(marks()).toEqual([]);
      expect((await agency(['send', session, 'and a third time'])).code).toBe(0);
      const d3 = await openDecision();
      await waitFor(
        'agency notify telling',
        () => osCalls(calls).length === 2 && lines(commandLog) === 2,
        30_000,
        () => watcherErr,
      );
      expect(osCalls(calls)[1]).toEqual(['--app-name=agency', '--', title, 'Bash: cp README.md c.md']);
      expect(commandRuns(commandLog)[1]).toEqual([
        'decision',
        'local',
        session,
        d3,
        title,
        'Bash: cp README.md c.md',
        '1',
      ]);
      expect(watcherOut.trim().split('\n')).toEqual([`${session} on local needs you: Bash: cp README.md c.md`]);

      // once: answered, the session goes on to its end, and nothing more was told
      expect((await agency(['approve', d3])).code).toBe(0);
      await idleSaying('copied c');
      expect(osCalls(calls)).toHaveLength(2);
      expect(commandRuns(commandLog)).toHaveLength(2);
      expect(watcherErr).not.toContain('failed');
    },
  );

  it(
    'agency notify starts no node: it says the local one is not running, waits, and tells once one runs',
    { timeout: 180_000 },
    async () => {
      const n: TestNode = await testNode({ steps: [copy('a.md'), { text: 'copied a' }] });
      cleanups.push(() => n.cleanup());
      const dir = join(n.agencyHome, 'notify-test');
      mkdirSync(dir);
      const commandLog = join(dir, 'commands.log');
      const config = join(dir, 'config.json');
      writeFileSync(
        config,
        JSON.stringify({
          notify: {
            os: false,
            command: `printf '%s|%s\\n' "$AGENCY_NOTIFY_KIND" "$AGENCY_NOTIFY_DECISION" >> '${commandLog}'`,
          },
        }),
      );
      const env = { ...n.env, AGENCY_CONFIG: config };
      const watcher: ChildProcess = spawnProcess(process.execPath, [AGENCY_BIN, 'notify'], {
        env,
        cwd: n.repo,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cleanups.push(() => watcher.kill('SIGKILL'));
      let watcherErr = '';
      watcher.stderr!.on('data', (d) => (watcherErr += d));
      await waitFor(
        'agency notify saying the local node is not running',
        () =>
          /local is down \(no local node is running.*waiting for it \(agency notify starts no node\)/.test(watcherErr),
        30_000,
        () => watcherErr,
      );
      expect(n.daemonPid()).toBeNull();
      expect(existsSync(join(n.agencyHome, 'run', 'node.pid'))).toBe(false);

      // the operator starts work (which starts the node); agency notify finds the node and tells its decision
      const run = await n.agency(['run', 'copy the readme', '--discipline', 'backend', '--json'], { env });
      expect(run.code, run.stderr).toBe(0);
      let id = '';
      await waitFor(
        'a decision open',
        async () => {
          const d = JSON.parse((await n.agency(['decisions', '--json'], { env })).stdout).decisions as { id: string }[];
          id = d[0]?.id ?? '';
          return id !== '';
        },
        90_000,
      );
      await waitFor(
        'agency notify telling',
        () => lines(commandLog) === 1,
        60_000,
        () => watcherErr,
      );
      expect(readFileSync(commandLog, 'utf8').trim()).toBe(`decision|${id}`);
      expect(watcher.exitCode).toBeNull();
    },
  );
});
