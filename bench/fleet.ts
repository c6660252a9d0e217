/**
 * The fleet over SSH, on 16 test nodes (network namespaces with their own sshd; needs root):
 * - 16 test nodes up and down (test/fleet/fleet.sh) against one node up and down;
 * - `agency push` to 16 nodes against OpenSSH `scp` of the same bundle to the same nodes in parallel;
 * - connect-and-first-status for 16 nodes, cold (a fresh `agency status`);
 * - bytes on the wire per byte of PTY output for a subscribed pane;
 * - in `agency tui` (tmux, 160×48) over the 16 nodes, key to screen while the open pane's session floods,
 *   against the same keys in the fleet view with no pane open.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cockpit } from '../src/cockpit/client.js';
import { subscribePty } from '../src/cockpit/pty-subscription.js';
import { buildBundle } from '../src/fleet/bundle.js';
import type { RemoteLink } from '../src/fleet/remote-link.js';
import { agencyFleet, type AgencyFleet } from '../test/helpers/fleet-agency.js';
import { fleetUp, run, ssh, sshArgs } from '../test/helpers/fleet.js';
import { makeNodeShare, NODE_SHARE_VAR, removeNodeShare } from '../test/helpers/node-share.js';
import { openPane, tile, tmux, tuiScript, until } from '../test/helpers/tmux.js';
import { percentile, report } from './stats.js';
import { keyToScreen } from './tui-latency.js';

/** ms to bring n test nodes up (each answering ssh) and take them down again. */
async function upAndDown(n: number): Promise<number> {
  const t = performance.now();
  const fleet = await fleetUp(n, { prefix: 'agd', subnet: '10.207' });
  try {
    await Promise.all(fleet.nodes.map((node) => ssh(fleet, node, ['true'])));
  } finally {
    await fleet.down();
  }
  return performance.now() - t;
}

/**
 * Key to screen (ms, medians) in the TUI over the fleet: in the fleet view, then in the pane of a session on
 * `name`, whose sessions flood their terminal (set up before the push).
 */
async function keysOverFleet(f: AgencyFleet, dir: string, name: string): Promise<{ fleet: number; flooding: number }> {
  const node = f.node(name);
  const t = tmux(`bench-fleet-${process.pid}`);
  try {
    t.start(tuiScript(f.env, dir, dir));
    const all = f.fleet.nodes.length;
    await until('every node up', () => t.screen().includes(`nodes ${all}/${all} up`), t, 90_000);
    const inFleet = percentile(await keyToScreen(t, 5), 50);
    const started = JSON.parse(
      (
        await f.agency([
          'run',
          'flood',
          '--node',
          name,
          '--repo',
          `${node.home}/repo`,
          '--discipline',
          'backend',
          '--json',
        ])
      ).stdout,
    );
    await until(`${name} with its session`, () => tile(name, '1 live').test(t.screen()), t, 60_000);
    await openPane(t, name, started.session, 'flooding the terminal');
    const flooding = percentile(await keyToScreen(t, 5), 50);
    return { fleet: inFleet, flooding };
  } finally {
    t.kill();
  }
}

