/**
 * Per-session tokens. The node writes a session's token into that session's compiled hook command; a hook
 * connection shows it, and the node takes the connection as that session's and no other's. A token is
 * HMAC-SHA256 of the session id under a secret only the node keeps (AGENCY_HOME/node.secret, made on first
 * start): nothing else is stored, and tokens hold across restarts.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SESSION_ID } from '../protocol/ops.js';

export const SECRET_FILE = 'node.secret';
const SECRET_BYTES = 32;
const TOKEN = /^[0-9a-f]{64}$/;

export class SessionTokens {
  private constructor(private readonly secret: Buffer) {}

  /** The node's secret from home, made there (readable by its user only) if it is not there yet. */
  static load(home: string): SessionTokens {
    const file = join(home, SECRET_FILE);
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, `${randomBytes(SECRET_BYTES).toString('hex')}\n`);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    // a secret others could read would let them speak for any session
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const hex = readFileSync(file, 'utf8').trim();
    if (!new RegExp(`^[0-9a-f]{${SECRET_BYTES * 2}}$`).test(hex))
      throw new Error(
        `${file} is not a node secret (${SECRET_BYTES * 2} hex digits); remove it and start the node again (the hooks of running sessions will then be refused until they are started again)`,
      );
    return new SessionTokens(Buffer.from(hex, 'hex'));
  }

  /** A secret of the caller's choosing: for tests. */
  static fromSecret(secret: Buffer): SessionTokens {
    return new SessionTokens(Buffer.from(secret));
  }

  token(session: string): string {
    if (!SESSION_ID.test(session)) throw new Error(`not a session id: ${JSON.stringify(session)}`);
    return createHmac('sha256', this.secret).update(session).digest('hex');
  }

  /** Whether token is session's; in constant time, whatever a peer sends. */
  holds(session: unknown, token: unknown): boolean {
    if (typeof session !== 'string' || typeof token !== 'string') return false;
    if (!SESSION_ID.test(session) || !TOKEN.test(token)) return false;
    return timingSafeEqual(Buffer.from(this.token(session), 'hex'), Buffer.from(token, 'hex'));
  }
}
