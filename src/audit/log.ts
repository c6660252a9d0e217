/**
 * A node's audit trail: one JSON line per entry in `<home>/audit/`, each chained to the one before by the
 * SHA-256 of that entry's line (`prev`; 64 zeros for the first ever), so that a line changed, removed or
 * moved after it was written is found by `verify` (verify.ts). Files are rotated by size and the chain
 * goes on across them: a new file's first entry chains to the old file's last. The files are only ever
 * appended to; old ones are kept (archiving them is the operator's call).
 *
 * Beside them, `head` holds the seq and hash of the last entry written, rewritten in place with each
 * append: it vouches for the last entry, which no later entry does yet.
 *
 * Appends are synchronous, one write each on a file kept open, and not fsynced: an fsync costs
 * milliseconds on a disk, and every module of the node appends on its own path. What a write hands the
 * kernel survives the node's process crashing; what a power cut loses is the last entries, and a line cut
 * short, which the next start finds, sets aside and names. Rotation and close do fsync the file they finish.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEntry, AuditVerify } from '../protocol/economics.js';
import type { AuditInput, AuditSink } from './sink.js';
import { boundValue, secretValues, summaryLine } from './redact.js';
import {
  entryLine,
  fileName,
  GENESIS,
  HEAD_FILE,
  headRecord,
  lastLineOf,
  lineHash,
  parseEntry,
  readHead,
  splitLines,
  trailFiles,
  type Head,
  type TrailFile,
} from './files.js';
import { verifyTrail } from './verify.js';

export const DEFAULT_AUDIT_BYTES = 4 * 1024 * 1024;
/** An entry whose detail would make its line longer than this keeps only a note of its size. */
const MAX_ENTRY = 16 * 1024;
const DEFAULT_READ = 1000;

export interface AuditLogOptions {
  /** the trail's folder (a node's is `<home>/audit`) */
  dir: string;
  node: string;
  /** a file past this many bytes is followed by a new one */
  maxBytes?: number;
  /** whose secret variables' values are blanked wherever they appear (default: the process's) */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** told once when an append cannot be written (a full disk): the entry is lost, and counted in the next */
  onTrouble?: (message: string) => void;
}

export interface AuditQuery {
  session?: string;
  /** ISO time: entries at or after it */
  since?: string;
  /** entries of a seq greater than this */
  after?: number;
  limit?: number;
}

export class AuditLog implements AuditSink {
  /** what the start found wrong with the trail as it was left: a line cut short, a head that did not match */
  readonly damage: string[] = [];
  private fd: number | null = null;
  private headFd: number | null = null;
  private current: TrailFile | null = null;
  private size = 0;
  private seq = 0;
  private hash = GENESIS;
  private missed = 0;
  private troubled = false;
  private readonly secrets: string[];
  private readonly maxBytes: number;

  private constructor(private readonly o: AuditLogOptions) {
    this.secrets = secretValues(o.env ?? process.env);
    this.maxBytes = o.maxBytes ?? DEFAULT_AUDIT_BYTES;
  }

  /** Opens the trail in dir, reading back its tail to go on from its last entry. */
  static open(o: AuditLogOptions): AuditLog {
    const log = new AuditLog(o);
    log.recover();
    return log;
  }

  /** The seq of the last entry written. */
  get lastSeq(): number {
    return this.seq;
  }

