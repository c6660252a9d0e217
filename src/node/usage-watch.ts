/**
 * A session's tokens and cost, followed from Claude Code's transcripts (subagents included, duplicates removed),
 * and the API errors written there since its claude last started. Each API response's usage is recorded as a
 * turn in the node's ledger as its line is read; while the session is live its transcript folders are watched,
 * so a new line reaches the ledger within milliseconds of being written.
 *
 * A turn is recorded at the node's time (the transcript's, when it is within the last few minutes): a session
 * writes its transcript and could date a line anywhere. Where each line was read (file and offset) is recorded
 * with it, so that lines read again after the node restarts are not recorded twice, whatever their time.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isLive, type Usage } from '../protocol/messages.js';
import type { Turn } from '../protocol/economics.js';
import type { TranscriptRead } from '../budget/ledger.js';
import { troubleFromTranscript, type ApiTrouble } from '../session/api-trouble.js';
import { subagentDir, transcriptDir, UsageTracker, type ResponseSeen } from '../session/cost/index.js';
import type { SessionRecord } from './state-file.js';
import { TranscriptWatch } from './transcript-watch.js';
import { turnCost } from './turn-price.js';

const MIN_INTERVAL_MS = 1000;
/** a transcript's time older than this is not taken: the turn is recorded at the node's time */
const LATE_MS = 5 * 60_000;
/** how often a wait for lines reads the transcripts again */
const SHOWN_POLL_MS = 5;
/** the ids (of responses and tool calls) of the latest lines read, kept for a wait that comes after them */
const IDS_KEPT = 512;
/** every `"id":"…"` of a line: its response's, and each of its tool calls' */
const ID = /"id":"([^"\\]{1,200})"/g;

/** Where a session's turns are recorded: the node's ledger. */
export interface TurnSink {
  /** `read`: where in the session's transcripts the turn was read (a worker's has none) */
  record(t: Turn, read?: TranscriptRead): void;
  /** how far each of the session's transcript files was read when its turns were recorded: lines up to it are not again */
  sessionReadTo?(session: string): ReadonlyMap<string, number>;
}

export class UsageWatch {
  private tracker: UsageTracker;
  private last = 0;
  private running: Promise<void> | null = null;
  /** a change was heard while a read ran: read again after it */
  private more = false;
  /** errors written before this (ms) are of an earlier run: the node's start, or the claude's latest */
  private from = Date.now();
  private watch: TranscriptWatch | null = null;
  /** per transcript file, the offset its lines were recorded up to */
  private readonly readTo: Map<string, number>;
  private troubled = false;
  private readonly configDir: string;
  private readonly ids = new Set<string>();

  constructor(
    private readonly record: SessionRecord,
    env: NodeJS.ProcessEnv,
    private readonly changed: (u: Usage) => void,
    trouble: (t: ApiTrouble) => void = () => undefined,
    private readonly turns: TurnSink | null = null,
    /** tells the operator (a model with no known price) */
    private readonly warn: (text: string) => void = () => undefined,
  ) {
    this.configDir = env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude');
    const onLine = (line: string) => {
      for (const m of line.matchAll(ID)) this.keep(m[1]!);
      const seen = troubleFromTranscript(line);
      // an error of an earlier run of the session (read again after a restart) is over
      if (seen && seen.at !== null && Date.parse(seen.at) >= this.from) trouble(seen.trouble);
    };
    this.readTo = new Map(turns?.sessionReadTo?.(record.id));
    this.tracker = new UsageTracker({
      configDir: this.configDir,
      cwd: record.worktree,
      sessionId: record.claudeSession,
      onLine,
      onResponse: (r) => this.turn(r),
    });
    this.follow();
  }

  /** Errors written before `iso` (the session's claude starting again) are not reported. */
  since(iso: string): void {
    this.from = Date.parse(iso);
    this.follow();
  }

