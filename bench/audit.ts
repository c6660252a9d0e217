/**
 * The audit trail: one append (redacted, bounded, hashed and chained, written, the head rewritten) per event,
 * p50 and p95 in µs, against appending the same line to a file with no redaction, hashing or head; and
 * `verify` over the trail, per 100,000 entries, against reading every entry back (paged, parsed, no hashing). Run alone: `npm run bench -- audit`.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../src/audit/log.js';
import type { AuditInput } from '../src/audit/sink.js';
import { percentile, report } from './stats.js';

const event = (i: number): AuditInput => ({
  kind: 'decision-answered',
  by: 'operator',
  session: 's-3f9a1c',
  summary: `approved: Bash npm test -- --reporter dot && git status (call ${i})`,
  detail: { decision: `d-${i}`, source: 'hook', tool: 'Bash', call: 'npm test -- --reporter dot', state: 'approved' },
});

export async function benchAudit(count = 20_000, verifyEntries = 100_000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agency-bench-audit-'));
  try {
    const log = AuditLog.open({ dir: join(dir, 'audit'), node: 'bench', env: process.env });
    const plainFd = openSync(join(dir, 'plain.jsonl'), 'a');
    const line = `${JSON.stringify({ seq: 1, at: new Date().toISOString(), node: 'bench', ...event(0), prev: '0'.repeat(64) })}\n`;
    const audited: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < count; i++) {
      let t = process.hrtime.bigint();
      log.append(event(i));
      audited.push(Number(process.hrtime.bigint() - t) / 1000);
      t = process.hrtime.bigint();
      writeSync(plainFd, line);
      plain.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    closeSync(plainFd);
    for (const p of [50, 95])
      report(`audit append p${p} (${count} events)`, percentile(audited, p), 'µs', percentile(plain, p), 'plain write');
    for (let i = count; i < verifyEntries; i++) log.append(event(i));
    const t = performance.now();
    const v = await log.verify();
    const ms = performance.now() - t;
    if (!v.ok || v.entries !== verifyEntries)
      throw new Error(`verify: ${JSON.stringify(v.broken)} (${v.entries} entries)`);
    // the baseline: every entry read back and parsed, a page at a time, as `agency audit` reads a node's
    const t2 = performance.now();
    let after = 0;
    for (;;) {
      const page = await log.read({ after, limit: 10_000 });
      if (page.entries.length === 0) break;
      after = page.entries.at(-1)!.seq;
      if (!page.more) break;
    }
    const readMs = performance.now() - t2;
    report(
      `audit verify per 100k entries (${v.files.length} files)`,
      (ms * 100_000) / verifyEntries,
      'ms',
      (readMs * 100_000) / verifyEntries,
      'read and parse, paged',
    );
    log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAudit();
