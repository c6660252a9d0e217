/**
 * The node's ledger on disk: every turn appended to `<home>/spend/YYYY-MM-DD.log` (the UTC day the turn was
 * made), one tab-separated line each, and read back when the node starts. A line cut off by a crash, or one
 * that does not read, is skipped with a warning naming its file and line; the rest is kept. Sums are kept in
 * memory (ledger.ts, spend-rollup.ts) so that no question re-reads the turns.
 *
 * A line: `ms session worker vp discipline model input output cacheWrite cacheRead usd`, tab-separated, an
 * absent worker or VP empty, and `\`, tab, CR and LF in a text field escaped as `\\`, `\t`, `\r`, `\n` (a
 * model name comes from a session's transcript and may hold anything).
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CostBy, CostResult, NodeSpend, Spend, Turn } from '../protocol/economics.js';
import { SpendTotals, type SpendLedger } from './ledger.js';
import { SpendRollup } from './spend-rollup.js';

const FILE = /^(\d{4}-\d{2}-\d{2})\.log$/;
const FIELDS = 11;
const CHUNK = 8 * 1024 * 1024;

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
export function turnLine(t: Turn): string {
  const s = t.spend;
  return `${Date.parse(t.at)}\t${escapeField(t.session)}\t${escapeField(t.worker ?? '')}\t${escapeField(t.vp ?? '')}\t${escapeField(t.discipline)}\t${escapeField(t.model)}\t${s.inputTokens}\t${s.outputTokens}\t${s.cacheCreationTokens}\t${s.cacheReadTokens}\t${s.costUsd}\n`;
}

const count = (x: string): number | null => {
  if (x === '') return null;
  const n = Number(x);
  return Number.isFinite(n) && n >= 0 ? n : null;
};

/** A line of the log read back, or why it does not read. */
export function readTurnLine(line: string): { turn: Turn; ms: number } | { problem: string } {
  const f = line.split('\t');
  if (f.length !== FIELDS) return { problem: `${f.length} fields where ${FIELDS} were expected` };
  const ms = count(f[0]!);
  if (ms === null || !Number.isInteger(ms) || ms > 8.64e15) return { problem: `${JSON.stringify(f[0])} is not a time` };
  const nums: number[] = [];
  for (let i = 6; i < FIELDS; i++) {
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
  /** per session, the time of its latest turn of its own (not a worker's): where its transcripts were read up to */
  private readonly sessionLast = new Map<string, number>();
  private readonly now: () => Date;
  private fd: number | null = null;
  private fdDay = '';
  private loaded = 0;

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

  record(t: Turn): void {
    const ms = Date.parse(t.at);
    if (!Number.isFinite(ms)) throw new Error(`a turn of session ${t.session} has no valid time: ${t.at}`);
    this.write(t.at.slice(0, 10), turnLine(t));
    this.add(t, ms);
    for (const f of this.listeners) f(t);
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

  /** The time of the session's latest turn of its own recorded (its transcripts' are not recorded twice). */
  sessionRecordedTo(session: string): number | null {
    return this.sessionLast.get(session) ?? null;
  }

  /** how much it holds in memory */
  size(): { groups: number; minutes: number; sessions: number } {
    return { ...this.rollup.size(), sessions: this.sessionLast.size };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.fdDay = '';
  }

  private add(t: Turn, ms: number): void {
    this.totals.add(t);
    this.rollup.add(t, ms);
    if (t.worker === null && ms > (this.sessionLast.get(t.session) ?? -Infinity)) this.sessionLast.set(t.session, ms);
  }

  private write(day: string, line: string): void {
    if (this.fdDay !== day) {
      this.close();
      const fd = openSync(join(this.o.dir, `${day}.log`), 'a+', 0o600);
      // a line cut off by a crash stays a line of its own (skipped when read), not the start of this one
      const size = fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) writeSync(fd, '\n');
      }
      this.fd = fd;
      this.fdDay = day;
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
        this.add(read.turn, read.ms);
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
