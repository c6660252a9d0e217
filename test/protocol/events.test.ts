import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Connection } from '../../src/protocol/connection.js';
import { Emitter } from '../../src/protocol/events.js';
import { encodeJson } from '../../src/protocol/frames.js';
import { PROTOCOL_VERSION, type NodeEvent } from '../../src/protocol/messages.js';
import { tempDir } from '../helpers/tmp.js';

/** Errors a listener threw, which the emitter hands to queueMicrotask to rethrow: caught here instead. */
function deferredErrors(): Error[] {
  const errors: Error[] = [];
  vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((f) => {
    try {
      f();
    } catch (e) {
      errors.push(e as Error);
    }
  });
  return errors;
}
afterEach(() => vi.restoreAllMocks());

describe('Emitter', () => {
  it('calls each listener until its disposer is called', () => {
    const e = new Emitter<number>();
    const heard: string[] = [];
    const a = e.on((n) => heard.push(`a${n}`));
    e.on((n) => heard.push(`b${n}`));
    e.emit(1);
    a.dispose();
    e.emit(2);
    expect(heard).toEqual(['a1', 'b1', 'b2']);
    expect(e.size).toBe(1);
  });

  it('counts the same function subscribed twice as two subscriptions', () => {
    const e = new Emitter<void>();
    let n = 0;
    const f = () => void n++;
    const first = e.on(f);
    e.on(f);
    e.emit();
    first.dispose();
    e.emit();
    expect(n).toBe(3);
  });

  it('calls the listeners there were when it emitted, not one added meanwhile', () => {
    const e = new Emitter<void>();
    const heard: string[] = [];
    e.on(() => {
      heard.push('a');
      e.on(() => heard.push('late'));
    });
    e.emit();
    expect(heard).toEqual(['a']);
  });

  it('a listener that throws stops neither the others nor the emitter; its error is rethrown later', () => {
    const errors = deferredErrors();
    const e = new Emitter<number>();
    const heard: number[] = [];
    e.on(() => {
      throw new Error('listener broke');
    });
    e.on((n) => heard.push(n));
    e.emit(1);
    e.emit(2);
    expect(heard).toEqual([1, 2]);
    expect(errors.map((x) => x.message)).toEqual(['listener broke', 'listener broke']);
  });

  it('clear removes every listener', () => {
    const e = new Emitter<void>();
    let n = 0;
    e.on(() => void n++);
    e.clear();
    e.emit();
    expect([n, e.size]).toEqual([0, 0]);
  });
});

const dir = tempDir();
const socketPath = join(dir.path, 'events.sock');
const server = createServer();
const sockets: Socket[] = [];
beforeAll(() => new Promise<void>((r) => server.listen(socketPath, r)));
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  dir.remove();
});

describe('Connection events', () => {
  it('a listener that throws does not cost the other listeners the events after it in the same read', async () => {
    const errors = deferredErrors();
    const got = new Promise<Socket>((r) => server.once('connection', r));
    const a = connect(socketPath);
    await new Promise((r) => a.once('connect', r));
    const b = await got;
    sockets.push(a, b);
    const cockpit = new Connection(b, { role: 'cockpit', agent: 'test' });
    cockpit.onEvent(() => {
      throw new Error('a view broke');
    });
    const heard: unknown[] = [];
    const both = new Promise<void>((r) =>
      cockpit.onEvent((e) => {
        heard.push(e);
        if (heard.length === 2) r();
      }),
    );
    const event = (n: number) => ({ kind: 'test', n }) as unknown as NodeEvent;
    // the hello and both events arrive in one write, so one read hands them to the connection together
    a.write(
      Buffer.concat([
        encodeJson({ t: 'hello', protocol: PROTOCOL_VERSION, agent: 'test', role: 'node' }),
        encodeJson({ t: 'event', event: event(1) }),
        encodeJson({ t: 'event', event: event(2) }),
      ]),
    );
    await both;
    expect(heard).toEqual([event(1), event(2)]);
    expect(errors.map((e) => e.message)).toEqual(['a view broke', 'a view broke']);
  });
});
