/**
 * The real `agency tui` in tmux (160×48) against a fleet of 16 test nodes: 16 tiles; drilling into a
 * session on a node, pausing and resuming it, answering its decision, taking over its keyboard and giving
 * it back; a node cut off shows as down and comes back; and keys answer while a pane floods.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencyFleet, type AgencyFleet } from '../helpers/fleet-agency.js';
import { ssh } from '../helpers/fleet.js';
import { openPane, tile, tmux, tuiScript, until, type Tmux } from '../helpers/tmux.js';

let f: AgencyFleet;
let t: Tmux;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agency-tui-fleet-'));
  chmodSync(dir, 0o755);
  const flood = join(dir, 'flood.sh');
  writeFileSync(
    flood,
    '#!/bin/sh\nexec yes "flooding the terminal with a line that never ends and never stops coming"\n',
  );
  chmodSync(flood, 0o755);
  f = await agencyFleet(
    16,
    (n) =>
      n.name === 'n1'
        ? {
            steps: [
              { tool: 'Bash', input: { command: 'cp README.md copy.md', description: 'copy' } },
              { text: 'copied it' },
            ],
          }
        : { steps: [{ text: 'ok' }] },
    { prefix: 'agu', subnet: '10.206' },
  );
  // node 3's sessions only flood their terminal
  await ssh(f.fleet, f.node('n3'), [`sed -i 's#^AGENCY_CLAUDE_BIN=.*#AGENCY_CLAUDE_BIN=${flood}#' ~/.agency/node.env`]);
  const push = await f.agency(['push', '--json'], { timeoutMs: 300_000 });
  expect(push.code, push.stdout + push.stderr).toBe(0);
  t = tmux('fleet');
  t.start(tuiScript({ ...f.env, AGENCY_SSH_KEEPALIVE_MS: '1000', AGENCY_SSH_KEEPALIVE_COUNT: '2' }, dir, dir));
}, 400_000);
afterAll(async () => {
  t?.kill();
  await f?.cleanup();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

const status = async () =>
  JSON.parse((await f.agency(['status', '--json'])).stdout) as {
    sessions: { id: string; node: string; state: string; worktree: string }[];
    decisions: { state: string }[];
  };

describe('agency tui over a fleet of 16 nodes', () => {
  it('shows 16 tiles, every node up', { timeout: 120_000 }, async () => {
    await until(
      '16 tiles, every node up',
      () => Array.from({ length: 16 }, (_, i) => `n${i + 1}`).every((n) => tile(n, '0 live').test(t.screen())),
      t,
      90_000,
    );
    expect(t.screen()).toMatch(/nodes 16\/16 up/);
    expect(t.screen().replace(/\n$/, '').split('\n').length).toBeLessThanOrEqual(48);
  });

  it(
    'drills into a session, pauses and resumes it, answers its decision, takes over its keyboard and gives it back',
    { timeout: 240_000 },
    async () => {
      const run = JSON.parse(
        (
          await f.agency([
            'run',
            'copy the readme',
            '--node',
            'n1',
            '--repo',
            `${f.node('n1').home}/repo`,
            '--discipline',
            'backend',
            '--json',
          ])
        ).stdout,
      );
      await until('the decision in the header', () => t.screen().includes('⚑ 1 decision waiting'), t, 90_000);
      // the first tile is n1, in focus: Enter its sessions, Enter the session's pane
      t.keys('Enter');
      await until('the node view', () => t.screen().includes('fleet › n1') && t.screen().includes(run.session), t);
      t.keys('Enter');
      await until('the session pane', () => t.screen().includes(`fleet › n1 › ${run.session}`), t);
      expect(t.screen()).toContain('waiting for you: Bash cp README.md copy.md');

      t.keys('p');
      await until(
        'the session paused',
        async () => (await status()).sessions.find((s) => s.id === run.session)?.state === 'paused',
        t,
      );
      t.keys('r');
      await until(
        'the session resumed',
        async () => (await status()).sessions.find((s) => s.id === run.session)?.state !== 'paused',
        t,
      );

      t.keys('a');
      await until('the decision answered', async () => (await status()).decisions.every((d) => d.state !== 'open'), t);
      await until('the session saying it copied', () => t.screen().includes('copied it'), t, 90_000);
      const copied = await ssh(f.fleet, f.node('n1'), [`test -f ${run.worktree}/copy.md && echo yes`]);
      expect(copied.stdout.trim()).toBe('yes');

      // take over: keys go to the session's own input box; Ctrl-] gives the keyboard back
      t.keys('t');
      await until('the takeover shown', () => t.screen().includes(' TAKEOVER of '), t);
      t.literal('typed by the operator');
      await until(
        'the keys reaching the session',
        async () => (await f.agency(['screen', `n1/${run.session}`])).stdout.includes('typed by the operator'),
        t,
      );
      t.keys('C-]');
      await until('the keyboard released', () => t.screen().includes('keyboard released'), t);
      t.keys('Escape');
      await until('the node view again', () => t.screen().split('\n')[1]?.trim() === 'fleet › n1', t);
      t.keys('Escape');
      await until('the fleet view again', () => tile('n1', '1 live').test(t.screen()), t);
    },
  );

  it('a node cut off shows as down and comes back', { timeout: 180_000 }, async () => {
    await f.fleet.cut(2);
    await until('n2 down', () => tile('n2', 'down').test(t.screen()), t, 30_000);
    await f.fleet.restore(2);
    await until('n2 up again', () => tile('n2', '0 live').test(t.screen()), t, 90_000);
  });

  it('keys answer while a pane floods', { timeout: 180_000 }, async () => {
    const run = JSON.parse(
      (
        await f.agency([
          'run',
          'flood',
          '--node',
          'n3',
          '--repo',
          `${f.node('n3').home}/repo`,
          '--discipline',
          'backend',
          '--json',
        ])
      ).stdout,
    );
    // filter the fleet down to n3 and open its flooding session's pane
    await until('n3 with its session', () => tile('n3', '1 live').test(t.screen()), t, 60_000);
    await openPane(t, 'n3', run.session, 'flooding the terminal');
    // keys are not starved by the flood: the help opens and closes, again and again (how soon is measured
    // by `npm run bench -- fleet`)
    for (let i = 0; i < 3; i++) {
      t.keys('?');
      await until('the help', () => t.screen().includes('take over the session'), t);
      t.keys('?');
      await until('the help gone', () => !t.screen().includes('take over the session'), t);
    }
    t.keys('Escape');
    t.keys('Escape');
  });
});