  /** Reads what the transcripts gained since last time; at most once a second unless forced. */
  refresh(force = false): Promise<void> {
    this.follow();
    if (this.running) {
      if (force) this.more = true;
      return this.running;
    }
    if (!force && Date.now() - this.last < MIN_INTERVAL_MS) return Promise.resolve();
    this.running = (async () => {
      try {
        const u = await this.tracker.update();
        const next: Usage = {
          inputTokens: u.inputTokens,
          outputTokens: u.outputTokens,
          cacheCreationTokens: u.cacheCreationTokens,
          cacheReadTokens: u.cacheReadTokens,
          costUsd: Math.round(u.costUsd * 1e6) / 1e6,
          unpricedModels: u.unpricedModels,
        };
        if (JSON.stringify(next) !== JSON.stringify(this.record.usage)) this.changed(next);
      } catch (e) {
        process.stderr.write(`agency node: ${this.record.id}: cannot read usage: ${(e as Error).message}\n`);
      } finally {
        this.last = Date.now();
        this.running = null;
        if (this.more) {
          this.more = false;
          void this.refresh(true);
        }
      }
    })();
    return this.running;
  }

  /**
   * Waits (at most `ms`) until the lines of the responses that made these tool calls have been read, and so
   * recorded: true when they have. Claude Code writes a response's line some tens of milliseconds after it
   * ran the response's tools, so its transcripts are read again every few milliseconds meanwhile.
   */
  async shown(toolCalls: readonly string[], ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    for (;;) {
      if (toolCalls.every((id) => this.ids.has(id))) return true;
      if (Date.now() >= end) return false;
      await this.refresh(true);
      if (toolCalls.every((id) => this.ids.has(id))) return true;
      await new Promise((r) => setTimeout(r, SHOWN_POLL_MS));
    }
  }

  /** Stops watching its transcripts. */
  close(): void {
    this.watch?.close();
    this.watch = null;
  }

  /** Watches the transcript folders while the session runs (or is starting), and not otherwise. */
  private follow(): void {
    const want = isLive(this.record) && this.record.state !== 'queued';
    if (want && !this.watch) {
      const { worktree, claudeSession } = this.record;
      const dirs = [transcriptDir(this.configDir, worktree), subagentDir(this.configDir, worktree, claudeSession)];
      this.watch = new TranscriptWatch(dirs, this.configDir, () => void this.refresh(true));
    } else if (!want) this.close();
  }

  private keep(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > IDS_KEPT) this.ids.delete(this.ids.values().next().value!);
  }

  /** One response's usage (or what a later line of it added), as a turn of the session's; never throws. */
  private turn(r: ResponseSeen): void {
    if (!this.turns) return;
    // read again (the node restarted, or a file was replaced): what was recorded before is not recorded twice
    if (r.end <= (this.readTo.get(r.file) ?? 0)) return;
    this.readTo.set(r.file, r.end);
    const now = Date.now();
    const said = r.at === null ? NaN : Date.parse(r.at);
    const ms = said >= now - LATE_MS && said <= now ? said : now;
    const t = r.tokens;
    try {
      this.turns.record(
        {
          at: new Date(ms).toISOString(),
          session: this.record.id,
          worker: null,
          vp: this.record.vp ?? null,
          discipline: this.record.discipline,
          model: r.model,
          spend: {
            inputTokens: t.inputTokens,
            outputTokens: t.outputTokens,
            cacheCreationTokens: t.cacheCreationTokens,
            cacheReadTokens: t.cacheReadTokens,
            // an unknown model at the dearest known rate: a dollar budget does not count it as free
            costUsd: turnCost(r.model, t, this.warn).usd,
          },
        },
        { file: r.file, end: r.end },
      );
    } catch (e) {
      // the reading goes on: a ledger that failed is its own to report
      if (!this.troubled)
        process.stderr.write(`agency node: ${this.record.id}: a turn was not recorded: ${(e as Error).message}\n`);
      this.troubled = true;
    }
  }
}
