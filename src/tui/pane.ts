/**
 * A session's terminal as the cockpit shows it: a headless screen of the remote PTY's own size, fed from the
 * session's byte stream while the pane is on screen, and read back as cells. Bytes from the node go into
 * the emulator only; what reaches the operator's terminal is drawn from the screen's rows.
 */
import type { CockpitPort, ScreenView } from '../cockpit/types.js';
import { Emitter, HeadlessScreen, safeLine, type Disposable, type StyledLine } from '../terminal/index.js';

export interface PaneRows {
  /** rows to draw, top to bottom: styled rows of the screen, or plain text from the scrollback */
  rows: ({ kind: 'screen'; line: StyledLine; y: number } | { kind: 'scrollback'; text: string })[];
  /** how far back the operator can scroll from the live bottom */
  scrollMax: number;
  cursor: { x: number; y: number; visible: boolean } | null;
}

const FRAME_MS = 33;

export class PaneScreen {
  screen: HeadlessScreen | null = null;
  error: string | null = null;
  private unsubscribe: (() => void) | null = null;
  private disposed = false;
  private readonly redraws = new Emitter<void>();
  private timer: NodeJS.Timeout | null = null;
  private version = 0;
  private changeSub: Disposable | null = null;

  constructor(
    private readonly port: CockpitPort,
    readonly node: string,
    readonly session: string,
    private readonly scrollback = 5000,
  ) {}

  /** Learns the remote screen's size, then follows the session's bytes from the start the node still holds. */
  async start(): Promise<void> {
    try {
      const view = await this.port.request(this.node, 'screen', { session: this.session });
      if (this.disposed) return;
      this.make(view.cols || 80, view.rows || 24);
      this.unsubscribe = this.port.subscribePty(this.node, this.session, 0, {
        onData: (_seq, data) => this.screen?.write(data),
        onReset: (v) => this.repaint(v),
      });
    } catch (e) {
      this.error = (e as Error).message;
      this.changed();
    }
  }

  private make(cols: number, rows: number): void {
    this.changeSub?.dispose();
    this.screen?.dispose();
    this.screen = new HeadlessScreen({ cols, rows, scrollback: this.scrollback });
    this.changeSub = this.screen.onChange(() => this.changed());
    this.changed();
  }

  /** The node could not replay the bytes: draw its screen text, then follow the bytes from there. */
  private repaint(v: ScreenView): void {
    if (this.disposed) return;
    if (!this.screen || this.screen.cols !== v.cols || this.screen.rows !== v.rows)
      this.make(v.cols || 80, v.rows || 24);
    const rows = v.lines.slice(0, v.rows).map((l) => safeLine(l));
    this.screen!.write(`\x1bc${rows.join('\r\n')}`);
  }

  /** Listeners hear at most once a frame that the screen changed. */
  onChange(f: () => void): Disposable {
    return this.redraws.on(f);
  }

  get changes(): number {
    return this.version;
  }

  private changed(): void {
    if (this.timer || this.disposed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.version++;
      this.redraws.emit();
    }, FRAME_MS);
    this.timer.unref?.();
  }

  /**
   * The rows a pane `height` rows tall shows, `scroll` lines back from the live bottom. The live bottom is
   * the last row with text or the cursor, so a short pane shows where the program is writing.
   */
  view(height: number, scroll: number): PaneRows {
    const s = this.screen;
    if (!s || height <= 0) return { rows: [], scrollMax: 0, cursor: null };
    const lines = s.styledLines();
    const cursor = s.cursor();
    let last = cursor.y;
    for (let y = lines.length - 1; y > last; y--)
      if ((lines[y]?.length ?? 0) > 0) {
        last = y;
        break;
      }
    const anchor = Math.min(s.rows, Math.max(last + 1, Math.min(height, s.rows)));
    const back = s.scrollbackLength();
    const scrollMax = Math.max(0, back + anchor - height);
    const off = Math.max(0, Math.min(scrollMax, scroll));
    // rows from `start` to `end` (exclusive) in screen coordinates; negative ones are scrollback lines
    const end = anchor - off;
    const start = Math.max(-back, end - height);
    const rows: PaneRows['rows'] = [];
    if (start < 0)
      for (const t of s.scrollbackLines(back + start, Math.min(-start, end - start)))
        rows.push({ kind: 'scrollback', text: safeLine(t) });
    for (let y = Math.max(0, start); y < end; y++) rows.push({ kind: 'screen', line: lines[y] ?? [], y });
    const shown = cursor.y >= Math.max(0, start) && cursor.y < end;
    return { rows, scrollMax, cursor: shown ? { ...cursor, y: cursor.y - start } : null };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
    this.changeSub?.dispose();
    this.screen?.dispose();
    this.redraws.clear();
  }
}
