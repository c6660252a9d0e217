/**
 * A node's audit trail: one JSON line per entry in `<home>/audit/`, each chained to the one before by the
 * SHA-256 of that entry's line (`prev`; 64 zeros for the first ever), so that a line changed, removed or
 * moved after it was written is found by `verify` (verify.ts). Files are rotated by size and the chain
 * goes on across them: a new file's first entry chains to the old file's last. The files are only ever
 * appended to; old ones are kept (archiving them is the operator's call).
 *
 * Beside them, `head` holds the seq and hash of the last entry written, rewritten in place with each
 * append: it vouches for the last entry, which no later entry does yet. A second copy is kept outside the
 * trail's folder (`<dir>.head`, in the node's home), so that removing the newest file and `head` together is
 * still found: the next start sees the copy ahead of the files, says so, and goes on in a new file.
 *
 * An append never throws into its caller: a trail that cannot be written is reported once (`onTrouble`), the
 * entries lost meanwhile are counted in the next one written (`missedBefore`); an append after close is
 * dropped, with a warning.
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
import { dirname, join } from 'node:path';
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
  readHeadFile,
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
  /** the second copy of the head (default `<dir>.head`) */
  headCopy?: string;
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
  private copyFd: number | null = null;
  private closed = false;
  private headTroubled = false;
  private current: TrailFile | null = null;
  private size = 0;
  private seq = 0;
  private hash = GENESIS;
  private missed = 0;
  private troubled = false;
  private readonly secrets: string[];
  private readonly maxBytes: number;
  private readonly headCopy: string;

  private constructor(private readonly o: AuditLogOptions) {
    this.secrets = secretValues(o.env ?? process.env);
    this.maxBytes = o.maxBytes ?? DEFAULT_AUDIT_BYTES;
    this.headCopy = o.headCopy ?? `${o.dir}.head`;
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

  /** Appends an entry; never throws (see the file's comment). */
  append(input: AuditInput): void {
    if (this.closed) {
      if (!this.troubled) {
        this.troubled = true;
        this.o.onTrouble?.(`an audit entry came after the trail in ${this.o.dir} was closed; it is dropped`);
      }
      return;
    }
    try {
      this.appendOpen(input);
    } catch (e) {
      this.trouble(e as Error);
    }
  }

  private appendOpen(input: AuditInput): void {
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
      // opened again for the next entry: a file that failed is not written to after a line that did not go
      this.dropFile();
      this.trouble(e as Error);
      return;
    }
    this.missed = 0;
    this.troubled = false;
    this.size += bytes.length;
    this.seq = entry.seq;
    this.hash = lineHash(line);
    this.writeHeads();
  }

  private trouble(e: Error): void {
    if (this.troubled) return;
    this.troubled = true;
    this.o.onTrouble?.(
      `the audit trail in ${this.o.dir} cannot be written (${e.message}); entries are lost until it can`,
    );
  }

  /** Both records of the last entry; one that cannot be written is reported once (verify then names the entry). */
  private writeHeads(): void {
    const rec = headRecord(this.seq, this.hash);
    for (const which of ['headFd', 'copyFd'] as const) {
      try {
        if (this[which] !== null) writeSync(this[which], rec, 0, undefined, 0);
      } catch (e) {
        if (!this.headTroubled)
          this.o.onTrouble?.(`the audit trail's record of its last entry cannot be written (${(e as Error).message})`);
        this.headTroubled = true;
      }
    }
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

  /** Closes its files; later appends are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.troubled = false;
    try {
      if (this.fd !== null) this.finishFile();
    } catch {
      this.dropFile();
    }
    for (const fd of [this.headFd, this.copyFd]) if (fd !== null) closeSync(fd);
    this.headFd = null;
    this.copyFd = null;
  }

  /** Lets go of the file being written without finishing it (a write to it failed). */
  private dropFile(): void {
    const fd = this.fd;
    this.fd = null;
    this.current = null;
    this.size = 0;
    if (fd !== null)
      try {
        closeSync(fd);
      } catch {
        // it is gone either way
      }
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
    const head = this.bothHeads();
    const headExisted = existsSync(join(dir, HEAD_FILE)) || existsSync(this.headCopy);
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
    // entries were removed: what follows goes in a new file, named by its first seq, never one that was removed
    if (this.reconcile(head, headExisted, found)) this.current = null;
    if (this.current && (this.size > 0 || this.current.first === this.seq + 1))
      this.fd = openSync(join(dir, this.current.name), 'a', 0o600);
    else {
      this.current = null;
      this.size = 0;
    }
    const rec = headRecord(this.seq, this.hash);
    for (const [which, path] of [
      ['headFd', join(dir, HEAD_FILE)],
      ['copyFd', this.headCopy],
    ] as const) {
      const fd = openSync(path, existsSync(path) ? 'r+' : 'w', 0o600);
      this[which] = fd;
      writeSync(fd, rec, 0, undefined, 0);
      ftruncateSync(fd, rec.length);
    }
  }

  /** The head the node last wrote: of its two records, the one further on (a missing or differing one is named). */
  private bothHeads(): Head | null {
    const inDir = readHead(this.o.dir);
    const copyDir = dirname(this.headCopy);
    const copy = readHeadFile(this.headCopy);
    const copyExisted = existsSync(this.headCopy);
    // a trail kept before the copy was: nothing to compare
    if (!copyExisted) return inDir;
    if (inDir && copy && inDir.seq === copy.seq && inDir.hash === copy.hash) return inDir;
    if (!inDir && !copy) return null;
    const ahead = !inDir ? copy! : !copy ? inDir : copy.seq > inDir.seq ? copy : inDir;
    this.damage.push(
      !inDir
        ? `the record of the last entry (${HEAD_FILE}) was ${existsSync(join(this.o.dir, HEAD_FILE)) ? 'unreadable' : 'missing'}; its copy in ${copyDir} says seq ${copy!.seq}`
        : !copy
          ? `the copy of the record of the last entry (${this.headCopy}) was unreadable; ${HEAD_FILE} says seq ${inDir.seq}`
          : `the two records of the last entry differ (${HEAD_FILE}: seq ${inDir.seq}, its copy: seq ${copy.seq}); the one further on, seq ${ahead.seq}, is taken`,
    );
    return ahead;
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
  private reconcile(head: Head | null, headExisted: boolean, found: { seq: number; where: string } | null): boolean {
    if (!head) {
      if (found)
        this.damage.push(
          `the record of the last entry (${HEAD_FILE}) was ${headExisted ? 'unreadable' : 'missing'}; the trail's last entry, seq ${found.seq} (${found.where}), is taken as it is`,
        );
      return false;
    }
    if (!found) {
      if (head.seq > 0) {
        this.damage.push(
          `the trail's files are gone but the node had written up to seq ${head.seq}; the trail goes on from seq ${head.seq + 1}`,
        );
        this.seq = head.seq;
        this.hash = head.hash;
        return true;
      }
      return false;
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
      return true;
    } else if (head.seq < found.seq - 1) {
      this.damage.push(
        `the node had written up to seq ${head.seq}, yet the trail goes on to seq ${found.seq}: entries were added by something other than the node`,
      );
    }
    return false;
  }
}
