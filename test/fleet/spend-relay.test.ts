/**
 * The cockpit's spend relay between two real nodes on their Unix sockets: each is told what the other spent
 * today, per node, and a node that reconnects (or restarted) is told again at once, not only at the next change.
 */
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { LinkBase } from '../../src/fleet/link.js';
import { SpendRelay } from '../../src/fleet/spend-relay.js';
import { Connection } from '../../src/protocol/connection.js';
import { noSpend, type SpendElsewhere } from '../../src/protocol/economics.js';
import { offlineNode } from '../helpers/node-server.js';
import { until } from '../helpers/until.js';

/** A link to an offline node's socket: the local link's way, to a socket of the test's own. */
class SocketLink extends LinkBase {
  constructor(
    name: string,
    private readonly socket: string,
  ) {
    super(name, 'local');
  }
  protected async open() {
    const s = connect(this.socket);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('error', reject);
    });
    const conn = new Connection(s, { role: 'cockpit', agent: 'cli' });
    const hello = await conn.ready;
    return { conn, transport: 'local' as const, info: hello.node ?? null };
  }
  protected release(): void {}
}

const a = offlineNode('agency-relay-a-');
const b = offlineNode('agency-relay-b-');
const links: SocketLink[] = [];
let relay: SpendRelay | null = null;
afterAll(async () => {
  relay?.close();
  for (const l of links) l.close();
  await a.close();
  await b.close();
});

describe('SpendRelay', () => {
  it('tells a node the other’s spend, per node, and tells it again when it reconnects', async () => {
    const day = new Date().toISOString().slice(0, 10);
    a.manager.spendNow = () => ({
      day,
      today: { ...noSpend(), costUsd: 1.5, outputTokens: 300 },
      hours: [],
      vps: { ops: { ...noSpend(), costUsd: 1, outputTokens: 100 } },
    });
    const told: SpendElsewhere[] = [];
    b.economics.sync = (e) => void told.push(e);
    await a.listen();
    await b.listen();
    links.push(new SocketLink('a', a.paths.socket), new SocketLink('b', b.paths.socket));
    for (const l of links) l.start({ reconnect: true });
    relay = new SpendRelay(links, 50);
    await until('b is told', () => told.length === 1, 10_000);
    expect(told[0]).toEqual({
      day,
      fleet: { usd: 1.5, tokens: 300 },
      vps: { ops: { usd: 1, tokens: 100 } },
      nodes: { a: { usd: 1.5, tokens: 300, vps: { ops: { usd: 1, tokens: 100 } } } },
    });
    // b's connection drops and comes back (as after a restart of its node): a's spend, unchanged, is sent again
    links[1]!.connection()!.close();
    await until('b is told again', () => told.length === 2, 15_000);
    expect(told[1]).toEqual(told[0]);
  });
});
