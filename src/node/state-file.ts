/**
 * The node's session table and decisions, persisted atomically so that a crash loses at most the last
 * instant. What is read back is checked record by record (state-schema.ts): a record that does not hold
 * is set aside in a file beside the state for inspection, with a warning, and never launched; the rest load.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Decision, SessionSummary } from '../protocol/messages.js';
import { writeFileAtomic } from './atomic-file.js';
import { checkDecision, checkSession, type Checked } from './state-schema.js';

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

export interface LoadedState {
  state: NodeState;
  /** what the operator should hear: records set aside, a file that could not be read */
  warnings: string[];
}

/** Past this many, set-aside records are counted in one warning, not listed one by one. */
const LISTED = 5;

const empty = (): NodeState => ({ version: 1, sessions: [], decisions: [] });

interface SetAside {
  kind: 'session' | 'decision';
  problem: string;
  record: unknown;
}

/** The records that pass their check, each id once; the others go to setAside with what is wrong. */
function keep<T extends { id: string }>(
  records: unknown[],
  kind: SetAside['kind'],
  check: (r: unknown) => Checked<T>,
  setAside: SetAside[],
): T[] {
  const kept = new Map<string, T>();
  for (const record of records) {
    const r = check(record);
    if (!r.ok) setAside.push({ kind, problem: r.problem, record });
    else if (kept.has(r.value.id)) setAside.push({ kind, problem: `a second record of ${r.value.id}`, record });
    else kept.set(r.value.id, r.value);
  }
  return [...kept.values()];
}

/** Reads the state at path; worktrees is the one folder a session's worktree may be in. */
export function loadState(path: string, o: { worktrees: string }): LoadedState {
  if (!existsSync(path)) return { state: empty(), warnings: [] };
  let raw: { version?: unknown; sessions?: unknown; decisions?: unknown };
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as typeof raw;
    if (raw?.version !== 1 || !Array.isArray(raw.sessions) || !Array.isArray(raw.decisions))
      throw new Error('unknown format');
  } catch (e) {
    // keep the unreadable file for inspection, and start empty rather than refuse to run
    const aside = `${path}.unreadable-${Date.now()}`;
    renameSync(path, aside);
    return {
      state: empty(),
      warnings: [
        `${path} could not be read (${(e as Error).message}); it was moved to ${aside} and no session was loaded`,
      ],
    };
  }
  const setAside: SetAside[] = [];
  const state: NodeState = {
    version: 1,
    sessions: keep(raw.sessions as unknown[], 'session', (r) => checkSession(r, o.worktrees), setAside),
    decisions: keep(raw.decisions as unknown[], 'decision', checkDecision, setAside),
  };
  if (setAside.length === 0) return { state, warnings: [] };
  const file = join(dirname(path), `state.set-aside-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileAtomic(file, `${JSON.stringify({ from: path, records: setAside }, null, 1)}\n`);
  const warnings = setAside
    .slice(0, LISTED)
    .map((x) => `${path}: set aside a ${x.kind} record (${x.problem}); it is kept in ${file} and was not loaded`);
  if (setAside.length > LISTED)
    warnings.push(`${path}: set aside ${setAside.length - LISTED} more records; they are kept in ${file}`);
  return { state, warnings };
}

/** Saves at most once per interval, and at once on flush(). */
export class StateWriter {
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly path: string,
    private readonly snapshot: () => NodeState,
    private readonly intervalMs = 100,
  ) {}

  private closed = false;

  schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) return;
    writeFileAtomic(this.path, `${JSON.stringify(this.snapshot(), null, 1)}\n`);
  }

  /** The last write: what changes after the node has shut down is not its to keep. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
