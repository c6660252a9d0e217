/**
 * A link keeps the node's info it was last told: a node given an organisation while the link is up shows
 * it from then on, also after the link drops, not the info of its hello.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readOrgFiles } from '../../src/cli/org-files.js';
import { Cockpit, type CockpitEvent } from '../../src/cockpit/client.js';
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

  it("reaches a cockpit's watcher as the node's link, with the organisation, and not as an event of its own", async () => {
    const node = offlineNode('agency-linkwatch-');
    cleanup.push(() => node.close());
    await node.listen();
    const saved = { home: process.env.AGENCY_HOME, config: process.env.AGENCY_CONFIG };
    process.env.AGENCY_HOME = node.dir.path;
    process.env.AGENCY_CONFIG = join(node.dir.path, 'config.json');
    cleanup.push(() => {
      for (const [k, v] of [
        ['AGENCY_HOME', saved.home],
        ['AGENCY_CONFIG', saved.config],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    });
    const cockpit = await Cockpit.open();
    cleanup.push(() => cockpit.close());
    const seen: CockpitEvent[] = [];
    cockpit.watch((e) => seen.push(e));
    const told = (org: string | undefined) =>
      seen.some((e) => e.kind === 'node' && e.node.state === 'up' && e.node.info?.org?.id === org);
    await until('the watcher hears of the node', () => told(undefined));
    await cockpit.requestOn('local', 'org-apply', { files: readOrgFiles(ORG), vps: ['risk'] });
    await until('the watcher hears of its organisation', () => told('fund-ops'));
    expect(seen.map((e) => e.kind)).not.toContain('node-info');
  });
});
