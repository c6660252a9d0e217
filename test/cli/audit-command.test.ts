import { describe, expect, it } from 'vitest';
import { auditLine, mergeByTime, verifyLine } from '../../src/cli/audit-command.js';
import { parseSince } from '../../src/cli/since.js';
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
  it('--since takes ISO, today, or a span back from now, and says what it takes otherwise', () => {
    const now = new Date('2026-03-04T10:00:00.000Z');
    expect(parseSince('2h', now)).toBe('2026-03-04T08:00:00.000Z');
    expect(parseSince('30m', now)).toBe('2026-03-04T09:30:00.000Z');
    expect(parseSince('7d', now)).toBe('2026-02-25T10:00:00.000Z');
    expect(parseSince('2026-03-01T09:30Z', now)).toBe('2026-03-01T09:30:00.000Z');
    const today = new Date(parseSince('today', now));
    expect([today.getHours(), today.getMinutes(), today.getDate()]).toEqual([0, 0, now.getDate()]);
    expect(new Date(parseSince('2026-03-01', now)).getHours()).toBe(0);
    for (const bad of ['2x', 'yesterday', '', '2026-13-45'])
      expect(() => parseSince(bad, now)).toThrow(/is not a time: give an ISO date or time/);
  });

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
