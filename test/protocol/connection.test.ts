import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, RemoteError } from '../../src/protocol/connection.js';
import { encodeJson, encodePty, FrameDecoder, MAX_FRAME, ProtocolError } from '../../src/protocol/frames.js';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.js';
import { tempDir } from '../helpers/tmp.js';

/** Two ends of a real Unix socket, the transport a node serves on. */
const dir = tempDir();
const socketPath = join(dir.path, 'pair.sock');
const server = createServer();
const accepted: Socket[] = [];
beforeAll(() => new Promise<void>((r) => server.listen(socketPath, r)));
afterAll(async () => {
  for (const s of accepted) s.destroy();
  await new Promise((r) => server.close(r));
  dir.remove();
});

async function pair(): Promise<[Socket, Socket]> {
  const got = new Promise<Socket>((r) => server.once('connection', r));
  const a = connect(socketPath);
  a.on('error', () => undefined);
  await new Promise((r) => a.once('connect', r));
  const b = await got;
  accepted.push(a, b);
  return [a, b];
}

describe('frames', () => {
  it('round-trips JSON and PTY frames split at every byte boundary', () => {
    const data = Buffer.from('\x1b[31mred\x1b[0m and a fake frame: \x00\x00\x00\x05\x01{"t":1}');
    const wire = Buffer.concat([
      encodeJson({ t: 'hello', x: 'é' }),
      encodePty({ session: 's-1', seq: 2 ** 40 + 7, data }),
      encodeJson([1, 2]),
    ]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      expect(frames).toEqual([
        { type: 'json', message: { t: 'hello', x: 'é' } },
        { type: 'pty', chunk: { session: 's-1', seq: 2 ** 40 + 7, data } },
        { type: 'json', message: [1, 2] },
      ]);
    }
  });
  it('refuses garbage, oversized frames and unknown types instead of buffering them', () => {
    expect(() => new FrameDecoder().push(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'))).toThrow(ProtocolError);
    const huge = Buffer.alloc(5);
    huge.writeUInt32BE(MAX_FRAME + 1, 0);
    expect(() => new FrameDecoder().push(huge)).toThrow(/out of bounds/);
    const unknown = Buffer.from([0, 0, 0, 2, 9, 0]);
    expect(() => new FrameDecoder().push(unknown)).toThrow(/unknown frame type 9/);
    const badJson = Buffer.concat([Buffer.from([0, 0, 0, 4, 1]), Buffer.from('{no')]);
    expect(() => new FrameDecoder().push(badJson)).toThrow(/not hold valid JSON/);
  });
});

describe('connection', () => {
  it('answers requests, carries events and PTY bytes', async () => {
    const [a, b] = await pair();
    const node = new Connection(a, { role: 'node', agent: 'test' });
    node.handle(async (op, args) => {
      if (op === 'status') return { echo: args };
      throw new RemoteError('not-found', 'no such thing');
    });
    const cockpit = new Connection(b, { role: 'cockpit', agent: 'test' });
    expect((await cockpit.ready).role).toBe('node');
    expect(await cockpit.request('status', {})).toEqual({ echo: {} });
    await expect(cockpit.request('stop', { session: 'x' })).rejects.toMatchObject({
      code: 'not-found',
      message: 'no such thing',
    });
    const got = new Promise((r) => cockpit.onPty(r));
    await node.ready;
    node.sendPty({ session: 's', seq: 5, data: Buffer.from('hi') });
    expect(await got).toEqual({ session: 's', seq: 5, data: Buffer.from('hi') });
  });

  it('disconnects a peer that sends garbage, with a clear message and no crash', async () => {
    const [a, b] = await pair();
    const cockpit = new Connection(b, { role: 'cockpit', agent: 'test' });
    const closed = new Promise<Error | undefined>((r) => cockpit.onClose(r));
    a.write('this is not agency\n\x00\x01\x02 garbage garbage');
    const err = await closed;
    expect(err?.message).toMatch(/not speaking agency's protocol|did not start with a hello/);
    await expect(cockpit.ready).rejects.toThrow();
    await expect(cockpit.request('status', {})).rejects.toThrow(/closed/);
  });

  it('refuses a peer of another protocol version and says to run agency push', async () => {
    const [a, b] = await pair();
    const cockpit = new Connection(b, { role: 'cockpit', agent: 'test' });
    const closed = new Promise<Error | undefined>((r) => cockpit.onClose(r));
    a.write(encodeJson({ t: 'hello', protocol: PROTOCOL_VERSION + 1, agent: 'future', role: 'node' }));
    const err = await closed;
    expect(err?.message).toBe(
      `protocol version ${PROTOCOL_VERSION + 1} on the other side, ${PROTOCOL_VERSION} here: run \`agency push\` so that both run the same agency`,
    );
  });
});
