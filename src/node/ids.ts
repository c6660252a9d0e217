/** Short ids an operator can type: `s-` for sessions, `d-` for decisions. */
import { randomBytes } from 'node:crypto';

export function newId(prefix: 's' | 'd', taken: (id: string) => boolean): string {
  for (;;) {
    const id = `${prefix}-${randomBytes(3).toString('hex')}`;
    if (!taken(id)) return id;
  }
}
