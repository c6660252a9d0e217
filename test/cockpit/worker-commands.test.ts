/**
 * The cockpit's worker commands against a real node (its server and session table on a Unix socket, no
 * claude): a session's workers from the node it is on, and what a node answers about a worker it does not
 * have, or an id that is not a worker's: errors that name it, never a crash.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cockpit } from '../../src/cockpit/client.js';
import { offlineNode } from '../helpers/node-server.js';
import { sessionRecord } from '../helpers/state-records.js';

const node = offlineNode('ag-wcmd-', {
  state: (home) => ({ version: 1, sessions: [sessionRecord(home, 's-aaa111', { state: 'idle' })], decisions: [] }),
});
let cockpit: Cockpit;

beforeAll(async () => {
  await node.listen();
  process.env.AGENCY_HOME = node.dir.path;
  process.env.AGENCY_CONFIG = join(node.dir.path, 'config.json');
  cockpit = await Cockpit.open();
});
afterAll(async () => {
  cockpit?.close();
  await node.close();
});

describe('worker commands', () => {
  it("lists a session's workers from the node it is on", async () => {
    const s = await cockpit.findSession('s-aaa111');
    expect(await cockpit.workers(s)).toEqual({ session: 's-aaa111', node: 'local', workers: [] });
  });

  it('a worker the node does not have, or an id that is not a worker id, is an error naming it', async () => {
    await expect(cockpit.workerOutput('local', 'w-0bad')).rejects.toThrow(/w-0bad/);
    await expect(cockpit.workerOutput('local', 'nope')).rejects.toMatchObject({
      code: 'bad-request',
      message: expect.stringContaining('not a worker id'),
    });
    await expect(cockpit.stopWorker('local', 'x; rm -rf /')).rejects.toMatchObject({ code: 'bad-request' });
    await expect(cockpit.stopRun('local', 'w-1')).rejects.toMatchObject({
      code: 'bad-request',
      message: expect.stringContaining('not a run id'),
    });
    await expect(cockpit.stopWorker('studio-9', 'w-1')).rejects.toThrow('unknown node "studio-9"');
  });
});
