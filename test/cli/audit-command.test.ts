import { describe, expect, it } from 'vitest';
import { auditLine, mergeByTime, verifyLine } from '../../src/cli/audit-command.js';
import type { AuditEntry } from '../../src/protocol/economics.js';

const entry = (node: string, seq: number, at: string, more: Partial<AuditEntry> = {}): AuditEntry => ({
  seq,
  at,
  node,
  kind: 'run',
  session: 's-abc123',
  by: 'operator',
  summary: 'run backend: fix it',
  detail: {},
  prev: '0'.repeat(64),
  ...more,
});

describe('agency audit', () => {
  it('merges the nodes by time, then node, then seq', () => {
    const merged = mergeByTime([
      entry('b', 1, '2026-01-01T00:00:02.000Z'),
      entry('a', 2, '2026-01-01T00:00:01.000Z'),
      entry('b', 2, '2026-01-01T00:00:01.000Z'),
      entry('a', 1, '2026-01-01T00:00:01.000Z'),
    ]);
    expect(merged.map((e) => `${e.node}${e.seq}`)).toEqual(['a1', 'a2', 'b2', 'b1']);
  });

  it('writes one safe line per entry, and each node verdict', () => {
    const line = auditLine(entry('gpu-1', 3, '2026-01-01T12:34:56.789Z', { summary: 'evil \u001b[2J\nnext' }));
    expect(line).toMatch(/^2026-01-01 12:34:56 gpu-1 +run +operator +s-abc123 +evil /);
    expect(line).not.toContain('\u001b');
    expect(line).not.toContain('\n');
    expect(verifyLine({ node: 'n', ok: true, entries: 3, files: ['f'], broken: null })).toBe(
      'n: ok (3 entries in 1 file)',
    );
    expect(
      verifyLine({
        node: 'n',
        ok: false,
        entries: 3,
        files: ['f'],
        broken: { seq: 2, file: 'f', line: 2, why: 'changed' },
      }),
    ).toBe('n: BROKEN at seq 2 (f line 2): changed');
  });
});
