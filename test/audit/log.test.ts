import { createHash } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { verifyLine } from '../../src/cli/audit-command.js';
import { recordStart } from '../../src/node/audit-events.js';
import type { AuditEntry } from '../../src/protocol/economics.js';
import type { NodeInfo } from '../../src/protocol/messages.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let dir: string;
const open: AuditLog[] = [];

beforeEach(() => {
  tmp = tempDir('agency-audit-');
  dir = join(tmp.path, 'audit');
});
afterEach(() => {
  for (const l of open.splice(0)) l.close();
  tmp.remove();
});

function openLog(o: { maxBytes?: number; env?: NodeJS.ProcessEnv; onTrouble?: (m: string) => void } = {}): AuditLog {
  const l = AuditLog.open({ dir, node: 'n1', env: {}, ...o });
  open.push(l);
  return l;
}

function closeAll(): void {
  for (const l of open.splice(0)) l.close();
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const files = () =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
const linesOf = (f: string) => readFileSync(join(dir, f), 'utf8').split('\n').slice(0, -1);
/** every line of the trail, with the file and line it is at */
function allLines(): { file: string; line: number; text: string }[] {
  return files().flatMap((file) => linesOf(file).map((text, i) => ({ file, line: i + 1, text })));
}

function fill(log: AuditLog, n: number, session = 's-aaaa'): void {
  for (let i = 0; i < n; i++)
    log.append({ kind: 'run', by: 'operator', session, summary: `entry number ${i + 1} of the test`, detail: { i } });
}

/** Changes one byte of entry seq's summary, keeping the line JSON. */
function changeByte(seq: number): { file: string; line: number } {
  const at = allLines().find((l) => (JSON.parse(l.text) as AuditEntry).seq === seq)!;
  const lines = linesOf(at.file);
  lines[at.line - 1] = at.text.replace('entry number', 'entry numbeR');
  expect(lines[at.line - 1]).not.toBe(at.text);
  writeFileSync(join(dir, at.file), `${lines.join('\n')}\n`);
  return at;
}

describe('the audit log', () => {
  it('appends entries chained by the hash of the line before, and reads them back', async () => {
    const log = openLog();
    fill(log, 3);
    log.append({ kind: 'pause', by: 'operator', session: 's-bbbb', summary: 'paused', detail: {} });
    const lines = allLines();
    expect(lines).toHaveLength(4);
    const parsed = lines.map((l) => JSON.parse(l.text) as AuditEntry);
    expect(parsed.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(parsed[0]!.prev).toBe('0'.repeat(64));
    for (let i = 1; i < 4; i++) expect(parsed[i]!.prev).toBe(sha(lines[i - 1]!.text));
    expect(Object.keys(parsed[0]!)).toEqual([
      'seq',
      'at',
      'node',
      'kind',
      'session',
      'by',
      'summary',
      'detail',
      'prev',
    ]);
    expect(parsed[3]).toMatchObject({ node: 'n1', kind: 'pause', session: 's-bbbb', by: 'operator' });

    expect((await log.read({ session: 's-bbbb' })).entries.map((e) => e.seq)).toEqual([4]);
    const page = await log.read({ after: 1, limit: 2 });
    expect(page.entries.map((e) => e.seq)).toEqual([2, 3]);
    expect(page.more).toBe(true);
    expect((await log.read({ after: 3, limit: 2 })).more).toBe(false);
    expect((await log.read({ since: new Date(Date.now() + 60_000).toISOString() })).entries).toEqual([]);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 4, broken: null });
  });

  it('goes on from the last entry after a restart', async () => {
    fill(openLog(), 3);
    closeAll();
    const log = openLog();
    expect(log.damage).toEqual([]);
    fill(log, 2);
    const parsed = allLines().map((l) => JSON.parse(l.text) as AuditEntry);
    expect(parsed.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(parsed[3]!.prev).toBe(sha(allLines()[2]!.text));
    expect(await log.verify()).toMatchObject({ ok: true, entries: 5 });
  });

  it('rotates by size, naming files in order, with the chain carried across', async () => {
    const log = openLog({ maxBytes: 1000 });
    fill(log, 30);
    const names = files();
    expect(names.length).toBeGreaterThan(3);
    for (const f of names) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(1000);
    const lines = allLines();
    expect(lines.map((l) => (JSON.parse(l.text) as AuditEntry).seq)).toEqual([...Array(30).keys()].map((i) => i + 1));
    // each file is named by its first entry's seq; its first entry chains to the last of the file before
    for (let i = 1; i < names.length; i++) {
      const first = JSON.parse(linesOf(names[i]!)[0]!) as AuditEntry;
      expect(names[i]).toBe(`audit-${String(first.seq).padStart(12, '0')}.jsonl`);
      expect(first.prev).toBe(sha(linesOf(names[i - 1]!).at(-1)!));
    }
    expect((await log.read({ after: 20, limit: 3 })).entries.map((e) => e.seq)).toEqual([21, 22, 23]);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 30, files: names });
    closeAll();
    const again = openLog({ maxBytes: 1000 });
    fill(again, 1);
    expect(await again.verify()).toMatchObject({ ok: true, entries: 31 });
  });

  it('sets a line cut short by a crash aside, names it, and keeps the chain verifiable', async () => {
    fill(openLog(), 3);
    closeAll();
    const torn = '{"seq":4,"at":"2026-01-01T00:00:00.000Z","node":"n1","ki';
    appendFileSync(join(dir, files()[0]!), torn);
    const log = openLog();
    expect(log.damage).toHaveLength(1);
    expect(log.damage[0]).toContain('line 4');
    expect(log.damage[0]).toContain('cut short');
    const aside = readdirSync(dir).find((f) => f.includes('.torn-4'))!;
    expect(readFileSync(join(dir, aside), 'utf8')).toBe(torn);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 3 });
    fill(log, 1);
    const last = JSON.parse(allLines().at(-1)!.text) as AuditEntry;
    expect(last.seq).toBe(4);
    expect(last.prev).toBe(sha(allLines()[2]!.text));
    expect(await log.verify()).toMatchObject({ ok: true, entries: 4 });
  });

  it('keeps no secret and bounds what it keeps', () => {
    const env = {
      ANTHROPIC_API_KEY: 'sk-ant-api03-abcdefghijklmnop',
      DEPLOY_TOKEN: 'hunter2-hunter2-xyz',
      PATH: '/usr/bin',
    };
    const log = openLog({ env });
    log.append({
      kind: 'run',
      by: 'operator',
      session: 's-aaaa',
      summary: `run with hunter2-hunter2-xyz and GITHUB_TOKEN=ghp_0123456789abcdefABCDEF and ${'x'.repeat(2000)}`,
      detail: {
        repo: 'https://bob:pa55w0rd@example.com/r.git',
        GH_TOKEN: 'plain-secret-value',
        nested: { header: 'Authorization: Bearer abcdefghijklmnopq', key: 'sk-ant-api03-abcdefghijklmnop' },
        list: Array.from({ length: 200 }, (_, i) => i),
        slack: 'xoxb-1234-5678-abcdefgh',
      },
    });
    const text = readFileSync(join(dir, files()[0]!), 'utf8');
    for (const secret of [
      'sk-ant-api03-abcdefghijklmnop',
      'hunter2-hunter2-xyz',
      'ghp_0123456789abcdefABCDEF',
      'pa55w0rd',
      'plain-secret-value',
      'abcdefghijklmnopq',
      'xoxb-1234-5678-abcdefgh',
    ])
      expect(text).not.toContain(secret);
    const e = JSON.parse(text) as AuditEntry;
    expect(e.summary.length).toBeLessThanOrEqual(300);
    expect((e.detail.list as unknown[]).length).toBe(51);
    expect(e.detail.repo).toBe('https://example.com/r.git');
    expect(e.detail.GH_TOKEN).toBe('[redacted]');
  });
});

