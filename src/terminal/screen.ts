/**
 * A session's screen, kept by xterm.js's headless emulator: PTY output goes in, and what comes out is plain
 * text, styled runs, the cursor and a sanitized title; never the stream's own bytes. Replies the emulator
 * generates to queries in the stream reach `onResponse` only if they are on a short allowlist.
 */
import xterm from '@xterm/headless';
import type { IBufferCell, Terminal } from '@xterm/headless';
import { Emitter } from '../protocol/events.js';
import { FeedQueue } from './feed-queue.js';
import type { Chunk } from './feed-queue.js';
import { MAX_COLS, MAX_ROWS, renderSnapshotAnsi } from './render.js';
import { isAllowedResponse } from './responses.js';
import { safeLine, truncateCodePoints } from './sanitize.js';
import { rowRuns, rowText } from './styled-rows.js';
import type { CursorState, Disposable, InputModes, ScreenSnapshot, StyledLine } from './types.js';
import { unicodeProvider } from './unicode-width.js';

export interface HeadlessScreenOptions {
  cols: number;
  rows: number;
  /** lines kept above the screen; default 1000, at most 100000 */
  scrollback?: number;
  /** unparsed data above which write() returns false (default 4 MB) */
  highWaterMark?: number;
}

export const MAX_SCROLLBACK = 100_000;
const MAX_TITLE = 200;

function size(name: string, v: number, min: number, max: number): number {
  if (!Number.isFinite(v)) throw new RangeError(`screen ${name} must be a number, got ${String(v)}`);
  return Math.max(min, Math.min(max, Math.floor(v)));
}

export class HeadlessScreen {
  private readonly term: Terminal;
  private readonly queue: FeedQueue;
  private readonly cell: IBufferCell;
  private readonly responses = new Emitter<string>();
  private readonly changes = new Emitter<void>();
  private readonly waiting = new Set<() => void>();
  private readonly subscriptions: Disposable[] = [];
  private cursorVisible = true;
  private currentTitle = '';
  private disposed = false;

