/**
 * The node's ledger on disk: every turn appended to `<home>/spend/YYYY-MM-DD.log` (the UTC day the turn was
 * made), one tab-separated line each, and read back when the node starts. A line cut off by a crash, or one
 * that does not read, is skipped with a warning naming its file and line; the rest is kept. Sums are kept in
 * memory (ledger.ts, spend-rollup.ts) so that no question re-reads the turns.
 *
 * A line: `ms session worker vp discipline model input output cacheWrite cacheRead usd read`, tab-separated, an
 * absent worker or VP empty, and `\`, tab, CR and LF in a text field escaped as `\\`, `\t`, `\r`, `\n` (a
 * model name comes from a session's transcript and may hold anything). `read` is where a session's own turn was
 * read in its transcripts (`<file>:<offset past the line>`), so that lines read again after a restart are not
 * recorded twice; empty for a worker's (lines of eleven fields, written before it was kept, read as well).
 *
 * A turn is added to the sums first and written after: a write that fails (a full disk) keeps the line in
 * memory, warns once, and writes it with the next turn or within RETRY_MS, so that what was spent is not lost.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CostBy, CostResult, NodeSpend, Spend, Turn } from '../protocol/economics.js';
import { boundTurn, SpendTotals, type SpendLedger, type TranscriptRead } from './ledger.js';
import { SpendRollup } from './spend-rollup.js';

const FILE = /^(\d{4}-\d{2}-\d{2})\.log$/;
const FIELDS = 12;
const CHUNK = 8 * 1024 * 1024;
/** unwritten lines are tried again this often */
const RETRY_MS = 30_000;
/** the most unwritten lines kept (a disk full for long): the oldest beyond are dropped, and counted */
const MAX_UNWRITTEN = 100_000;
/** a turn dated later than the node's clock by more than this is recorded at the node's time */
const AHEAD_MS = 5 * 60_000;

export const spendDir = (home: string) => join(home, 'spend');

function escapeField(s: string): string {
  return /[\\\t\r\n]/.test(s)
    ? s.replace(/[\\\t\r\n]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : '\\n'))
    : s;
}

function unescapeField(s: string): string {
  return s.includes('\\')
    ? s.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'r' ? '\r' : c === 'n' ? '\n' : c))
    : s;
}

/** A turn as its line in the log (with its newline). */
export function turnLine(t: Turn, read?: TranscriptRead): string {
  const s = t.spend;
  const where = read ? escapeField(`${read.file}:${read.end}`) : '';
  return `${Date.parse(t.at)}\t${escapeField(t.session)}\t${escapeField(t.worker ?? '')}\t${escapeField(t.vp ?? '')}\t${escapeField(t.discipline)}\t${escapeField(t.model)}\t${s.inputTokens}\t${s.outputTokens}\t${s.cacheCreationTokens}\t${s.cacheReadTokens}\t${s.costUsd}\t${where}\n`;
}

function readField(x: string | undefined): TranscriptRead | null {
  if (!x) return null;
  const text = unescapeField(x);
  const colon = text.lastIndexOf(':');
  const end = Number(text.slice(colon + 1));
  return colon > 0 && Number.isSafeInteger(end) && end > 0 ? { file: text.slice(0, colon), end } : null;
}

const count = (x: string): number | null => {
  if (x === '') return null;
  const n = Number(x);
  return Number.isFinite(n) && n >= 0 ? n : null;
};