describe('audit verify names the first broken entry', () => {
  it('for a byte changed in the middle', async () => {
    const log = openLog();
    fill(log, 10);
    const at = changeByte(5);
    expect((await log.verify()).broken).toMatchObject({ seq: 5, file: at.file, line: at.line });
  });

  it('for a byte changed in the first entry', async () => {
    const log = openLog();
    fill(log, 10);
    expect((await log.verify()).ok).toBe(true);
    changeByte(1);
    expect((await log.verify()).broken).toMatchObject({ seq: 1, line: 1 });
  });

  it('for a byte changed in the last entry', async () => {
    const log = openLog();
    fill(log, 10);
    changeByte(10);
    const r = await log.verify();
    expect(r.ok).toBe(false);
    expect(r.broken).toMatchObject({ seq: 10, line: 10 });
  });

  it('for the last entry changed while the node was down, once more entries follow', async () => {
    fill(openLog(), 10);
    closeAll();
    changeByte(10);
    const log = openLog();
    expect(log.damage.join(' ')).toContain('seq 10');
    fill(log, 3);
    expect((await log.verify()).broken).toMatchObject({ seq: 10, line: 10 });
  });

  it('for a changed prev field (its own entry, not the one before)', async () => {
    const log = openLog();
    fill(log, 10);
    const lines = linesOf(files()[0]!);
    const e = JSON.parse(lines[6]!) as AuditEntry;
    lines[6] = lines[6]!.replace(e.prev, `${e.prev[0] === 'a' ? 'b' : 'a'}${e.prev.slice(1)}`);
    writeFileSync(join(dir, files()[0]!), `${lines.join('\n')}\n`);
    expect((await log.verify()).broken).toMatchObject({ seq: 7, line: 7 });
  });

  it('across a rotation boundary', async () => {
    const log = openLog({ maxBytes: 1000 });
    fill(log, 30);
    const second = files()[1]!;
    const lastOfFirst = JSON.parse(linesOf(files()[0]!).at(-1)!) as AuditEntry;
    const firstOfSecond = JSON.parse(linesOf(second)[0]!) as AuditEntry;
    changeByte(lastOfFirst.seq);
    expect((await log.verify()).broken).toMatchObject({ seq: lastOfFirst.seq, file: files()[0] });
    // put it back, then change the first of the next file
    writeFileSync(join(dir, files()[0]!), readFileSync(join(dir, files()[0]!), 'utf8').replace('numbeR', 'number'));
    expect((await log.verify()).ok).toBe(true);
    changeByte(firstOfSecond.seq);
    expect((await log.verify()).broken).toMatchObject({ seq: firstOfSecond.seq, file: second, line: 1 });
  });

  it('for a deleted line', async () => {
    const log = openLog();
    fill(log, 10);
    const lines = linesOf(files()[0]!);
    lines.splice(4, 1);
    writeFileSync(join(dir, files()[0]!), `${lines.join('\n')}\n`);
    const r = await log.verify();
    expect(r.broken).toMatchObject({ seq: 5, line: 5 });
    expect(r.broken!.why).toContain('missing');
  });

  it('for lines out of order', async () => {
    const log = openLog();
    fill(log, 10);
    const lines = linesOf(files()[0]!);
    [lines[3], lines[4]] = [lines[4]!, lines[3]!];
    writeFileSync(join(dir, files()[0]!), `${lines.join('\n')}\n`);
    expect((await log.verify()).broken).toMatchObject({ seq: 4, line: 4 });
  });

  it('for files swapped', async () => {
    const log = openLog({ maxBytes: 1000 });
    fill(log, 30);
    const [a, b] = files();
    const ta = readFileSync(join(dir, a!));
    writeFileSync(join(dir, a!), readFileSync(join(dir, b!)));
    writeFileSync(join(dir, b!), ta);
    expect((await log.verify()).broken).toMatchObject({ seq: 1, file: a, line: 1 });
  });

  it('for a line that does not parse, and for entries removed from the end', async () => {
    const log = openLog();
    fill(log, 10);
    const lines = linesOf(files()[0]!);
    const original = [...lines];
    lines[2] = lines[2]!.slice(0, 20);
    writeFileSync(join(dir, files()[0]!), `${lines.join('\n')}\n`);
    expect((await log.verify()).broken).toMatchObject({ seq: null, line: 3 });
    writeFileSync(join(dir, files()[0]!), `${original.slice(0, 8).join('\n')}\n`);
    closeAll();
    const again = openLog();
    expect(again.damage.join(' ')).toContain('removed');
    fill(again, 2);
    expect((await again.verify()).broken).toMatchObject({ seq: 9 });
  });
});

