import { describe, expect, it } from 'vitest';
import {
  auditLine,
  jsonEntries,
  mergeByTime,
  mergeStreams,
  verifyLine,
  type AuditPage,
} from '../../src/cli/audit-command.js';
import { safeJson, versioned } from '../../src/cli/output.js';
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

/** A node's trail of `n` entries, one a second from `start`, served `size` a page as the node serves them. */
function trail(node: string, n: number, start: number, size: number, fetched: string[], failAt?: number): AuditPage {
  const all = Array.from({ length: n }, (_, i) =>
    entry(node, i + 1, new Date(Date.UTC(2026, 0, 1) + (start + i * 3) * 1000).toISOString()),
  );
  return async (after) => {
    fetched.push(`${node}>${after}`);
    if (failAt !== undefined && after >= failAt) throw new Error('connection lost');
    const entries = all.filter((e) => e.seq > after).slice(0, size);
    return { entries, more: entries.length === size && entries.at(-1)!.seq < n };
  };
}

describe('agency audit, streamed', () => {
  it('merges the nodes as their pages come, holding a page per node, each node in the order it wrote', async () => {
    const fetched: string[] = [];
    const out: string[] = [];
    let fetchedAtFirst = 0;
    const count = await mergeStreams(
      [
        { node: 'a', page: trail('a', 7, 0, 2, fetched) },
        { node: 'b', page: trail('b', 5, 1, 2, fetched) },
        { node: 'c', page: trail('c', 0, 0, 2, fetched) },
      ],
      (e) => {
        if (out.length === 0) fetchedAtFirst = fetched.length;
        out.push(`${e.node}${e.seq}`);
      },
      () => expect.unreachable(),
    );
    expect(count).toBe(12);
    // times: a at 0,3,6,…; b at 1,4,7,…
    expect(out).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4', 'a5', 'b5', 'a6', 'a7']);
    expect(fetchedAtFirst).toBe(3);
    expect(fetched.filter((f) => f.startsWith('a'))).toEqual(['a>0', 'a>2', 'a>4', 'a>6']);
  });

  it('a node lost halfway is named; what it gave and the other nodes are printed', async () => {
    const fetched: string[] = [];
    const out: string[] = [];
    const failed: string[] = [];
    await mergeStreams(
      [
        { node: 'a', page: trail('a', 4, 0, 2, fetched) },
        { node: 'b', page: trail('b', 6, 1, 2, fetched, 2) },
      ],
      (e) => out.push(`${e.node}${e.seq}`),
      (node, error) => failed.push(`${node}: ${error}`),
    );
    expect(failed).toEqual(['b: connection lost']);
    expect(out).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'a4']);
  });

  it('--json written as it comes is the very document printJson writes', () => {
    for (const entries of [
      [],
      [
        entry('a', 1, '2026-01-01T00:00:00.000Z', { detail: { x: [1, 'y\u001b'] } }),
        entry('b', 2, '2026-01-01T00:00:01.000Z'),
      ],
    ]) {
      for (const unreachable of [[], [{ node: 'gpu-1', error: 'down' }]]) {
        let text = '';
        const j = jsonEntries((t) => (text += t));
        for (const e of entries) j.entry(e);
        j.end(unreachable);
        expect(text).toBe(`${safeJson(versioned({ entries, unreachable }), 2)}\n`);
      }
    }
  });
});
