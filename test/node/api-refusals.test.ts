/** A session the API refused: the reason names the cause and the fix, and the session ends or waits by kind. */
import { describe, expect, it } from 'vitest';
import { ApiRefusals, refusalReason, type RefusalContext } from '../../src/node/api-refusals.js';
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
      /^the API could not answer \(overloaded, failing or out of reach\) .*\(529 server_error: .*`agency send s-abc123 continue` to try again, or `agency stop s-abc123`$/,
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
  function target() {
    const calls: string[] = [];
    const session = {
      fail: (r: string) => void calls.push(`fail ${r}`),
      block: (r: string) => void calls.push(`block ${r}`),
    };
    return { calls, session };
  }

  it('ends the session on a refused login, no credit or an unknown model; leaves it waiting otherwise', () => {
    const t = target();
    const r = new ApiRefusals(ctx(KEY), { id: 's-abc123', model: 'opus' }, () => t.session);
    for (const kind of ['auth', 'billing', 'model', 'rate-limit', 'server', 'request', 'unknown'] as const)
      r.seen(trouble(kind));
    expect(t.calls.map((c) => c.split(' ')[0])).toEqual(['fail', 'fail', 'fail', 'block', 'block', 'block', 'block']);
    expect(t.calls[0]).toBe(`fail ${refusalReason(trouble('auth'), ctx(KEY))}`);
  });

  it('a session with no running process is left alone', () => {
    expect(() => new ApiRefusals(ctx(KEY), { id: 's-1', model: null }, () => null).seen(trouble('auth'))).not.toThrow();
  });
});
