/**
 * Follows one session's transcript files as Claude Code appends to them and keeps its Usage current.
 * Each update() reads only the bytes written since the previous one, so calling it every second on a
 * session with a 100 MB transcript costs a readdir, a stat per file, and the new bytes.
 *
 * A file that shrinks, disappears or is replaced (new inode) makes the tracker read the session again
 * from the start. A file rewritten in place to at least its old size is not noticed (Claude Code
 * 2.1.197 was only seen appending to transcripts).
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { checkSessionId, listDirOrEmpty, transcriptFiles, type ListDir } from './slug.js';
import { UsageAccumulator, type TokenTotals, type Usage } from './usage.js';

export interface FileIdentity {
  size: number;
  /** inode and device: a file replaced by another at the same path gets a new pair */
  ino: number;
  dev: number;
}

/** The file-system calls the tracker makes (a test can count or fake them). */
export interface TranscriptReader {
  /** entry names of a folder; [] when it does not exist */
  list: ListDir;
  /** null when the file does not exist */
  stat(path: string): Promise<FileIdentity | null>;
  /** up to `length` bytes from `position`; fewer (or none) at the end of the file */
  read(path: string, position: number, length: number): Promise<Buffer>;
}

export const nodeTranscriptReader: TranscriptReader = {
  list: listDirOrEmpty,
  async stat(path) {
    try {
      const s = await stat(path);
      return s.isFile() ? { size: s.size, ino: s.ino, dev: s.dev } : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  },
  async read(path, position, length) {
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buf, 0, length, position);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  },
};

export interface UsageTrackerOptions {
  /** Claude Code's config folder ($CLAUDE_CONFIG_DIR or ~/.claude; see defaultConfigDir) */
  configDir: string;
  /** the session's working directory as Claude Code saw it */
  cwd: string;
  sessionId: string;
  reader?: TranscriptReader;
  /** largest single read, in bytes (default 4 MiB) */
  chunkBytes?: number;
  /** sees each new line that carries usage (assistant entries, the API's error entries among them) */
  onLine?: (line: string) => void;
  /** hears what each new line added to the totals: one API response's usage, or what a later line of it added */
  onResponse?: (r: ResponseSeen) => void;
}

/** What one transcript line added to a session's usage. */
export interface ResponseSeen {
  /** the line's `timestamp` (ISO), or null when it has none */
  at: string | null;
  /** as the totals key it (`<model> (fast)` for fast mode) */
  model: string;
  tokens: TokenTotals;
  /** read again: on the tracker's first update, or after a file shrank or was replaced (it may have been heard before) */
  again: boolean;
  /** the file's name (a session's transcript files have distinct names) and the offset just past the line's newline */
  file: string;
  end: number;
}

interface FileState {
  ino: number;
  dev: number;
  /** bytes consumed so far, including those of an unfinished last line */
  offset: number;
  /** the bytes of an unfinished last line, waiting for its newline */
  pending: Buffer[];
}

const NEWLINE = 0x0a;
/** every line that carries usage contains this; other lines (often large tool results) are not parsed */
const USAGE_KEY = Buffer.from('"usage"');

export class UsageTracker {
  private readonly acc = new UsageAccumulator();
  private readonly files = new Map<string, FileState>();
  private readonly reader: TranscriptReader;
  private readonly chunkBytes: number;
  private queue: Promise<unknown> = Promise.resolve();
  private restartCount = 0;
  /** this update reads lines that may have been heard before (the first update, or after a restart) */
  private again = true;

  constructor(private readonly opts: UsageTrackerOptions) {
    checkSessionId(opts.sessionId);
    this.reader = opts.reader ?? nodeTranscriptReader;
    this.chunkBytes = Math.max(1, opts.chunkBytes ?? 4 * 1024 * 1024);
  }

  /** How many times a file shrank, vanished or was replaced, so that everything was read again. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Reads what was appended since the last call (calls run one after another) and returns the totals. */
  update(): Promise<Usage> {
    const run = this.queue.then(() => this.poll());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async poll(): Promise<Usage> {
    const { configDir, cwd, sessionId } = this.opts;
    const paths = await transcriptFiles(configDir, cwd, sessionId, this.reader.list);
    const stats = new Map<string, FileIdentity | null>();
    await Promise.all(paths.map(async (p) => stats.set(p, await this.reader.stat(p))));

    // Lines already counted cannot be taken back one file at a time (responses are matched across
    // files), so a file that was cut, removed or swapped means reading the whole session again.
    for (const [path, state] of this.files) {
      const now = stats.get(path);
      if (!now || now.ino !== state.ino || now.dev !== state.dev || now.size < state.offset) {
        this.files.clear();
        this.acc.reset();
        this.restartCount += 1;
        this.again = true;
        break;
      }
    }

    for (const path of paths) {
      const now = stats.get(path);
      if (!now) continue;
      let state = this.files.get(path);
      if (!state) {
        state = { ino: now.ino, dev: now.dev, offset: 0, pending: [] };
        this.files.set(path, state);
      }
      if (now.size > state.offset) await this.readNew(path, state, now.size);
    }
    this.again = false;
    return this.acc.usage();
  }

  private async readNew(path: string, state: FileState, size: number): Promise<void> {
    while (state.offset < size) {
      const chunk = await this.reader.read(path, state.offset, Math.min(this.chunkBytes, size - state.offset));
      if (chunk.length === 0) break; // cut since stat: the next update sees it shrink
      state.offset += chunk.length;
      this.consume(path, state, chunk);
    }
  }

  /** Counts every complete line of pending + chunk and keeps the unfinished rest. */
  private consume(path: string, state: FileState, chunk: Buffer): void {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      state.pending.push(chunk);
      return;
    }
    const data = state.pending.length ? Buffer.concat([...state.pending, chunk]) : chunk;
    const end = data.length - (chunk.length - last); // index of the last newline in data
    // data ends where the file was read to: its byte i is at this offset plus i
    const base = state.offset - data.length;
    const file = basename(path);
    let start = 0;
    while (start <= end) {
      const nl = data.indexOf(NEWLINE, start);
      const line = data.subarray(start, nl);
      if (line.indexOf(USAGE_KEY) >= 0) {
        const text = line.toString('utf8');
        this.add(text, file, base + nl + 1);
        this.opts.onLine?.(text);
      }
      start = nl + 1;
    }
    // copy the rest so the (possibly large) chunk it came from is not kept alive
    state.pending = end + 1 < data.length ? [Buffer.from(data.subarray(end + 1))] : [];
  }

  /** One line with usage: counted, and what it added told. Malformed or half-written lines are skipped. */
  private add(text: string, file: string, endOffset: number): void {
    let entry: unknown;
    try {
      entry = JSON.parse(text);
    } catch {
      return;
    }
    const seen = this.acc.addWithDelta(entry);
    const on = this.opts.onResponse;
    if (!seen || !on) return;
    const d = seen.delta;
    if (d.inputTokens + d.outputTokens + d.cacheCreationTokens + d.cacheReadTokens + d.webSearchRequests === 0) return;
    const ts = (entry as { timestamp?: unknown }).timestamp;
    const at =
      typeof ts === 'string' && Number.isFinite(Date.parse(ts)) ? new Date(Date.parse(ts)).toISOString() : null;
    on({ at, model: seen.model, tokens: d, again: this.again, file, end: endOffset });
  }
}
