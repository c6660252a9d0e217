/**
 * A link keeps the node's info it was last told: a node given an organisation while the link is up shows
 * it from then on, also after the link drops, not the info of its hello.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readOrgFiles } from '../../src/cli/org-files.js';
import { LocalLink } from '../../src/fleet/local-link.js';
import { offlineNode } from '../helpers/node-server.js';
import { until } from '../helpers/until.js';

const ORG = fileURLToPath(new URL('../fixtures/orgs/fund-ops', import.meta.url));
let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

describe('a link told of new node info', () => {
  it('shows the organisation the node was given, after a drop too', async () => {
    const node = offlineNode('agency-linkinfo-');
    cleanup.push(() => node.close());
    await node.listen();
    const home = process.env.AGENCY_HOME;
    process.env.AGENCY_HOME = node.dir.path;
    cleanup.push(() => (home === undefined ? delete process.env.AGENCY_HOME : (process.env.AGENCY_HOME = home)));
    const link = new LocalLink('local', false);
    cleanup.push(() => link.close());
    link.start({ reconnect: false });
    expect((await link.settled()).state).toBe('up');
    expect(link.status().info?.org).toBeUndefined();
    const conn = link.connection()!;
    await conn.request('watch', {});
    await conn.request('org-apply', { files: readOrgFiles(ORG), vps: ['risk'] });
    await until('the link shows the organisation', () => link.status().info?.org?.id === 'fund-ops');
    conn.close();
    await until('the link is down', () => link.status().state === 'down');
    expect(link.status().info?.org?.vps.map((v) => v.id)).toEqual(['risk']);
  });
});