/** A line of the log read back, or why it does not read. */
export function readTurnLine(
  line: string,
): { turn: Turn; ms: number; read: TranscriptRead | null } | { problem: string } {
  const f = line.split('\t');
  if (f.length !== FIELDS && f.length !== FIELDS - 1)
    return { problem: `${f.length} fields where ${FIELDS} were expected` };
  const ms = count(f[0]!);
  if (ms === null || !Number.isInteger(ms) || ms > 8.64e15) return { problem: `${JSON.stringify(f[0])} is not a time` };
  const nums: number[] = [];
  for (let i = 6; i < 11; i++) {
    const n = count(f[i]!);
    if (n === null) return { problem: `field ${i + 1} (${JSON.stringify(f[i]!.slice(0, 40))}) is not a count` };
    nums.push(n);
  }
  if (!f[1] || !f[4] || !f[5]) return { problem: 'its session, discipline or model is empty' };
  const spend: Spend = {
    inputTokens: nums[0]!,
    outputTokens: nums[1]!,
    cacheCreationTokens: nums[2]!,
    cacheReadTokens: nums[3]!,
    costUsd: nums[4]!,
  };
  return {
    ms,
    read: readField(f[11]),
    turn: {
      at: new Date(ms).toISOString(),
      session: unescapeField(f[1]),
      worker: f[2] ? unescapeField(f[2]) : null,
      vp: f[3] ? unescapeField(f[3]) : null,
      discipline: unescapeField(f[4]),
      model: unescapeField(f[5]),
      spend,
    },
  };
}

export interface SpendLogOptions {
  /** the folder of the log (spendDir(home)) */
  dir: string;
  /** tells the operator of a line that was skipped */
  warn?: (text: string) => void;
  /** the clock (tests) */
  now?: () => Date;
}

/** The node's ledger: turns kept on disk, sums in memory. */
export class SpendLog implements SpendLedger {
  private readonly totals = new SpendTotals();
  private readonly rollup = new SpendRollup();
  private readonly listeners = new Set<(t: Turn) => void>();
  /** per session, how far each of its transcript files was read when its own turns were recorded */
  private readonly readTo = new Map<string, Map<string, number>>();
  private readonly now: () => Date;
  private fd: number | null = null;
  private fdDay = '';
  private loaded = 0;
  /** lines a write failed to put on disk, oldest first: written before the next */
  private unwritten: { day: string; line: string }[] = [];
  private dropped = 0;
  private troubled = false;
  private retry: NodeJS.Timeout | null = null;

