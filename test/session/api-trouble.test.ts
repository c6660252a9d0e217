/**
 * Reading the API's refusals from what the real Claude Code 2.1.197 showed, reported and wrote, captured by
 * api-trouble/capture.ts against the scripted API (401, 429 with retry-after, 529, no key at all). What each
 * capture says was read by eye and is written here by hand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apiTroubleOnScreen,
  endsSession,
  redact,
  troubleFromHook,
  troubleFromTranscript,
} from '../../src/session/api-trouble.js';

const DIR = join(import.meta.dirname, 'api-trouble');
const PROMPT_SCREENS = join(import.meta.dirname, 'prompts', 'screens');
const lines = (file: string) => readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
const screen = (c: string, f: string) => lines(join(DIR, c, f));
const json = (c: string, f: string) => JSON.parse(readFileSync(join(DIR, c, f), 'utf8')) as Record<string, unknown>;
/** the entry as Claude Code wrote it: one line of the transcript */
const transcriptLine = (c: string) => JSON.stringify(json(c, 'transcript-error.json'));

describe('the StopFailure hook', () => {
  it.each([
    ['unauthorized-401', 'auth', 'authentication_failed', 'Invalid API key · Fix external API key'],
    ['not-logged-in', 'auth', 'authentication_failed', 'Not logged in · Please run /login'],
    [
      'rate-limited-429',
      'rate-limit',
      'rate_limit',
      'API Error: Request rejected (429) · Number of request tokens has exceeded your per-minute rate limit',
    ],
  ])('%s: %s (%s)', (c, kind, error, message) => {
    expect(troubleFromHook(json(c, 'stop-failure.json'))).toEqual({
      kind,
      error,
      status: c === 'rate-limited-429' ? 429 : null,
      message,
    });
  });

  it('no API listening: a server trouble, with no status', () => {
    expect(troubleFromHook(json('unreachable', 'stop-failure.json'))).toEqual({
      kind: 'server',
      error: 'server_error',
      status: null,
      message: 'API Error: Unable to connect to API (ConnectionRefused)',
    });
  });

  it('529: a server trouble, its status read from the message, the gateway named as Claude Code names it', () => {
    const t = troubleFromHook(json('overloaded-529', 'stop-failure.json'));
    expect(t).toMatchObject({ kind: 'server', error: 'server_error', status: 529 });
    expect(t.message).toMatch(/^API Error: Repeated 529 Overloaded errors\. The API is at capacity/);
  });

  it('an error name Claude Code may add later still counts, by the status its message names', () => {
    expect(
      troubleFromHook({ error: 'something_new', last_assistant_message: 'API Error: 503 unavailable' }),
    ).toMatchObject({
      kind: 'server',
      status: 503,
    });
    expect(troubleFromHook({})).toMatchObject({ kind: 'unknown', status: null, message: '' });
  });
});

describe('the transcript', () => {
  it.each([
    ['unauthorized-401', 'auth', 401],
    ['rate-limited-429', 'rate-limit', 429],
    ['overloaded-529', 'server', 529],
    ['not-logged-in', 'auth', null],
    ['unreachable', 'server', null],
  ])('%s: its API error entry is %s, status %s, with the time it was written', (c, kind, status) => {
    const seen = troubleFromTranscript(transcriptLine(c));
    expect(seen?.trouble).toMatchObject({ kind, status });
    expect(seen?.at).toBe(json(c, 'transcript-error.json').timestamp);
    expect(seen?.trouble.message).toBe(troubleFromHook(json(c, 'stop-failure.json')).message);
  });

  it('any other line is nothing: a user entry, a model answer, a subagent error, broken JSON', () => {
    const entry = json('unauthorized-401', 'transcript-error.json');
    const { isApiErrorMessage: _e, error: _x, apiErrorStatus: _s, ...answer } = entry;
    expect(troubleFromTranscript(JSON.stringify(answer))).toBeNull();
    expect(troubleFromTranscript(JSON.stringify({ ...entry, type: 'user' }))).toBeNull();
    expect(troubleFromTranscript(JSON.stringify({ ...entry, isSidechain: true }))).toBeNull();
    expect(troubleFromTranscript(transcriptLine('unauthorized-401').slice(0, -10))).toBeNull();
  });
});