  append(input: AuditInput): void {
    const s = this.secrets;
    const entry: AuditEntry = {
      seq: this.seq + 1,
      at: (this.o.now?.() ?? new Date()).toISOString(),
      node: this.o.node,
      kind: input.kind,
      session: input.session ?? null,
      by: summaryLine(input.by, s).slice(0, 120),
      summary: summaryLine(input.summary, s),
      detail: boundValue(input.detail ?? {}, s) as Record<string, unknown>,
      prev: this.hash,
    };
    if (this.missed > 0) entry.detail = { ...entry.detail, missedBefore: this.missed };
    let line = entryLine(entry);
    if (Buffer.byteLength(line) > MAX_ENTRY) {
      entry.detail = { cut: `the detail was ${Buffer.byteLength(JSON.stringify(entry.detail))} bytes, more than kept` };
      line = entryLine(entry);
    }
    const bytes = Buffer.from(`${line}\n`);
    try {
      if (this.fd !== null && this.size > 0 && this.size + bytes.length > this.maxBytes) this.finishFile();
      if (this.fd === null) this.openFile(entry.seq);
      this.write(bytes);
    } catch (e) {
      this.missed++;
      if (!this.troubled) {
        this.troubled = true;
        this.o.onTrouble?.(
          `the audit trail in ${this.o.dir} cannot be written (${(e as Error).message}); entries are lost until it can`,
        );
      }
      return;
    }
    this.missed = 0;
    this.troubled = false;
    this.size += bytes.length;
    this.seq = entry.seq;
    this.hash = lineHash(line);
    writeSync(this.headFd!, headRecord(this.seq, this.hash), 0, undefined, 0);
  }

  /** Entries oldest first, after seq `after`, of a session and from a time when asked; `more` if the limit cut them. */
  async read(q: AuditQuery = {}): Promise<{ entries: AuditEntry[]; more: boolean }> {
    const files = trailFiles(this.o.dir);
    const after = q.after ?? 0;
    const limit = q.limit ?? DEFAULT_READ;
    const since = q.since ? new Date(q.since).toISOString() : null;
    const entries: AuditEntry[] = [];
    for (let i = 0; i < files.length; i++) {
      const path = join(this.o.dir, files[i]!.name);
      const next = files[i + 1];
      if (next && next.first - 1 <= after) continue;
      if (since && next) {
        const last = lastLineOf(path);
        const e = last && parseEntry(last.toString('utf8'));
        if (e && e.at < since) continue;
      }
      // a line being written has no newline yet: only complete lines are read
      for (const buf of splitLines(await readFile(path)).lines) {
        const e = parseEntry(buf.toString('utf8'));
        if (!e || e.seq <= after) continue;
        if (q.session !== undefined && e.session !== q.session) continue;
        if (since && e.at < since) continue;
        if (entries.length === limit) return { entries, more: true };
        entries.push(e);
      }
    }
    return { entries, more: false };
  }

  /** Walks every file and names the first entry that does not hold; entries appended meanwhile are not read. */
  verify(): Promise<AuditVerify> {
    const files = trailFiles(this.o.dir);
    const last = files.at(-1);
    return verifyTrail({
      dir: this.o.dir,
      node: this.o.node,
      files,
      ...(last && this.current && last.name === this.current.name ? { lastSize: this.size } : {}),
      head: this.seq > 0 ? { seq: this.seq, hash: this.hash } : null,
    });
  }

  close(): void {
    if (this.fd !== null) this.finishFile();
    if (this.headFd !== null) closeSync(this.headFd);
    this.headFd = null;
  }

