/**
 * The audit trail's files in its folder: `audit-<first seq>.jsonl`, the first seq zero-padded so that names
 * sort in the order of the chain, and `head`, the seq and hash of the last entry the node wrote.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { AuditEntry } from '../protocol/economics.js';

export const HEAD_FILE = 'head';
export const GENESIS = '0'.repeat(64);
/** A line longer than this is never written (entries are bounded well below it). */
export const MAX_LINE = 64 * 1024;

const FILE_NAME = /^audit-(\d{12})\.jsonl$/;

export function fileName(firstSeq: number): string {
  return `audit-${String(firstSeq).padStart(12, '0')}.jsonl`;
}

export interface TrailFile {
  name: string;
  /** the seq its name says its first entry has */
  first: number;
}

/** The trail's files, in the order of the chain. */
export function trailFiles(dir: string): TrailFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .map((name) => ({ name, m: FILE_NAME.exec(name) }))
    .filter((x) => x.m)
    .map((x) => ({ name: x.name, first: Number(x.m![1]) }))
    .sort((a, b) => a.first - b.first);
}

export function lineHash(line: Buffer | string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** The head record: fixed length, so that it is rewritten in place with one write. */
export function headRecord(seq: number, hash: string): Buffer {
  return Buffer.from(`${String(seq).padStart(16, '0')} ${hash}\n`);
}

export interface Head {
  seq: number;
  hash: string;
}

/** The head as written, or null if there is none or it does not read as one. */
export function readHead(dir: string): Head | null {
  return readHeadFile(join(dir, HEAD_FILE));
}

/** A head record at `path`, or null. */
export function readHeadFile(path: string): Head | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const m = /^(\d{16}) ([0-9a-f]{64})\n$/.exec(text);
  return m ? { seq: Number(m[1]), hash: m[2]! } : null;
}

/** An entry read back: the shape the node writes, or null for a line that is not one. */
export function parseEntry(line: string): AuditEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const e = v as Record<string, unknown>;
  const ok =
    Number.isSafeInteger(e.seq) &&
    (e.seq as number) >= 1 &&
    typeof e.at === 'string' &&
    typeof e.node === 'string' &&
    typeof e.kind === 'string' &&
    (e.session === null || typeof e.session === 'string') &&
    typeof e.by === 'string' &&
    typeof e.summary === 'string' &&
    !!e.detail &&
    typeof e.detail === 'object' &&
    !Array.isArray(e.detail) &&
    typeof e.prev === 'string' &&
    /^[0-9a-f]{64}$/.test(e.prev);
  return ok ? (v as AuditEntry) : null;
}

/** An entry as its line: the keys in one order, so that an entry read back and written again is the same line. */
export function entryLine(e: AuditEntry): string {
  const { seq, at, node, kind, session, by, summary, detail, prev } = e;
  return JSON.stringify({ seq, at, node, kind, session, by, summary, detail, prev });
}

/** The complete lines of a file's content, each with its number (from 1), and what follows the last newline. */
export function splitLines(data: Buffer): { lines: Buffer[]; rest: Buffer } {
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const nl = data.indexOf(10, start);
    if (nl < 0) break;
    lines.push(data.subarray(start, nl));
    start = nl + 1;
  }
  return { lines, rest: data.subarray(start) };
}

/** The last complete line of a file, read from its end (null if it has none). */
export function lastLineOf(path: string): Buffer | null {
  const size = statSync(path).size;
  if (size === 0) return null;
  const len = Math.min(size, 2 * MAX_LINE);
  const buf = Buffer.alloc(len);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, len, size - len);
  } finally {
    closeSync(fd);
  }
  const end = buf.lastIndexOf(10);
  if (end < 0) return null;
  const start = end > 0 ? buf.lastIndexOf(10, end - 1) + 1 : 0;
  if (start === 0 && len < size) return null;
  return buf.subarray(start, end);
}
