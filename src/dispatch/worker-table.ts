/**
 * The dispatcher's table: runs (a session's spawns) and their workers, kept in AGENCY_HOME/workers.json,
 * replaced whole (write, then rename) after changes so that a node that is killed mid-wave picks the wave up where it was.
 * What is read back is checked before use; a record that does not hold is left out, with a warning.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { WORKER_MODELS, WORKER_STATES, isWorkerLive, noUsage, type WorkerSummary } from '../protocol/messages.js';
import { MODEL_NAME, RUN_ID, SESSION_ID, WORKER_ID } from '../protocol/ops.js';
import { workerBranch } from '../protocol/worker-branch.js';
import { newWorkerId, oneLine } from './views.js';
import { randomUUID } from 'node:crypto';

export interface WorkerRecord extends Omit<WorkerSummary, 'node'> {
  /** its whole task, as its session gave it (the summary's `task` is one shortened line) */
  prompt: string;
  /** what a write worker's sparse checkout holds, or null for the whole tree */
  paths: string[] | null;
  /** node-wide queue order: lower starts first, and merges first */
  order: number;
  /** Claude Code's session id for its current attempt */
  claudeSession: string;
  pid: number | null;
  /** the folder it runs in (its pooled worktree, or its own folder beside its session's worktree) */
  cwd: string | null;
  /** for a resolver: the worker whose branch it brings in */
  resolves: string | null;
  /** the full model id its claude is given, when the routing named one (its tier is `model`); null: the tier's alias */
  modelId?: string | null;
}

/** What a new worker is made from: what its session asked (or the node made it for). */
export type NewWorker = Pick<
  WorkerRecord,
  'name' | 'session' | 'run' | 'group' | 'role' | 'model' | 'write' | 'discipline' | 'prompt' | 'paths' | 'resolves'
> &
  Pick<WorkerRecord, 'modelId'>;

export interface RunRecord {
  id: string;
  session: string;
  coordinate: boolean;
  createdAt: string;
  /** groups in the order they first appear */
  groups: string[];
  /** worker names merged into the session branch */
  merged: string[];
  /** worker names whose conflict went to a resolver (its branch brings theirs in) */
  sentBack: string[];
  /** decisions the merge queue opened for the operator */
  decisions: string[];
}

interface TableFile {
  version: 1;
  order: number;
  runs: RunRecord[];
  workers: WorkerRecord[];
}

/** Ended workers kept (and shown) per node beyond the live ones. */
export const KEEP_ENDED = 500;

const text = z.string().max(200_000);
const when = z.string().max(40);
const usageSchema = z.object({
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  cacheCreationTokens: z.number().nonnegative(),
  cacheReadTokens: z.number().nonnegative(),
  costUsd: z.number().nonnegative(),
  unpricedModels: z.array(z.string().max(200)).max(50),
});
const workerSchema = z.object({
  id: z.string().regex(WORKER_ID),
  name: z.string().max(80),
  session: z.string().regex(SESSION_ID),
  run: z.string().regex(RUN_ID),
  group: z.string().max(80),
  role: z.enum(['worker', 'coordinator', 'resolver']),
  model: z.enum(WORKER_MODELS as [string, ...string[]]),
  write: z.boolean(),
  discipline: z.string().max(64),
  state: z.enum(WORKER_STATES as [string, ...string[]]),
  task: text,
  activity: text,
  attempts: z.int().min(0).max(100),
  sentence: text.nullable(),
  reason: text.nullable(),
  branch: z.string().max(300).nullable(),
  worktree: z.string().max(4096).nullable(),
  createdAt: when,
  startedAt: when.nullable(),
  endedAt: when.nullable(),
  updatedAt: when,
  usage: usageSchema,
  prompt: text,
  paths: z.array(z.string().max(1024)).max(100).nullable(),
  order: z.int().min(0),
  claudeSession: z.string().max(64),
  pid: z.int().positive().nullable(),
  cwd: z.string().max(4096).nullable(),
  resolves: z.string().max(80).nullable(),
  modelId: z.string().regex(MODEL_NAME).nullable().optional(),
});
const runSchema = z.object({
  id: z.string().regex(RUN_ID),
  session: z.string().regex(SESSION_ID),
  coordinate: z.boolean(),
  createdAt: when,
  groups: z.array(z.string().max(80)).max(1000),
  merged: z.array(z.string().max(80)).max(10_000),
  sentBack: z.array(z.string().max(80)).max(10_000),
  decisions: z.array(z.string().max(40)).max(10_000),
});