  private write(bytes: Buffer): void {
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.fd!, bytes, done);
    } catch (e) {
      // nothing of a line that did not go whole is left to tear the chain
      if (done > 0) ftruncateSync(this.fd!, this.size);
      throw e;
    }
  }

  private finishFile(): void {
    fsyncSync(this.fd!);
    closeSync(this.fd!);
    this.fd = null;
    this.current = null;
    this.size = 0;
  }

  private openFile(firstSeq: number): void {
    const f = { name: fileName(firstSeq), first: firstSeq };
    this.fd = openSync(join(this.o.dir, f.name), 'a', 0o600);
    this.current = f;
  }

  /** Reads back the last file's tail: the seq and hash to go on from, and what is wrong with how it was left. */
  private recover(): void {
    const dir = this.o.dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const files = trailFiles(dir);
    const head = readHead(dir);
    const headExisted = existsSync(join(dir, HEAD_FILE));
    let found: { seq: number; hash: string; where: string } | null = null;
    const last = files.at(-1);
    if (last) {
      const path = join(dir, last.name);
      const data = readFileSync(path);
      const { lines, rest } = splitLines(data);
      if (rest.length > 0) {
        const aside = `${last.name}.torn-${lines.length + 1}`;
        writeFileSync(join(dir, aside), rest, { mode: 0o600 });
        truncateSync(path, data.length - rest.length);
        this.damage.push(
          `${last.name} line ${lines.length + 1}: the last entry was cut short (${rest.length} bytes of a write that did not finish, as the node stopped); set aside as ${aside}`,
        );
      }
      this.size = data.length - rest.length;
      // the file goes on being written if it is where the next entry belongs (checked below)
      this.current = last;
      found = this.lastEntry(files, lines);
    }
    this.seq = found?.seq ?? 0;
    this.hash = found?.hash ?? GENESIS;
    this.reconcile(head, headExisted, found);
    if (this.current && (this.size > 0 || this.current.first === this.seq + 1))
      this.fd = openSync(join(dir, this.current.name), 'a', 0o600);
    else {
      this.current = null;
      this.size = 0;
    }
    const headPath = join(dir, HEAD_FILE);
    this.headFd = openSync(headPath, existsSync(headPath) ? 'r+' : 'w', 0o600);
    const rec = headRecord(this.seq, this.hash);
    writeSync(this.headFd, rec, 0, undefined, 0);
    ftruncateSync(this.headFd, rec.length);
  }

  /** The last entry: in the last file's lines, or, if it has none, at the end of the files before it. */
  private lastEntry(files: TrailFile[], lastLines: Buffer[]): { seq: number; hash: string; where: string } | null {
    for (let i = files.length - 1; i >= 0; i--) {
      const f = files[i]!;
      const lines = i === files.length - 1 ? lastLines : null;
      const line = lines ? (lines.at(-1) ?? null) : lastLineOf(join(this.o.dir, f.name));
      if (!line) continue;
      const where = `${f.name} line ${lines ? lines.length : 'last'}`;
      const e = parseEntry(line.toString('utf8'));
      if (e) return { seq: e.seq, hash: lineHash(line), where };
      // not an entry: go on from the number of lines, and let verify name it
      const count = files.reduce((n, x) => n + splitLines(readFileSync(join(this.o.dir, x.name))).lines.length, 0);
      this.damage.push(`${where}: the last line does not read as an audit entry; audit verify names it`);
      return { seq: count, hash: lineHash(line), where };
    }
    return null;
  }

  /** Checks the trail's end against the head the node last wrote; the next entry chains to what the head vouches for. */
  private reconcile(head: Head | null, headExisted: boolean, found: { seq: number; where: string } | null): void {
    if (!head) {
      if (found)
        this.damage.push(
          `the record of the last entry (${HEAD_FILE}) was ${headExisted ? 'unreadable' : 'missing'}; the trail's last entry, seq ${found.seq} (${found.where}), is taken as it is`,
        );
      return;
    }
    if (!found) {
      if (head.seq > 0) {
        this.damage.push(
          `the trail's files are gone but the node had written up to seq ${head.seq}; the trail goes on from seq ${head.seq + 1}`,
        );
        this.seq = head.seq;
        this.hash = head.hash;
      }
      return;
    }
    if (head.seq === found.seq) {
      if (head.hash !== this.hash) {
        this.damage.push(
          `${found.where}: the last entry, seq ${found.seq}, was changed while the node was not running (it does not hash to what the node recorded); audit verify names it`,
        );
        this.hash = head.hash;
      }
    } else if (head.seq > found.seq) {
      this.damage.push(
        `the trail ends at seq ${found.seq} (${found.where}) but the node had written up to seq ${head.seq}: entries were removed while it was not running; audit verify names them`,
      );
      this.seq = head.seq;
      this.hash = head.hash;
    } else if (head.seq < found.seq - 1) {
      this.damage.push(
        `the node had written up to seq ${head.seq}, yet the trail goes on to seq ${found.seq}: entries were added by something other than the node`,
      );
    }
  }
}
