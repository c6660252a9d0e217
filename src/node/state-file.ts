/** The node's session table and decisions, persisted atomically so that a crash loses at most the last instant. */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import type { Decision, SessionSummary } from '../protocol/messages.js';
import { writeFileAtomic } from './atomic-file.js';

export interface SessionRecord extends Omit<SessionSummary, 'node' | 'openDecisions'> {
  registry: string | null;
  /** how many times the node has brought the session back after a restart */
  resumes: number;
}

export interface NodeState {
  version: 1;
  sessions: SessionRecord[];
  decisions: Decision[];
}

export function loadState(path: string): NodeState {
  if (!existsSync(path)) return { version: 1, sessions: [], decisions: [] };
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as NodeState;
    if (s.version !== 1 || !Array.isArray(s.sessions) || !Array.isArray(s.decisions)) throw new Error('unknown format');
    return s;
  } catch (e) {
    // keep the unreadable file for inspection, and start empty rather than refuse to run
    const aside = `${path}.unreadable-${Date.now()}`;
    renameSync(path, aside);
    process.stderr.write(`agency node: ${path} could not be read (${(e as Error).message}); moved it to ${aside}\n`);
    return { version: 1, sessions: [], decisions: [] };
  }
}

/** Saves at most once per interval, and at once on flush(). */
export class StateWriter {
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly path: string,
    private readonly snapshot: () => NodeState,
    private readonly intervalMs = 100,
  ) {}

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    writeFileAtomic(this.path, `${JSON.stringify(this.snapshot(), null, 1)}\n`);
  }
}