describe('a trail cut short while the node was down', () => {
  /** a start of the node, as the daemon records it: what it found wrong is in its entry */
  const start = (log: AuditLog) =>
    recordStart(log, dir, { build: 'dev', agentVersion: '0.0.0', pid: 1, host: 'h' } as NodeInfo, log.damage);

  it('the newest file and head removed together: the copy of the head tells, verify fails, no name is reused', async () => {
    const log = openLog({ maxBytes: 1000 });
    fill(log, 30);
    closeAll();
    const removed = files().at(-1)!;
    rmSync(join(dir, removed));
    rmSync(join(dir, 'head'));
    const again = openLog({ maxBytes: 1000 });
    expect(again.damage.join(' ')).toMatch(/its copy in .* says seq 30/);
    expect(again.damage.join(' ')).toContain('entries were removed');
    start(again);
    fill(again, 40);
    expect(readdirSync(dir)).not.toContain(removed);
    expect(files()).toContain('audit-000000000031.jsonl');
    const v = await again.verify();
    expect(v.ok).toBe(false);
    expect(v.broken!.why).toMatch(/missing/);
  });

  it('head and its copy removed with the newest file: the start that found it is named, and verify never says ok', async () => {
    const log = openLog({ maxBytes: 1000 });
    fill(log, 30);
    closeAll();
    rmSync(join(dir, files().at(-1)!));
    rmSync(join(dir, 'head'));
    rmSync(`${dir}.head`);
    const again = openLog({ maxBytes: 1000 });
    expect(again.damage).toHaveLength(1);
    start(again);
    fill(again, 3);
    const v = await again.verify();
    expect(v.ok).toBe(false);
    const startEntry = allLines().find((l) => (JSON.parse(l.text) as AuditEntry).kind === 'node-start')!;
    expect(v.broken).toEqual({
      seq: (JSON.parse(startEntry.text) as AuditEntry).seq,
      file: startEntry.file,
      line: startEntry.line,
      why: expect.stringMatching(
        /^the node found the trail damaged when it started: the record of the last entry \(head\) was missing/,
      ) as unknown,
    });
    closeAll();
    expect((await openLog({ maxBytes: 1000 }).verify()).ok).toBe(false);
  });

  it('a start that found nothing wrong leaves verify ok', async () => {
    fill(openLog(), 3);
    closeAll();
    const log = openLog();
    start(log);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 4 });
  });
});

