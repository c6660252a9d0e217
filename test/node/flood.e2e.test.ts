/**
 * A slow cockpit never makes the node's memory grow without bound: a subscriber that stops reading while
 * its session prints 100 MB is sent a bounded backlog, and when it reads again it is told to repaint from
 * the screen rather than sent a copy of the flood. (What the flood costs the node in memory is measured by
 * `npm run bench -- flood`.)
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deferAfterEach } from '../helpers/defer.js';
import { Connection } from '../../src/protocol/connection.js';
import type { ScreenView } from '../../src/protocol/messages.js';
import { testNode } from '../helpers/node.js';
import { until } from '../helpers/until.js';

const defer = deferAfterEach();
const FLOOD = 100_000_000;

describe('a subscriber that stops reading', () => {
  it('is sent a bounded backlog while its session floods, then told to repaint', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agency-flood-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const printer = join(dir, 'flood.sh');
    writeFileSync(printer, `#!/bin/sh\nhead -c ${FLOOD} /dev/zero | tr "\\0" "x" | fold -w 120\nexec sleep 3600\n`);
    chmodSync(printer, 0o755);
    const n = await testNode({ steps: [] }, { env: { AGENCY_CLAUDE_BIN: printer, AGENCY_PREPARE_CLAUDE: '0' } });
    defer(() => n.cleanup());
    const run = await n.agency(['run', 'flood', '--discipline', 'backend', '--json']);
    const { session } = JSON.parse(run.stdout);

    const socket = connect(join(n.agencyHome, 'run', 'node.sock'));
    defer(() => socket.destroy());
    const conn = new Connection(socket, { role: 'cockpit', agent: 'slow' });
    await conn.ready;
    let next = -1; // the sequence number the next chunk must carry
    let received = 0;
    const gaps: string[] = [];
    let reset: ScreenView | null = null;
    conn.onPty((c) => {
      if (c.session !== session || reset) return;
      if (next >= 0 && c.seq !== next) gaps.push(`expected ${next}, got ${c.seq}`);
      next = c.seq + c.data.length;
      received += c.data.length;
    });
    conn.onEvent((e) => {
      if (e.kind === 'pty-reset' && e.view.session === session) reset ??= e.view;
    });
    const sub = (await conn.request('pty-subscribe', { session, fromSeq: 0 })) as { fromSeq: number };
    if (next < 0) next = sub.fromSeq;
    socket.pause(); // from now on this cockpit reads nothing

    await until(
      'the session to have printed 100 MB',
      async () => JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0].outputSeq >= FLOOD,
      120_000,
    );
    const printed = JSON.parse((await n.agency(['status', '--json'])).stdout).sessions[0].outputSeq as number;
    socket.resume(); // it reads again: what the node kept for it arrives, then what to do about the rest
    await until('a repaint, or every byte of the flood', () => reset !== null || received >= printed, 60_000);

    // the node stopped queueing at its backlog bound (4 MB) plus what the socket buffers hold; a node that
    // queued for the slow reader would have sent all 100 MB
    expect(received).toBeLessThan(10_000_000);
    expect(gaps).toEqual([]);
    // the rest waited in the replay buffer, past which the subscriber repaints from the screen, at the end
    expect(reset).not.toBeNull();
    expect(reset!.outputSeq).toBeGreaterThanOrEqual(FLOOD);
  });
});
