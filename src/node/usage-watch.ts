/**
 * A session's tokens and cost, followed from Claude Code's transcripts (subagents included, duplicates removed),
 * and the API errors written there since its claude last started. Each API response's usage is recorded as a
 * turn in the node's ledger as its line is read; while the session is live its transcript folders are watched,
 * so a new line reaches the ledger within milliseconds of being written.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isLive, type Usage } from '../protocol/messages.js';
import type { Turn } from '../protocol/economics.js';
import { troubleFromTranscript, type ApiTrouble } from '../session/api-trouble.js';
import { subagentDir, transcriptDir, UsageTracker, type ResponseSeen } from '../session/cost/index.js';
import type { SessionRecord } from './state-file.js';
import { TranscriptWatch } from './transcript-watch.js';
import { turnCost } from './turn-price.js';

const MIN_INTERVAL_MS = 1000;

/** Where a session's turns are recorded: the node's ledger. */
export interface TurnSink {
  record(t: Turn): void;
  /** the time (ms) of the session's latest turn of its own already recorded: lines read again up to it are not */
  sessionRecordedTo?(session: string): number | null;
}

export class UsageWatch {
  private tracker: UsageTracker;
  private last = 0;
  private running: Promise<void> | null = null;
  /** a change was heard while a read ran: read again after it */
  private more = false;
  private from = '';
  private watch: TranscriptWatch | null = null;
  private recordedTo: number | null;
  /** lines read again up to this time (ms) were recorded before: where the ledger stood as this read began */
  private skipTo: number | null = null;
  private readonly configDir: string;

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
      const seen = troubleFromTranscript(line);
      // an error of an earlier run of the session (read again after a restart) is over
      if (seen && seen.at !== null && seen.at >= this.from) trouble(seen.trouble);
    };
    this.recordedTo = turns?.sessionRecordedTo?.(record.id) ?? null;
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
    this.from = iso;
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
        this.skipTo = this.recordedTo;
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

  /** One response's usage (or what a later line of it added), as a turn of the session's. */
  private turn(r: ResponseSeen): void {
    if (!this.turns) return;
    const ms = r.at === null ? Date.now() : Date.parse(r.at);
    // read again (the node restarted, or a file was replaced): what was recorded before is not recorded twice
    if (r.again && this.skipTo !== null && ms <= this.skipTo) return;
    this.recordedTo = Math.max(this.recordedTo ?? ms, ms);
    const t = r.tokens;
    this.turns.record({
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
    });
  }
}
