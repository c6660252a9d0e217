/**
 * A session's tokens and cost, followed from Claude Code's transcripts (subagents included, duplicates removed),
 * and the API errors written there since its claude last started.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Usage } from '../protocol/messages.js';
import { troubleFromTranscript, type ApiTrouble } from '../session/api-trouble.js';
import { UsageTracker } from '../session/cost/index.js';
import type { SessionRecord } from './state-file.js';

const MIN_INTERVAL_MS = 1000;

export class UsageWatch {
  private tracker: UsageTracker;
  private last = 0;
  private running: Promise<void> | null = null;
  private from = '';

  constructor(
    private readonly record: SessionRecord,
    env: NodeJS.ProcessEnv,
    private readonly changed: (u: Usage) => void,
    trouble: (t: ApiTrouble) => void = () => undefined,
  ) {
    const configDir = env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude');
    const onLine = (line: string) => {
      const seen = troubleFromTranscript(line);
      // an error of an earlier run of the session (read again after a restart) is over
      if (seen && seen.at !== null && seen.at >= this.from) trouble(seen.trouble);
    };
    this.tracker = new UsageTracker({ configDir, cwd: record.worktree, sessionId: record.claudeSession, onLine });
  }

  /** Errors written before `iso` (the session's claude starting again) are not reported. */
  since(iso: string): void {
    this.from = iso;
  }

  /** Reads what the transcripts gained since last time; at most once a second unless forced. */
  refresh(force = false): Promise<void> {
    if (this.running) return this.running;
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
      }
    })();
    return this.running;
  }
}
