/**
 * A slow cockpit never makes the node's memory grow without bound: a subscriber that stops reading while
 * its session prints 100 MB costs the node a bounded backlog, not a copy of the flood.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { Connection } from '../../src/protocol/connection.js';
import { testNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('a subscriber that stops reading', () => {
  it('costs the node a bounded backlog while its session floods', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agency-flood-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const printer = join(dir, 'flood.sh');
    writeFileSync(printer, '#!/bin/sh\nhead -c 100000000 /dev/zero | tr "\\0" "x" | fold -w 120\nexec sleep 3600\n');
    chmodSync(printer, 0o755);
    const n = await testNode({ steps: [] }, { env: { AGENCY_CLAUDE_BIN: printer, AGENCY_PREPARE_CLAUDE: '0' } });
    defer(() => n.cleanup());
    const run = await n.agency(['run', 'flood', '--discipline', 'backend', '--json']);
    const { session } = JSON.parse(run.stdout);
    const daemon = n.daemonPid()!;
    const before = rssMb(daemon);

    const socket = connect(join(n.agencyHome, 'run', 'node.sock'));
    defer(() => socket.destroy());
    const conn = new Connection(socket, { role: 'cockpit', agent: 'slow' });
    await conn.ready;
    await conn.request('pty-subscribe', { session, fromSeq: 0 });
    socket.pause(); // from now on this cockpit reads nothing

    let peak = before;
    await until(
      'the session to have printed 100 MB',
      async () => {
        peak = Math.max(peak, rssMb(daemon));
        return JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0].outputSeq >= 100_000_000;
      },
      120_000,
    );
    // the flood went through the node (replay buffer, screen, log), but not into memory for the slow reader
    expect(peak - before).toBeLessThan(80);
  });
});
