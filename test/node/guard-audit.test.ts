/**
 * The guard's refusals in the audit trail cannot flood it: callers that are no session (no valid token) and a
 * session repeating a refused call make a few entries a minute, and one more that counts the rest.
 */
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditInput } from '../../src/audit/sink.js';
import { GUARD_HELLO } from '../../src/compiler/guard-hook.js';
import { GuardAudit, NO_SESSION, PER_SESSION } from '../../src/node/guard-audit.js';
import { startResidentGuard } from '../../src/node/guard-wiring.js';
import type { NodePaths } from '../../src/paths/node-home.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length) await cleanups.pop()?.();
});

function exchange(socket: string, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(socket);
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('close', () => resolve(out));
    c.end(data);
  });
}

const block = (session: string | null, summary: string): AuditInput & { session: string | null } => ({
  kind: 'guard-block',
  by: 'policy:guard',
  session,
  summary,
  detail: {},
});

describe("the guard's refusals in the audit trail", () => {
  it('a flood from a caller with no valid token: a few entries, and one that counts the rest', async () => {
    const dir = tempDir('agency-guard-audit-');
    cleanups.push(dir.remove);
    mkdirSync(join(dir.path, 'run'));
    const paths = { socket: join(dir.path, 'run', 'node.sock') } as NodePaths;
    const entries: AuditInput[] = [];
    const guard = await startResidentGuard(paths, { holds: () => false }, () => null, {
      append: (e) => entries.push(e),
    });
    const socket = join(dir.path, 'run', 'guard.sock');
    for (let i = 0; i < 60; i++) {
      const answer = await exchange(socket, `${GUARD_HELLO} s-${i} forged-token\n{"tool_name":"Bash"}`);
      expect(answer).toMatch(/^deny /);
    }
    expect(entries).toHaveLength(NO_SESSION);
    expect(entries.every((e) => e.session === null)).toBe(true);
    await guard.close();
    expect(entries).toHaveLength(NO_SESSION + 1);
    expect(entries.at(-1)).toMatchObject({
      session: null,
      summary: expect.stringMatching(
        /^guard blocked 55 more calls of callers that are no session of this node within a minute/,
      ) as unknown,
      detail: { repeated: 55 },
    });
  });

  it("a session's repeated refusal is counted, its different ones written up to its allowance; the count is written when the minute ends", () => {
    vi.useFakeTimers({ now: new Date('2026-12-05T12:00:00Z') });
    const entries: AuditInput[] = [];
    const g = new GuardAudit({ append: (e) => entries.push(e) });
    for (let i = 0; i < 100; i++) g.deny(block('s-1', 'guard blocked Bash rm -rf /: forbidden'));
    for (let i = 0; i < 30; i++) g.deny(block('s-1', `guard blocked Bash cat /etc/secret-${i}: forbidden`));
    g.deny(block('s-2', 'guard blocked Bash rm -rf /: forbidden'));
    expect(entries.map((e) => e.session)).toEqual([...Array<string>(PER_SESSION).fill('s-1'), 's-2']);
    vi.advanceTimersByTime(60_000);
    expect(entries).toHaveLength(PER_SESSION + 2);
    expect(entries.at(-1)).toMatchObject({
      session: 's-1',
      detail: { repeated: 99 + 30 - (PER_SESSION - 1), last: 'guard blocked Bash cat /etc/secret-29: forbidden' },
    });
    // a new minute: the refusal is written again
    g.deny(block('s-1', 'guard blocked Bash rm -rf /: forbidden'));
    expect(entries).toHaveLength(PER_SESSION + 3);
  });
});
