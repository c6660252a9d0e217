/**
 * The fleet over SSH, on 16 test nodes (network namespaces with their own sshd; needs root):
 * - `agency push` to 16 nodes against OpenSSH `scp` of the same bundle to the same nodes in parallel;
 * - connect-and-first-status for 16 nodes, cold (a fresh `agency status`);
 * - bytes on the wire per byte of PTY output for a subscribed pane.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cockpit } from '../src/cockpit/client.js';
import { subscribePty } from '../src/cockpit/pty-subscription.js';
import { buildBundle } from '../src/fleet/bundle.js';
import type { RemoteLink } from '../src/fleet/remote-link.js';
import { agencyFleet } from '../test/helpers/fleet-agency.js';
import { run, ssh, sshArgs } from '../test/helpers/fleet.js';
import { report } from './stats.js';

export async function benchFleet(n = 16): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('fleet: skipped (test nodes need root for network namespaces)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-fleet-'));
  const printer = join(dir, 'printer.sh');
  // a session that prints steadily: what a subscribed pane receives
  writeFileSync(
    printer,
    '#!/bin/sh\ni=0\nwhile [ $i -lt 200000 ]; do echo "build step $i: compiling module $i of 200000 [ok]"; i=$((i+1)); done\nexec sleep 3600\n',
  );
  chmodSync(printer, 0o755);
  chmodSync(dir, 0o755);
  const f = await agencyFleet(n, () => ({ steps: [{ text: 'ok' }] }), { prefix: 'agb', subnet: '10.205' });
  try {
    // the last node's sessions run the printer instead of claude
    const last = f.fleet.nodes[n - 1]!;
    await ssh(f.fleet, last, [`sed -i 's#^AGENCY_CLAUDE_BIN=.*#AGENCY_CLAUDE_BIN=${printer}#' ~/.agency/node.env`]);

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
  } finally {
    await f.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
