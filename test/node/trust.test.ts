/**
 * The node trusts no session, on its own (without the OS sandbox that keeps sessions off its socket): a
 * session's hook connection, even with its own token, cannot answer the session's decision, and a peer
 * that writes raw bytes to the socket gets no further than one that uses agency's client. A real node
 * server and manager over a temporary home whose state holds a session with an open decision; the peers
 * below build their frames by hand, as a python3 or socat one-liner would.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineNode } from '../helpers/node-server.js';
import { Connection } from '../../src/protocol/connection.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { decisionRecord, sessionRecord } from '../helpers/state-records.js';
import { until } from '../helpers/until.js';

const SESSION = 's-abc123';
const DECISION = 'd-0f0f0f';
const node = offlineNode('agency-trust-', {
  state: (home) => ({
    version: 1,
    sessions: [sessionRecord(home, SESSION, { state: 'needs-input' })],
    decisions: [decisionRecord(SESSION, DECISION)],
  }),
});
const { paths, tokens } = node;
const sockets: Socket[] = [];

beforeAll(() => node.listen());
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await node.close();
});

/** A JSON frame as the protocol lays it out (4-byte length, type 1, UTF-8 JSON), built by hand. */
function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length + 1, 0);
  head[4] = 1;
  return Buffer.concat([head, body]);
}

/** A peer that writes bytes to the socket and reads back the JSON frames the node sends. */
function rawPeer() {
  const socket = connect(paths.socket);
  sockets.push(socket);
  const received: { t?: string; id?: number; ok?: boolean; error?: { code: string; message: string } }[] = [];
  let buf = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const len = buf.readUInt32BE(0);
      if (buf[4] === 1) received.push(JSON.parse(buf.subarray(5, 4 + len).toString('utf8')));
      buf = buf.subarray(4 + len);
    }
  });
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  return {
    send: (...messages: unknown[]) => socket.write(Buffer.concat(messages.map(frame))),
    response: async (id: number) => {
      await until(`the node's answer to request ${id}`, () => closed || received.some((m) => m.id === id), 5000);
      return received.find((m) => m.id === id) ?? null;
    },
    closed: async () => until('the node to close the connection', () => closed, 5000),
  };
}

const hello = (fields: Record<string, unknown>) => ({ t: 'hello', protocol: PROTOCOL_VERSION, agent: 'x', ...fields });
const approve = (id: number) => ({ t: 'req', id, op: 'decide', args: { decision: DECISION, approve: true } });

async function decisionState(): Promise<string | undefined> {
  const conn = new Connection(connect(paths.socket), { role: 'cockpit', agent: 'test' });
  await conn.ready;
  const status = await conn.request('status', {});
  conn.close();
  return status.decisions.find((d) => d.id === DECISION)?.state;
}

describe('a session cannot approve its own decision', () => {
  it('not through its hook connection, with its own token', async () => {
    expect(await decisionState()).toBe('open');
    const peer = rawPeer();
    peer.send(hello({ role: 'hook', session: SESSION, token: tokens.token(SESSION) }), approve(1));
    expect(await peer.response(1)).toMatchObject({
      ok: false,
      error: {
        code: 'forbidden',
        message: `the hook connection of session ${SESSION} may not ask this node for decide; only the operator's cockpit may`,
      },
    });
    expect(await decisionState()).toBe('open');
  });

  it('not by saying hello again as the cockpit on its hook connection', async () => {
    const peer = rawPeer();
    peer.send(
      hello({ role: 'hook', session: SESSION, token: tokens.token(SESSION) }),
      hello({ role: 'cockpit' }),
      approve(1),
    );
    expect(await peer.response(1)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await decisionState()).toBe('open');
  });

  it('not by a hook hello with a made-up token, nor by putting a token in the request', async () => {
    const peer = rawPeer();
    peer.send(hello({ role: 'hook', session: SESSION, token: '0'.repeat(64) }), {
      ...approve(1),
      args: { decision: DECISION, approve: true, token: tokens.token(SESSION) },
    });
    expect(await peer.response(1)).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: expect.stringContaining('whose token does not hold') },
    });
    expect(await decisionState()).toBe('open');
  });

  it('not by asking before saying who it is: the node hangs up', async () => {
    const peer = rawPeer();
    peer.send(approve(1));
    await peer.closed();
    expect(await peer.response(1)).toBeNull();
    expect(await decisionState()).toBe('open');
  });

  it('not by speaking another version of the protocol', async () => {
    const peer = rawPeer();
    peer.send({ ...hello({ role: 'cockpit' }), protocol: PROTOCOL_VERSION + 1 }, approve(1));
    await peer.closed();
    expect(await decisionState()).toBe('open');
  });
});