export class WorkerTable {
  readonly runs = new Map<string, RunRecord>();
  readonly workers = new Map<string, WorkerRecord>();
  private order = 0;
  private timer: NodeJS.Timeout | null = null;

  private constructor(private readonly file: string) {}

  /** The table from its file (an empty one if there is none); warnings name what was left out. */
  static load(file: string): { table: WorkerTable; warnings: string[] } {
    const table = new WorkerTable(file);
    const warnings: string[] = [];
    if (!existsSync(file)) return { table, warnings };
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      const aside = `${file}.unreadable-${Date.now()}`;
      renameSync(file, aside);
      return { table, warnings: [`${file} could not be read (${(e as Error).message}); it was moved to ${aside}`] };
    }
    const f = (raw ?? {}) as Partial<TableFile>;
    for (const r of Array.isArray(f.runs) ? f.runs : []) {
      const ok = runSchema.safeParse(r);
      if (ok.success) table.runs.set(ok.data.id, ok.data);
      else warnings.push(`${file}: a run record does not hold (${ok.error.issues[0]?.message}); left out`);
    }
    for (const w of Array.isArray(f.workers) ? f.workers : []) {
      const ok = workerSchema.safeParse(w);
      if (ok.success && table.runs.has(ok.data.run)) table.workers.set(ok.data.id, ok.data as WorkerRecord);
      else warnings.push(`${file}: a worker record does not hold; left out`);
    }
    table.order = Math.max(
      Number.isInteger(f.order) ? f.order! : 0,
      ...[...table.workers.values()].map((w) => w.order + 1),
    );
    return { table, warnings };
  }

  /** A new worker, queued, at the end of the node-wide order. */
  add(f: NewWorker): WorkerRecord {
    const now = new Date().toISOString();
    const w: WorkerRecord = {
      ...f,
      id: newWorkerId('w', (x) => this.workers.has(x)),
      state: 'queued',
      task: oneLine(f.prompt, 200),
      activity: 'queued',
      attempts: 0,
      sentence: null,
      reason: null,
      branch: f.write ? workerBranch(f.session, f.name) : null,
      worktree: null,
      createdAt: now,
      startedAt: null,
      endedAt: null,
      updatedAt: now,
      usage: noUsage(),
      order: this.order++,
      claudeSession: randomUUID(),
      pid: null,
      cwd: null,
    };
    this.workers.set(w.id, w);
    return w;
  }

  ofRun(run: string): WorkerRecord[] {
    return [...this.workers.values()].filter((w) => w.run === run).sort((a, b) => a.order - b.order);
  }

  ofSession(session: string): WorkerRecord[] {
    return [...this.workers.values()].filter((w) => w.session === session).sort((a, b) => a.order - b.order);
  }

  /**
   * Forgets the oldest ended workers past KEEP_ENDED (their runs too, once they have none), of sessions the
   * node no longer has only: a live session's workers, merged or not, stay.
   */
  trim(sessionKnown: (id: string) => boolean): void {
    const ended = [...this.workers.values()]
      .filter((w) => !isWorkerLive(w) && !sessionKnown(w.session))
      .sort((a, b) => a.order - b.order);
    for (const w of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) this.workers.delete(w.id);
    const used = new Set([...this.workers.values()].map((w) => w.run));
    for (const id of this.runs.keys()) if (!used.has(id)) this.runs.delete(id);
  }

  /** Writes soon (changes within a few ms go in one write). */
  schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), 50);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const data: TableFile = {
      version: 1,
      order: this.order,
      runs: [...this.runs.values()],
      workers: [...this.workers.values()],
    };
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      // written and renamed, not synced: what a killed node wrote is in the system's cache all the same, and
      // a sync on a busy disk would hold up every report of the node's (seconds, with many workers at once)
      writeSync(fd, JSON.stringify(data));
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw e;
    }
    closeSync(fd);
    renameSync(tmp, this.file);
  }
}
