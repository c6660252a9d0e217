/** What the node records from its session table: text reaches the trail whole, so a secret is blanked before any cut. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { auditTable, type SessionTable } from '../../src/node/audit-events.js';
import type { Decision, NodeEvent, SessionSummary } from '../../src/protocol/messages.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

/** A session table that tells what it is given. */
function table(): SessionTable & { tell(e: NodeEvent): void } {
  const listeners = new Set<(e: NodeEvent) => void>();
  return {
    onEvent: (f) => (listeners.add(f), () => listeners.delete(f)),
    snapshot: () => ({ sessions: [], decisions: [] }),
    tell: (e) => listeners.forEach((f) => f(e)),
  };
}

const SECRET = 'Qm7vT2xLp9RkW4nZs8Hd';

function trail() {
  const tmp = tempDir('agency-audit-events-');
  cleanups.push(tmp.remove);
  const dir = join(tmp.path, 'audit');
  const log = AuditLog.open({ dir, node: 'n1', env: { DEPLOY_TOKEN: SECRET } });
  cleanups.push(() => log.close());
  const t = table();
  auditTable(t, log, join(tmp.path, 'sessions'));
  const text = () => readFileSync(join(dir, 'audit-000000000001.jsonl'), 'utf8');
  return { t, text };
}

describe('the audit trail of the session table', () => {
  // placed so that a cut at 160, 200 or 300 characters falls inside the secret
  for (const at of [150, 190, 290, 995])
    it(`a secret the task holds at character ${at} is blanked whole, never kept in part`, () => {
      const { t, text } = trail();
      const task = `${'x'.repeat(at)} ${SECRET} and more`;
      t.tell({
        kind: 'session',
        session: {
          id: 's-1',
          discipline: 'backend',
          task,
          repo: '/r',
          branch: 'b',
          model: null,
          worktree: '/w',
        } as unknown as SessionSummary,
      });
      const d = {
        id: 'd-1',
        session: 's-1',
        source: 'hook',
        tool: 'Bash',
        summary: task,
        state: 'open',
      } as unknown as Decision;
      t.tell({ kind: 'decision', decision: d });
      t.tell({ kind: 'decision', decision: { ...d, state: 'denied', reason: task, by: 'operator' } });
      const out = text();
      expect(out).toContain('decision-answered');
      for (let n = 4; n <= SECRET.length; n++) expect(out).not.toContain(SECRET.slice(0, n));
    });
});
