import { afterEach, describe, expect, it } from 'vitest';
import type { PtyFactory, PtyProcess } from '../../src/session/pty.js';
import { Session } from '../../src/session/session.js';

/** A pseudo-terminal that records what the session types into it, and has no program behind it. */
function recordingPty(): { factory: PtyFactory; written: string[] } {
  const written: string[] = [];
  const proc: PtyProcess = {
    pid: -1,
    onData: () => ({ dispose() {} }),
    onExit: () => ({ dispose() {} }),
    write: (d) => void written.push(d),
    resize() {},
    kill() {},
    pause() {},
    resume() {},
  };
  return { factory: { spawn: () => proc }, written };
}

let session: Session | null = null;
afterEach(() => session?.dispose());

describe('Session.sendLine', () => {
  it('types one line without anything a terminal would obey or that reorders text, then submits it', async () => {
    const pty = recordingPty();
    session = new Session({ id: 's1', cwd: '/', command: 'claude', args: [], env: {}, pty: pty.factory });
    session.start();
    await session.sendLine('fix\r\nthe\tbug\u202e in\x9b31m\x1b[2J main\u2066.ts\x7f');
    expect(pty.written).toEqual(['fix the bug in31m[2J main.ts', '\r']);
  });
});
