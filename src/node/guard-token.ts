/**
 * The token a session's guard hook shows the node's resident guard: an HMAC of a secret only the node
 * knows and the session's id, so that a hook is answered for its own session only. The secret is kept in
 * the node's private run folder, so that tokens compiled into a session survive a restart of the node.
 * (One function to change when the node's sessions carry a token for all their connections.)
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SessionTokens {
  tokenFor(id: string): string;
  check(id: string, token: string): boolean;
}

export function sessionTokens(runDir: string): SessionTokens {
  const file = join(runDir, 'guard.key');
  let secret: Buffer;
  try {
    secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (secret.length < 32) throw new Error('short');
  } catch {
    secret = randomBytes(32);
    writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600 });
  }
  const tokenFor = (id: string) => createHmac('sha256', secret).update(id).digest('hex');
  return {
    tokenFor,
    check(id, token) {
      const want = Buffer.from(tokenFor(id));
      const got = Buffer.from(token);
      return got.length === want.length && timingSafeEqual(got, want);
    },
  };
}