  private constructor(private readonly o: SpendLogOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** Reads the log back (creating its folder if there is none) and returns the ledger. */
  static open(o: SpendLogOptions): SpendLog {
    const log = new SpendLog(o);
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    const files = readdirSync(o.dir)
      .filter((f) => FILE.test(f))
      .sort();
    for (const f of files) log.load(join(o.dir, f));
    return log;
  }

  /** turns read back when it opened */
  get turnsLoaded(): number {
    return this.loaded;
  }

  /**
   * Records a turn: in the sums at once (its listeners hear of it), then on disk; never throws for the disk.
   * A time that is not one, or later than the node's clock, is the node's time.
   */
  record(turn: Turn, read?: TranscriptRead): void {
    const now = this.now().getTime();
    let ms = Date.parse(turn.at);
    if (!Number.isFinite(ms) || ms > now + AHEAD_MS) ms = now;
    const t = { ...boundTurn(turn), at: new Date(ms).toISOString() };
    this.add(t, ms, read ?? null);
    this.unwritten.push({ day: t.at.slice(0, 10), line: turnLine(t, read) });
    this.flush();
    for (const f of this.listeners) f(t);
  }

  /** Writes the lines not on disk yet; true when none are left. */
  flush(): boolean {
    while (this.unwritten.length > 0) {
      const { day, line } = this.unwritten[0]!;
      try {
        this.write(day, line);
      } catch (e) {
        this.failed(e as Error);
        return false;
      }
      this.unwritten.shift();
    }
    if (this.troubled) {
      this.troubled = false;
      const lost = this.dropped ? ` (${this.dropped} turns were dropped: more than ${MAX_UNWRITTEN} waited)` : '';
      this.o.warn?.(`${this.o.dir} can be written again; the turns kept meanwhile are written${lost}`);
      this.dropped = 0;
    }
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    return true;
  }

  /** lines not yet on disk */
  get pending(): number {
    return this.unwritten.length;
  }

  private failed(e: Error): void {
    // the file is opened again for the next try (its last line may be cut short: the next starts a line of its own)
    this.close();
    if (this.unwritten.length > MAX_UNWRITTEN) {
      const over = this.unwritten.length - MAX_UNWRITTEN;
      this.unwritten.splice(0, over);
      this.dropped += over;
    }
    if (!this.troubled) {
      this.troubled = true;
      this.o.warn?.(
        `cannot write ${this.o.dir} (${e.message}): turns are kept in memory and written when it can be written`,
      );
    }
    if (!this.retry) {
      this.retry = setTimeout(() => {
        this.retry = null;
        if (!this.flush() && !this.retry) this.failed(new Error('still not writable'));
      }, RETRY_MS);
      this.retry.unref();
    }
  }

  onTurn(f: (t: Turn) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  session(id: string): Spend {
    return this.totals.session(id);
  }

  today(): { day: string; node: Spend; vps: Map<string, Spend> } {
    return this.totals.today(this.now());
  }

  /** The spend from `since` on, grouped; `node` names the node's row when grouped by node. */
  query(by: CostBy, since: Date | null, node: string): CostResult {
    return this.rollup.query(by, since, node);
  }

  /** Today's spend, the last 24 clock hours and today's per VP, for the cockpit. */
  spend(): NodeSpend {
    const now = this.now();
    const t = this.totals.today(now);
    return {
      day: t.day,
      today: t.node,
      hours: this.rollup.lastHours(now, 24),
      lastHour: this.rollup.lastHour(now),
      vps: Object.fromEntries(t.vps),
    };
  }

  /** How far each of the session's transcript files was read when its turns were recorded (none: an empty map). */
  sessionReadTo(session: string): ReadonlyMap<string, number> {
    return new Map(this.readTo.get(session));
  }

  /** how much it holds in memory */
  size(): { groups: number; minutes: number; sessions: number } {
    return { ...this.rollup.size(), sessions: this.readTo.size };
  }

  /** Closes its file; lines not yet written stay to be written by the next record or flush. */
  close(): void {
    const fd = this.fd;
    this.fd = null;
    this.fdDay = '';
    if (fd !== null) closeSync(fd);
  }

  private add(t: Turn, ms: number, read: TranscriptRead | null): void {
    this.totals.add(t);
    this.rollup.add(t, ms);
    if (t.worker === null && read) {
      let files = this.readTo.get(t.session);
      if (!files) this.readTo.set(t.session, (files = new Map()));
      if (read.end > (files.get(read.file) ?? 0)) files.set(read.file, read.end);
    }
  }

  private write(day: string, line: string): void {
    if (this.fdDay !== day) {
      this.close();
      const fd = openSync(join(this.o.dir, `${day}.log`), 'a+', 0o600);
      this.fd = fd;
      this.fdDay = day;
      // a line cut off by a crash stays a line of its own (skipped when read), not the start of this one
      const size = fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) writeSync(fd, '\n');
      }
    }
    writeSync(this.fd!, line);
  }

  private load(path: string): void {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      let rest = Buffer.alloc(0);
      let lineNo = 0;
      let pos = 0;
      const take = (line: string) => {
        lineNo++;
        if (line === '') return;
        const read = readTurnLine(line);
        if ('problem' in read) {
          this.o.warn?.(`${path}: line ${lineNo} skipped: ${read.problem}`);
          return;
        }
        this.add(read.turn, read.ms, read.read);
        this.loaded++;
      };
      for (;;) {
        const n = readSync(fd, buf, 0, CHUNK, pos);
        if (n === 0) break;
        pos += n;
        // a chunk may end inside a character: decode up to its last newline only
        const end = buf.lastIndexOf(0x0a, n - 1);
        if (end < 0) {
          rest = Buffer.concat([rest, buf.subarray(0, n)]);
          continue;
        }
        const data = rest.length ? Buffer.concat([rest, buf.subarray(0, end + 1)]) : buf.subarray(0, end + 1);
        rest = Buffer.from(buf.subarray(end + 1, n));
        // a line decoded on its own: what is kept of it (a group's names) holds no larger string alive
        let start = 0;
        for (;;) {
          const nl = data.indexOf(0x0a, start);
          if (nl < 0) break;
          take(data.toString('utf8', start, nl));
          start = nl + 1;
        }
      }
      if (rest.length > 0) take(rest.toString('utf8'));
    } finally {
      closeSync(fd);
    }
  }
}
