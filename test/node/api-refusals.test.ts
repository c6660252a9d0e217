/** A session the API refused: the reason names the cause and the fix, and the session ends or waits by kind. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ApiRefusals,
  refusalReason,
  SEND_ON_AFTER_S,
  SEND_ON_LINE,
  type RefusalContext,
} from '../../src/node/api-refusals.js';
import type { SessionState } from '../../src/protocol/messages.js';
import { troubleFromHook, type ApiTrouble } from '../../src/session/api-trouble.js';

const ctx = (auth: { key: boolean; login: boolean }): RefusalContext => ({
  info: { name: 'studio-01', auth },
  nodeEnvFile: '/home/ops/.agency/node.env',
  session: 's-abc123',
  model: 'opus',
});
const KEY = { key: true, login: false };

const trouble = (kind: ApiTrouble['kind'], error = 'x', status: number | null = null): ApiTrouble => ({
  kind,
  error,
  status,
  message: 'what Claude Code said',
});

describe('refusalReason', () => {
  it('a refused key: names the node, the status and the error, where the key goes and how the node takes it', () => {
    expect(refusalReason(trouble('auth', 'authentication_failed', 401), ctx(KEY))).toBe(
      `the API refused node studio-01's key (401 authentication_failed: "what Claude Code said"): set a valid ANTHROPIC_API_KEY in /home/ops/.agency/node.env and run \`agency node stop\` there (the next agency command starts the node with it)`,
    );
  });

  it('a refused login, and no key nor login at all, say so, each with its own fix', () => {
    expect(refusalReason(trouble('auth'), ctx({ key: false, login: true }))).toMatch(
      /^the API refused the Claude Code login of node studio-01's user .*: log in again there \(run claude, then \/login\), or set ANTHROPIC_API_KEY in \/home\/ops\/\.agency\/node\.env/,
    );
    expect(refusalReason(trouble('auth'), ctx({ key: false, login: false }))).toMatch(
      /^node studio-01 has no API key and no Claude Code login .*: set ANTHROPIC_API_KEY in \/home\/ops\/\.agency\/node\.env and run `agency node stop`/,
    );
  });

  it('a rate limit and an overload say the retries ran out, and how to go on or stop', () => {
    const limit = refusalReason(trouble('rate-limit', 'rate_limit', 429), ctx(KEY));
    expect(limit).toMatch(
      /^the API rate-limited this session and Claude Code's retries ran out \(429 rate_limit: "what Claude Code said"\)/,
    );
    expect(limit).toContain('once the limit resets, `agency send s-abc123 continue`; or `agency stop s-abc123`');
    expect(refusalReason(trouble('server', 'server_error', 529), ctx(KEY))).toMatch(
      /^the API could not answer \(overloaded, failing or out of reach\): Claude Code's retries ran out \(529 server_error: .*`agency send s-abc123 continue` to try again, or `agency stop s-abc123`$/,
    );
  });

  it('no credit, an unknown model and a refused request each name their own fix', () => {
    expect(refusalReason(trouble('billing'), ctx(KEY))).toContain('add credit to it');
    expect(refusalReason(trouble('model'), ctx(KEY))).toContain('no model opus for this account');
    expect(refusalReason(trouble('request'), ctx(KEY))).toContain("the API refused this session's last request");
    expect(refusalReason(trouble('unknown', 'unknown'), ctx(KEY))).not.toContain('unknown:');
  });

  it('a key in what Claude Code said never reaches the reason', () => {
    const t = troubleFromHook({
      error: 'authentication_failed',
      last_assistant_message: 'bad key sk-ant-api03-SECRETSECRET',
    });
    const reason = refusalReason(t, ctx(KEY));
    expect(reason).not.toContain('SECRETSECRET');
    expect(reason).toContain('(authentication_failed: "bad key sk-ant-…")');
  });
});

describe('ApiRefusals', () => {
  afterEach(() => vi.useRealTimers());

  /** A session as the refusals see it, recording what is done to it. */
  function target() {
    const calls: string[] = [];
    const session = {
      current: { state: 'working' as SessionState, reason: null, activity: 'working', exitCode: null },
      fail: (r: string) => void calls.push(`fail ${r}`),
      block: (r: string) => void calls.push(`block ${r}`),
      setState: (state: SessionState, extra: { activity?: string } = {}) => {
        session.current = { ...session.current, state, activity: extra.activity ?? session.current.activity };
        calls.push(`state ${state}`);
      },
      sendLine: async (text: string) => void calls.push(`send ${text}`),
    };
    return { calls, session };
  }
  const refusals = (t: ReturnType<typeof target>) =>
    new ApiRefusals(ctx(KEY), { id: 's-abc123', model: 'opus' }, () => t.session);

  it('ends the session on a refused login, no credit or an unknown model; leaves it waiting on a limit or a refused request', () => {
    const t = target();
    const r = refusals(t);
    for (const kind of ['auth', 'billing', 'model', 'rate-limit', 'request', 'unknown'] as const) r.seen(trouble(kind));
    expect(t.calls.map((c) => c.split(' ')[0])).toEqual(['fail', 'fail', 'fail', 'block', 'block', 'block']);
    expect(t.calls[0]).toBe(`fail ${refusalReason(trouble('auth'), ctx(KEY))}`);
  });

  it('a rate limit tells the node (its new starts pause), with no retry time: Claude Code records none for a session', () => {
    const t = target();
    const limited: (number | null)[] = [];
    const r = new ApiRefusals(
      ctx(KEY),
      { id: 's-abc123', model: 'opus' },
      () => t.session,
      (ms) => limited.push(ms),
    );
    r.seen(trouble('request'));
    r.seen(trouble('auth'));
    expect(limited).toEqual([]);
    r.seen(trouble('rate-limit', 'rate_limit', 429));
    expect(limited).toEqual([null]);
    expect(t.calls.at(-1)).toMatch(/^block the API rate-limited this session/);
  });

  it('an API that could not answer: the node sends the session on, waiting longer each time, then leaves it to the operator', async () => {
    vi.useFakeTimers();
    const t = target();
    const r = refusals(t);
    const outage = trouble('server', 'server_error', 529);
    for (const [i, wait] of SEND_ON_AFTER_S.entries()) {
      t.calls.length = 0;
      r.seen(outage);
      expect(t.calls).toEqual(['state working']);
      expect(t.session.current.activity).toMatch(
        new RegExp(
          `^the API could not answer \\(529 server_error: .*\\); agency sends it on at \\d\\d:\\d\\d:\\d\\d UTC \\(try ${i + 1} of 4\\)$`,
        ),
      );
      // still at work meanwhile: an idle notification does not make it idle
      expect(r.sendingOn).toBe(true);
      r.seen(outage); // the same trouble from another witness changes nothing
      await vi.advanceTimersByTimeAsync(wait * 1000 - 1);
      expect(t.calls).toEqual(['state working']);
      await vi.advanceTimersByTimeAsync(1);
      expect(t.calls).toEqual(['state working', `send ${SEND_ON_LINE}`]);
      expect(r.sendingOn).toBe(false);
    }
    t.calls.length = 0;
    r.seen(outage);
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0]).toMatch(/^block the API could not answer .*the node sent it on 4 times over 4 min/);
  });

  it('a turn that ends well gives the next outage its tries anew; a prompt that goes in first calls the sending off', async () => {
    vi.useFakeTimers();
    const t = target();
    const r = refusals(t);
    for (let i = 0; i < 3; i++) {
      r.seen(trouble('server'));
      await vi.runAllTimersAsync();
    }
    r.settled();
    t.calls.length = 0;
    r.seen(trouble('server'));
    expect(t.session.current.activity).toContain('(try 1 of 4)');
    r.moved();
    expect(r.sendingOn).toBe(false);
    await vi.runAllTimersAsync();
    expect(t.calls).toEqual(['state working']);
  });

  it('a paused session is sent on once it is resumed; a stopped one is not', async () => {
    vi.useFakeTimers();
    const t = target();
    const r = refusals(t);
    r.seen(trouble('server'));
    t.session.current.state = 'paused';
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.calls.filter((c) => c.startsWith('send'))).toEqual([]);
    t.session.current.state = 'working';
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.calls.filter((c) => c.startsWith('send'))).toHaveLength(1);
    r.seen(trouble('server'));
    t.session.current.state = 'exited';
    await vi.runAllTimersAsync();
    expect(t.calls.filter((c) => c.startsWith('send'))).toHaveLength(1);
  });

  it('a rate limit of a session with no running process (an ended one, read again after a restart) pauses nothing', () => {
    const limited: (number | null)[] = [];
    const r = new ApiRefusals(
      ctx(KEY),
      { id: 's-1', model: null },
      () => null,
      (ms) => limited.push(ms),
    );
    r.seen(trouble('rate-limit', 'rate_limit', 429));
    expect(limited).toEqual([]);
  });

  it('a session with no running process is left alone', () => {
    expect(() => new ApiRefusals(ctx(KEY), { id: 's-1', model: null }, () => null).seen(trouble('auth'))).not.toThrow();
  });
});
