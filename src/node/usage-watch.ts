/** A session's tokens and cost, followed from Claude Code's transcripts (subagents included, duplicates removed). */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Usage } from '../protocol/messages.js';
import { UsageTracker } from '../session/cost/index.js';
import type { SessionRecord } from './state-file.js';

const MIN_INTERVAL_MS = 1000;

export class UsageWatch {
  private tracker: UsageTracker;
  private last = 0;
  private running: Promise<void> | null = null;

  constructor(
    private readonly record: SessionRecord,
    env: NodeJS.ProcessEnv,
    private readonly changed: (u: Usage) => void,
  ) {
    const configDir = env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude');
    this.tracker = new UsageTracker({ configDir, cwd: record.worktree, sessionId: record.claudeSession });
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
