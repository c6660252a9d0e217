/**
 * A session whose screen shows the API refusing it, through a real pseudo-terminal: a program prints a screen the
 * real Claude Code drew (api-trouble/), and the session reports what it reads there; then it ends or waits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiTrouble } from '../../src/session/api-trouble.js';
import { Session, type SessionStatus } from '../../src/session/session.js';
import { until } from '../helpers/until.js';

const DIR = import.meta.dirname;

let session: Session | null = null;
afterEach(async () => {
  await session?.stop();
  session?.dispose();
  session = null;
});

/** A session whose program draws `screen` (one captured from the real CLI) and then waits, as Claude Code does. */
function showing(screen: string | null, opts: Partial<ConstructorParameters<typeof Session>[0]> = {}): Session {
  const text =
    screen === null ? '' : readFileSync(join(DIR, screen), 'utf8').replace(/\n$/, '').split('\n').join('\r\n');
  const program = `process.stdout.write(${JSON.stringify(text)}); setInterval(() => {}, 1000);`;
  session = new Session({
    id: 's-1',
    cwd: '/',
    command: process.execPath,
    args: ['-e', program],
    env: { PATH: process.env.PATH },
    ...opts,
  });
  return session;
}

describe('a session the API refuses', () => {
  it('its screen shows a refused key: the session reports it once', async () => {
    const s = showing('api-trouble/unauthorized-401/final.txt');
    const seen: ApiTrouble[] = [];
    s.onApiTrouble((t) => seen.push(t));
    s.start();
    await until('the trouble is seen', () => seen.length > 0, 10_000);
    expect(seen).toEqual([
      { kind: 'auth', error: 'authentication_failed', status: null, message: 'Invalid API key · Fix external API key' },
    ]);
  });

  it('Claude Code retrying shows as the activity', async () => {
    const s = showing('api-trouble/rate-limited-429/retrying.txt');
    s.start();
    await until('the retry is shown', () => s.current.activity.includes('retries'), 10_000);
    expect(s.current).toMatchObject({
      state: 'starting',
      activity: 'API error: Claude Code retries (attempt 1 of 3)',
    });
  });

  it('fail(): claude is ended and the session fails with the first reason given', async () => {
    const s = showing(null);
    const states: SessionStatus[] = [];
    s.onChange((x) => states.push(x));
    s.start();
    s.fail('the API refused the key: fix it');
    s.fail('a later reason');
    await s.wait();
    expect(s.pid).toBeNull();
    expect(s.current).toMatchObject({ state: 'failed', reason: 'the API refused the key: fix it' });
    expect(states.filter((x) => x.state === 'failed')).toHaveLength(1);
  });

  it('block(): it waits for the operator with the reason; the first stands; moving on clears it', () => {
    const s = showing(null);
    s.start();
    s.block('rate-limited: send it on later');
    s.block('another');
    expect(s.current).toMatchObject({ state: 'needs-input', reason: 'rate-limited: send it on later' });
    s.setState('needs-input', { activity: 'still' });
    expect(s.current.reason).toBe('rate-limited: send it on later');
    s.setState('working', { activity: 'prompt: continue' });
    expect(s.current).toMatchObject({ state: 'working', reason: null });
    s.block('again');
    expect(s.current).toMatchObject({ state: 'needs-input', reason: 'again' });
  });

  it('a session started with no prompt becomes idle once claude shows its input box, not before', async () => {
    const quiet = showing('prompts/screens/single-mcp-80x30/04-idle.txt', {
      idleWhenReady: 'back after the node restarted',
    });
    quiet.start();
    await until('it is idle', () => quiet.current.state === 'idle', 10_000);
    expect(quiet.current.activity).toBe('back after the node restarted');
    await quiet.stop();
    quiet.dispose();
    // at a dialog, before its input box: still starting
    const dialog = showing('prompts/screens/single-mcp-80x30/01-trust-folder.txt', { idleWhenReady: 'back' });
    dialog.start();
    await until('the dialog is answered', () => dialog.current.activity.startsWith('answered trust-folder'), 10_000);
    expect(dialog.current.state).toBe('starting');
  });
});
