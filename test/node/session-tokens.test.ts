/** The node's secret and the per-session tokens made from it. */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_FILE, SessionTokens } from '../../src/node/session-tokens.js';
import { deferAfterEach } from '../helpers/defer.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();
const home = () => {
  const d = tempDir('agency-tokens-');
  defer(d.remove);
  return d.path;
};

describe('session tokens', () => {
  it('are HMAC-SHA256 of the session id under a secret made on first start, readable by its user only', () => {
    const h = home();
    const tokens = SessionTokens.load(h);
    const file = join(h, SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    expect(secret).toHaveLength(32);
    expect(tokens.token('s-abc123')).toBe(createHmac('sha256', secret).update('s-abc123').digest('hex'));
    expect(tokens.token('s-abc124')).not.toBe(tokens.token('s-abc123'));
  });

  it('hold across restarts: the secret is kept, not made again', () => {
    const h = home();
    const before = SessionTokens.load(h).token('s-abc123');
    const after = SessionTokens.load(h);
    expect(after.token('s-abc123')).toBe(before);
    expect(after.holds('s-abc123', before)).toBe(true);
    expect(after.holds('s-abc124', before)).toBe(false);
  });

  it('make a secret others can read private again', () => {
    const h = home();
    SessionTokens.load(h);
    chmodSync(join(h, SECRET_FILE), 0o644);
    SessionTokens.load(h);
    expect(statSync(join(h, SECRET_FILE)).mode & 0o777).toBe(0o600);
  });

  it('refuse a secret file that holds no secret, naming it', () => {
    const h = home();
    writeFileSync(join(h, SECRET_FILE), 'hunter2\n', { mode: 0o600 });
    expect(() => SessionTokens.load(h)).toThrow(`${join(h, SECRET_FILE)} is not a node secret (64 hex digits)`);
  });

  it('are made for session ids only', () => {
    const tokens = SessionTokens.fromSecret(Buffer.alloc(32, 1));
    expect(() => tokens.token('../../x')).toThrow('not a session id');
    expect(tokens.holds('../../x', tokens.token('s-abc123'))).toBe(false);
    expect(tokens.holds('s-abc123', tokens.token('s-abc123').toUpperCase())).toBe(false);
  });
});