export async function benchFleet(n = 16): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('fleet: skipped (test nodes need root for network namespaces)');
    return;
  }
  const one = await upAndDown(1);
  report(`${n} test nodes up and down`, (await upAndDown(n)) / 1000, 's', one / 1000, 'one node up and down');
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-fleet-'));
  const printer = join(dir, 'printer.sh');
  // a session that prints steadily: what a subscribed pane receives
  writeFileSync(
    printer,
    '#!/bin/sh\ni=0\nwhile [ $i -lt 200000 ]; do echo "build step $i: compiling module $i of 200000 [ok]"; i=$((i+1)); done\nexec sleep 3600\n',
  );
  chmodSync(printer, 0o755);
  const flood = join(dir, 'flood.sh');
  writeFileSync(
    flood,
    '#!/bin/sh\nexec yes "flooding the terminal with a line that never ends and never stops coming"\n',
  );
  chmodSync(flood, 0o755);
  chmodSync(dir, 0o755);
  // what the nodes' users run, where they can read it (as the end-to-end tier's setup does)
  const share = makeNodeShare();
  process.env[NODE_SHARE_VAR] = share.dir;
  const f = await agencyFleet(n, () => ({ steps: [{ text: 'ok' }] }), { prefix: 'agb', subnet: '10.205' });
  try {
    // the last node's sessions run the printer instead of claude; the sessions of the one before it flood
    const last = f.fleet.nodes[n - 1]!;
    await ssh(f.fleet, last, [`sed -i 's#^AGENCY_CLAUDE_BIN=.*#AGENCY_CLAUDE_BIN=${printer}#' ~/.agency/node.env`]);
    const flooder = f.fleet.nodes[n - 2]!;
    await ssh(f.fleet, flooder, [`sed -i 's#^AGENCY_CLAUDE_BIN=.*#AGENCY_CLAUDE_BIN=${flood}#' ~/.agency/node.env`]);

    const bundle = await buildBundle('linux-x64', dir);
    let t = performance.now();
    await Promise.all(
      f.fleet.nodes.map((node) => {
        const args = sshArgs(f.fleet, node);
        const dest = args.pop()!;
        return run('scp', ['-q', ...args.filter((a) => a !== '-T'), bundle.file, `${dest}:bench-bundle.tgz`], {
          timeoutMs: 120_000,
        });
      }),
    );
    const scpMs = performance.now() - t;
    t = performance.now();
    const push = await f.agency(['push', '--json'], { timeoutMs: 300_000 });
    const pushMs = performance.now() - t;
    if (push.code !== 0) throw new Error(`push failed: ${push.stdout}${push.stderr}`);
    report(`push to ${n} nodes (install and start)`, pushMs / 1000, 's', scpMs / 1000, 'scp of the bundle');
    t = performance.now();
    await f.agency(['push', '--json'], { timeoutMs: 300_000 });
    report(
      `push to ${n} nodes again (nothing to do)`,
      (performance.now() - t) / 1000,
      's',
      scpMs / 1000,
      'scp of the bundle',
    );

    t = performance.now();
    const status = await f.agency(['status', '--json'], { timeoutMs: 120_000 });
    const statusMs = performance.now() - t;
    const up = JSON.parse(status.stdout).nodes.filter((x: { state: string }) => x.state === 'up').length;
    report(
      `connect and first status, ${up} of ${n} nodes, cold`,
      statusMs / 1000,
      's',
      scpMs / 1000,
      'scp of the bundle',
    );

    const started = JSON.parse(
      (
        await f.agency([
          'run',
          'print',
          '--node',
          last.name,
          '--repo',
          `${last.home}/repo`,
          '--discipline',
          'backend',
          '--json',
        ])
      ).stdout,
    );
    process.env.AGENCY_CONFIG = f.configFile;
    const cockpit = await Cockpit.open({ live: true, nodes: [last.name] });
    try {
      const link = cockpit.link(last.name) as RemoteLink;
      const sock = (link.sshConnection()!.client as unknown as { _sock: { bytesRead: number } })._sock;
      const before = sock.bytesRead;
      let received = 0;
      await new Promise<void>((resolve) => {
        const stop = subscribePty(link, started.session, 0, {
          onData(_seq, data) {
            received += data.length;
            if (received >= 8_000_000) {
              stop();
              resolve();
            }
          },
          onReset: () => undefined,
        });
      });
      const wire = sock.bytesRead - before;
      report('bytes on the wire per byte of PTY output', wire / received, 'B/B', 1, 'the PTY bytes themselves');
    } finally {
      cockpit.close();
    }
    const keys = await keysOverFleet(f, dir, flooder.name);
    report(
      `key to screen over ${n} nodes, pane flooding`,
      keys.flooding,
      'ms',
      keys.fleet,
      'the fleet view, no pane open',
    );
  } finally {
    await f.cleanup();
    rmSync(dir, { recursive: true, force: true });
    removeNodeShare(share);
  }
}
