/** Short ids an operator can type: `s-` for sessions, `d-` for decisions; and the one way an id becomes a path. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SESSION_ID } from '../protocol/ops.js';

export function newId(prefix: 's' | 'd', taken: (id: string) => boolean): string {
  for (;;) {
    const id = `${prefix}-${randomBytes(3).toString('hex')}`;
    if (!taken(id)) return id;
  }
}

export function isSessionId(id: unknown): id is string {
  return typeof id === 'string' && SESSION_ID.test(id);
}

/** The folder of a session's files under the node's sessions folder; an id that is not one is refused. */
export function sessionDir(sessions: string, id: string): string {
  if (!isSessionId(id))
    throw new Error(`refusing to use ${JSON.stringify(id)} as a session's folder: not a session id`);
  return join(sessions, id);
}