  constructor(opts: HeadlessScreenOptions) {
    this.term = new xterm.Terminal({
      cols: size('cols', opts.cols, 2, MAX_COLS),
      rows: size('rows', opts.rows, 1, MAX_ROWS),
      scrollback: size('scrollback', opts.scrollback ?? 1000, 0, MAX_SCROLLBACK),
      allowProposedApi: true, // for parser hooks and the Unicode width provider
      logLevel: 'off', // a hostile stream must not fill our log with "unknown sequence" lines
    });
    this.term.unicode.register(unicodeProvider);
    this.term.unicode.activeVersion = unicodeProvider.version;
    this.cell = this.term.buffer.active.getNullCell();
    this.queue = new FeedQueue(
      { write: (data, parsed) => this.term.write(data, parsed) },
      opts.highWaterMark === undefined ? {} : { highWaterMark: opts.highWaterMark },
    );

    const p = this.term.parser;
    const has25 = (params: (number | number[])[]) => params.some((v) => v === 25);
    // xterm keeps cursor visibility private; follow DECTCEM ourselves, and let xterm handle the sequence too
    this.subscriptions.push(
      p.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => {
        if (has25(params)) this.cursorVisible = true;
        return false;
      }),
      p.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => {
        if (has25(params)) this.cursorVisible = false;
        return false;
      }),
      p.registerCsiHandler({ intermediates: '!', final: 'p' }, () => {
        this.cursorVisible = true; // DECSTR
        return false;
      }),
      p.registerEscHandler({ final: 'c' }, () => {
        this.cursorVisible = true; // RIS (xterm.js itself leaves its own flag as it was)
        return false;
      }),
      this.term.onTitleChange((t) => {
        this.currentTitle = truncateCodePoints(safeLine(truncateCodePoints(t, MAX_TITLE * 4)).trim(), MAX_TITLE);
      }),
      this.term.onData((d) => {
        if (isAllowedResponse(d)) this.responses.emit(d);
      }),
      this.term.onWriteParsed(() => this.changes.emit()),
    );
  }

  get cols(): number {
    return this.term.cols;
  }

  get rows(): number {
    return this.term.rows;
  }

  /**
   * PTY output in. Cheap: the data is queued for xterm's parser, which runs later in slices. Returns false
   * when more than the high-water mark waits unparsed: pause the PTY until `onDrain`. Never throws, never drops.
   */
  write(data: Chunk): boolean {
    if (this.disposed) return false;
    return this.queue.write(data);
  }

  /** Data written and not parsed yet (characters for strings, bytes for Uint8Arrays). */
  get pending(): number {
    return this.queue.pendingSize;
  }

  /** After write() returned false: the parser has caught up enough to resume the source. */
  onDrain(listener: () => void): Disposable {
    return this.queue.onDrain(listener);
  }

  /** Resolves once everything written so far has been parsed (at once after dispose). */
  flushed(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiting.delete(done);
        resolve();
      };
      this.waiting.add(done);
      this.queue.flush(done);
    });
  }

  /** Fires after the parser has applied a slice of output (at most once per slice of about 12 ms). */
  onChange(listener: () => void): Disposable {
    return this.changes.on(listener);
  }

  /** Allowlisted replies to queries in the stream (cursor position, device attributes, status): write them to the PTY. */
  onResponse(listener: (data: string) => void): Disposable {
    return this.responses.on(listener);
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    this.term.resize(size('cols', cols, 2, MAX_COLS), size('rows', rows, 1, MAX_ROWS));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.subscriptions) s.dispose();
    this.queue.dispose();
    this.responses.clear();
    this.changes.clear();
    this.term.dispose();
    for (const done of [...this.waiting]) done();
  }

  /** The visible rows as plain text, trailing spaces removed; a wide character appears once. */
  lines(): string[] {
    const b = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.term.rows; y++) out.push(rowText(b.getLine(b.baseY + y)));
    return out;
  }

  text(): string {
    return this.lines().join('\n');
  }

  /** Lines that scrolled off the top of the main screen, `0` being the oldest kept. */
  scrollbackLength(): number {
    return this.term.buffer.normal.baseY;
  }

  /** `count` scrollback lines from index `from` (clamped to what is kept); see scrollbackLength(). */
  scrollbackLines(from: number, count: number): string[] {
    const b = this.term.buffer.normal;
    const start = Math.max(0, Math.floor(from) || 0);
    const end = Math.min(b.baseY, start + Math.max(0, Math.floor(count) || 0));
    const out: string[] = [];
    for (let i = start; i < end; i++) out.push(rowText(b.getLine(i)));
    return out;
  }

  /** The visible rows as runs of equally styled cells. */
  styledLines(): StyledLine[] {
    const b = this.term.buffer.active;
    const out: StyledLine[] = [];
    for (let y = 0; y < this.term.rows; y++) out.push(rowRuns(b.getLine(b.baseY + y), this.term.cols, this.cell));
    return out;
  }

  cursor(): CursorState {
    const b = this.term.buffer.active;
    return {
      x: Math.min(b.cursorX, this.term.cols - 1),
      y: Math.min(b.cursorY, this.term.rows - 1),
      visible: this.cursorVisible,
    };
  }

  /** Input modes the program set, which decide how keys and pastes must be encoded when forwarded to it. */
  inputModes(): InputModes {
    const m = this.term.modes;
    return {
      applicationCursorKeys: m.applicationCursorKeysMode,
      applicationKeypad: m.applicationKeypadMode,
      bracketedPaste: m.bracketedPasteMode,
      sendFocus: m.sendFocusMode,
      mouseTracking: m.mouseTrackingMode,
    };
  }

  /** The last OSC 0/2 title, without control characters, at most 200 characters. */
  title(): string {
    return this.currentTitle;
  }

  snapshot(): ScreenSnapshot {
    return { cols: this.term.cols, rows: this.term.rows, cursor: this.cursor(), lines: this.styledLines() };
  }

  /** Bytes that repaint a terminal of the snapshot's size; see render.ts. */
  static renderSnapshotAnsi(s: ScreenSnapshot): string {
    return renderSnapshotAnsi(s);
  }
}
