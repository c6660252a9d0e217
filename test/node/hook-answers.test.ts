/**
 * Hook events that move a session: StopFailure (the API ended the turn) goes to the session's refusals, the
 * transcript read first; an idle notification does not undo a session the API left waiting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Decisions } from '../../src/node/decisions.js';
import { HookAnswers, type HookTarget } from '../../src/node/hook-answers.js';
import type { ApiTrouble } from '../../src/session/api-trouble.js';
import { Session } from '../../src/session/session.js';

const CAPTURED = join(import.meta.dirname, '..', 'session', 'api-trouble');
const input = (c: string) => JSON.parse(readFileSync(join(CAPTURED, c, 'stop-failure.json'), 'utf8')) as unknown;

function setup() {
  const decisions = new Decisions([], () => undefined);
  const answers = new HookAnswers({
    node: 'local',
    home: '/home/u',
    decisions,
    policy: () => {
      throw new Error('no permission requests here');
    },
  });
  const order: string[] = [];
  const seen: ApiTrouble[] = [];
  const session = new Session({ id: 's-1', cwd: '/', command: 'claude', args: [], env: {} });
  const refusals = {
    seen: (t: ApiTrouble) => (order.push('refusal'), void seen.push(t)),
    settled: () => void order.push('settled'),
    moved: () => void order.push('moved'),
    sendingOn: false,
  };
  const target: HookTarget = {
    record: { id: 's-1', worktree: '/w' },
    session,
    usage: { refresh: async () => void order.push('transcript read') },
    dialogs: { duringHook: (f) => f() },
    refusals,
  };
  const hook = (event: string, raw: unknown) => answers.answer(target, event, raw, new Promise(() => undefined));
  return { hook, session, seen, order, refusals };
}

describe('HookAnswers', () => {
  it('StopFailure: the transcript is read first (it has the status), then the trouble goes to the refusals', async () => {
    const t = setup();
    expect(await t.hook('StopFailure', input('rate-limited-429'))).toEqual({});
    expect(t.order).toEqual(['transcript read', 'refusal']);
    expect(t.seen).toEqual([
      {
        kind: 'rate-limit',
        error: 'rate_limit',
        status: 429,
        message: 'API Error: Request rejected (429) · Number of request tokens has exceeded your per-minute rate limit',
      },
    ]);
  });

  it('an idle notification moves a working session to idle, but not one the API left waiting', async () => {
    const t = setup();
    const idle = { hook_event_name: 'Notification', notification_type: 'idle_prompt' };
    await t.hook('UserPromptSubmit', { prompt: 'go' });
    await t.hook('Notification', idle);
    expect(t.session.current.state).toBe('idle');
    t.session.setState('working');
    t.session.block('rate-limited: send it on later');
    await t.hook('Notification', idle);
    expect(t.session.current).toMatchObject({ state: 'needs-input', reason: 'rate-limited: send it on later' });
    // the operator sends it on: a new prompt, and the reason is gone
    await t.hook('UserPromptSubmit', { prompt: 'continue' });
    expect(t.session.current).toMatchObject({ state: 'working', reason: null });
  });

  it('while the node is about to send a session on, an idle notification leaves it at work; a turn that ends well, or a new prompt, is told', async () => {
    const t = setup();
    await t.hook('UserPromptSubmit', { prompt: 'go' });
    t.refusals.sendingOn = true;
    await t.hook('Notification', { hook_event_name: 'Notification', notification_type: 'idle_prompt' });
    expect(t.session.current.state).toBe('working');
    t.refusals.sendingOn = false;
    await t.hook('Stop', { last_assistant_message: 'done' });
    expect(t.session.current.state).toBe('idle');
    expect(t.order).toEqual(['moved', 'settled', 'transcript read']);
  });
});