describe('the screen', () => {
  it.each(['unauthorized-401', 'rate-limited-429', 'overloaded-529'])(
    '%s: Claude Code retrying, attempt 1 of 3',
    (c) => {
      expect(apiTroubleOnScreen(screen(c, 'retrying.txt'))).toEqual({
        retry: { attempt: 1, of: 3, what: 'API error' },
        trouble: null,
      });
    },
  );

  it('no API where the CLI is pointed: the retry names the cause', () => {
    expect(apiTroubleOnScreen(screen('unreachable', 'retrying.txt'))).toEqual({
      retry: { attempt: 1, of: 3, what: 'Unable to connect to API (ConnectionRefused)' },
      trouble: null,
    });
  });

  it('a refused key ends the turn with its own line (⎿), under the prompt', () => {
    expect(apiTroubleOnScreen(screen('unauthorized-401', 'final.txt'))).toEqual({
      retry: null,
      trouble: {
        kind: 'auth',
        error: 'authentication_failed',
        status: null,
        message: 'Invalid API key · Fix external API key',
      },
    });
  });

  it('no login: the turn ends with "Please run /login", and the footer says so', () => {
    const final = screen('not-logged-in', 'final.txt');
    expect(apiTroubleOnScreen(final).trouble).toMatchObject({
      kind: 'auth',
      message: 'Not logged in · Please run /login',
    });
    // before any turn, only the footer under the input box tells
    const box = final.findIndex((l) => l.startsWith('❯ say hello'));
    const fresh = [...final.slice(0, box), ...final.slice(final.findIndex((l) => /^─{20}/.test(l)))];
    expect(apiTroubleOnScreen(fresh)).toEqual({
      retry: null,
      trouble: { kind: 'auth', error: 'authentication_failed', status: null, message: 'Not logged in · Run /login' },
    });
  });

  it('a rate limit or an overload drawn as `● API Error: …` is left to the hook and transcript: a model can write that too', () => {
    expect(apiTroubleOnScreen(screen('rate-limited-429', 'final.txt'))).toEqual({ retry: null, trouble: null });
    expect(apiTroubleOnScreen(screen('overloaded-529', 'final.txt'))).toEqual({ retry: null, trouble: null });
    expect(apiTroubleOnScreen(screen('unreachable', 'final.txt'))).toEqual({ retry: null, trouble: null });
  });

  it('ordinary screens of the real CLI show no trouble: idle, a finished turn, a dialog, onboarding', () => {
    for (const f of [
      'first-run-120x40/05-idle.txt',
      'first-run-120x40/16-final.txt',
      'first-run-80x40/06-permission.txt',
      'single-mcp-80x30/05-final.txt',
      'onboarding-120x40/01-connectivity-failed.txt',
    ])
      expect(apiTroubleOnScreen(lines(join(PROMPT_SCREENS, f))), f).toEqual({ retry: null, trouble: null });
  });

  it('the model quoting a retry line or a login message is not Claude Code saying it', () => {
    const final = screen('rate-limited-429', 'final.txt');
    const at = final.findIndex((l) => l.startsWith('● API Error'));
    const quoting = (text: string) => [...final.slice(0, at), text, ...final.slice(at + 1)];
    expect(apiTroubleOnScreen(quoting('● ✻ API error · Retrying in 1s · attempt 1/3'))).toEqual({
      retry: null,
      trouble: null,
    });
    expect(apiTroubleOnScreen(quoting('● Invalid API key · Fix external API key'))).toEqual({
      retry: null,
      trouble: null,
    });
  });
});

describe('what the kinds mean, and what is shown of a message', () => {
  it('a refused login, no credit or an unknown model end the session; the rest can pass', () => {
    expect(['auth', 'billing', 'model'].every((k) => endsSession(k as never))).toBe(true);
    expect(['rate-limit', 'server', 'request', 'unknown'].some((k) => endsSession(k as never))).toBe(false);
  });

  it('keys, bearer tokens and URL credentials never pass through, and a message is one bounded line', () => {
    const said = redact(
      'API Error: 401 key sk-ant-api03-abcDEF_123-xyz refused\nAuthorization: Bearer tok3n via https://user:pa55@gw.example/v1',
    );
    expect(said).toBe('API Error: 401 key sk-ant-… refused Authorization: Bearer … via https://…@gw.example/v1');
    expect(redact('x'.repeat(500))).toHaveLength(200);
  });
});
