/** Who may answer decisions from Slack, and what the SDK may write: the allow-list and the token redaction. */
import { describe, expect, it } from 'vitest';
import { answeredAs, mayAnswer } from '../../src/intake/slack-access.js';
import { redact, redactingLogger } from '../../src/intake/slack-logger.js';

describe('the allow-list', () => {
  it('lets the listed users answer, and nobody else', () => {
    const allowed = ['U0OPS', 'W0GRID'];
    expect(mayAnswer('U0OPS', allowed)).toBe(true);
    expect(mayAnswer('W0GRID', allowed)).toBe(true);
    expect(mayAnswer('U0EVE', allowed)).toBe(false);
    expect(mayAnswer('u0ops', allowed)).toBe(false);
    expect(mayAnswer('U0OPS ', allowed)).toBe(false);
    expect(mayAnswer(undefined, allowed)).toBe(false);
    expect(mayAnswer({ id: 'U0OPS' }, allowed)).toBe(false);
  });

  it('an empty list lets nobody answer', () => {
    expect(mayAnswer('U0OPS', [])).toBe(false);
    expect(mayAnswer('', [''])).toBe(false);
  });

  it('an answer is recorded as slack:<user id>', () => {
    expect(answeredAs('U0OPS')).toBe('slack:U0OPS');
  });
});

describe("the SDK's logger", () => {
  const app = 'xapp-1-A0B1C2-123-abcdef0123';
  const bot = 'xoxb-1234-5678-abcdefghijkl';

  it('takes the tokens out of whatever it is given, and anything shaped like a token', () => {
    expect(redact(`headers: {"Authorization":"Bearer ${bot}"} and ${app}`, [app, bot])).toBe(
      'headers: {"Authorization":"Bearer [redacted]"} and [redacted]',
    );
    expect(redact('a user token xoxp-99-88-77 leaked', [])).toBe('a user token [redacted] leaked');
    expect(redact('odd-token-shape-but-given', ['odd-token-shape-but-given'])).toBe('[redacted]');
  });

  it('writes one line per message, at its level and above, with the tokens out', () => {
    const lines: string[] = [];
    const log = redactingLogger([app, bot], (l) => lines.push(l), 'info');
    log.debug(`sending ${bot}`);
    log.info('connected', { token: app });
    log.error(new Error(`failed with ${bot}\nsecond line`));
    log.setLevel('debug' as never); // the SDK may not make it more talkative than the intake chose
    log.debug('still hidden');
    expect(lines).toEqual([
      'slack info: connected {"token":"[redacted]"}',
      'slack error: failed with [redacted] second line',
    ]);
  });
});