describe('an append never throws into its caller', () => {
  it('after close: dropped, with one warning', async () => {
    const warnings: string[] = [];
    const log = openLog({ onTrouble: (m) => warnings.push(m) });
    fill(log, 2);
    log.close();
    expect(() => fill(log, 3)).not.toThrow();
    expect(warnings).toEqual([expect.stringContaining('after the trail') as unknown]);
    expect(allLines()).toHaveLength(2);
    closeAll();
    expect(await openLog().verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it('a full disk: told once, entries lost are counted in the next one written, and the chain holds', async () => {
    const warnings: string[] = [];
    const log = openLog({ maxBytes: 100, onTrouble: (m) => warnings.push(m) });
    fill(log, 1);
    // the next file is on a device that answers every write with ENOSPC
    const next = 'audit-000000000002.jsonl';
    symlinkSync('/dev/full', join(dir, next));
    expect(() => fill(log, 3)).not.toThrow();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot be written \(.*ENOSPC/);
    expect(log.lastSeq).toBe(1);
    rmSync(join(dir, next));
    fill(log, 1);
    const last = JSON.parse(allLines().at(-1)!.text) as AuditEntry;
    expect(last).toMatchObject({ seq: 2, detail: { i: 0, missedBefore: 3 } });
    expect(await log.verify()).toMatchObject({ ok: true, entries: 2 });
  });
});

describe('old files archived', () => {
  it('verify starts at the oldest file left, and the command names where it starts; a file gone in the middle is still named', async () => {
    const log = openLog({ maxBytes: 1000 });
    fill(log, 30);
    const names = files();
    const archived = linesOf(names[0]!).length + linesOf(names[1]!).length;
    rmSync(join(dir, names[0]!));
    rmSync(join(dir, names[1]!));
    const v = await log.verify();
    expect(v).toMatchObject({ ok: true, entries: 30 - archived });
    expect(verifyLine(v)).toBe(
      `n1: ok (${30 - archived} entries in ${names.length - 2} files, from seq ${archived + 1}: older files archived or removed)`,
    );
    rmSync(join(dir, names[3]!));
    expect((await log.verify()).broken!.why).toMatch(/missing/);
  });
});
