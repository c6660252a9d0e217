/**
 * How many workers a node runs at once: per model across the whole node (waves), and within a memory
 * ceiling, since a claude process costs on the order of 100 MB and a node that counts only processes runs
 * out of memory first. Set per node in its node.env:
 *   AGENCY_WORKER_LIMITS=haiku=12,sonnet=8,opus=4   at most so many running per model
 *   AGENCY_WORKER_MEMORY_MB=12000                    the ceiling for all running workers together
 *   AGENCY_WORKER_SILENCE_S=300                      a worker silent this long is interrupted and retried
 */
import { readdirSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { WORKER_MODELS, type WorkerModel } from '../protocol/messages.js';

export interface WorkerLimits {
  models: Record<WorkerModel, number>;
  /** the most memory all running workers may use together, in bytes */
  memoryBytes: number;
  /** what a worker is expected to use before it has been measured, in bytes */
  perWorkerBytes: number;
  silenceMs: number;
}

export const DEFAULT_MODEL_LIMITS: Readonly<Record<WorkerModel, number>> = { haiku: 12, sonnet: 8, opus: 4 };
/** a claude process and what it starts, before measurement */
export const DEFAULT_WORKER_BYTES = 250 * 1024 * 1024;
const DEFAULT_SILENCE_S = 300;
const MB = 1024 * 1024;

/** The limits a node's environment sets, or a clear error naming the variable and what it takes. */
export function workerLimits(env: NodeJS.ProcessEnv, total = totalmem()): WorkerLimits {
  const models = { ...DEFAULT_MODEL_LIMITS };
  const spec = env.AGENCY_WORKER_LIMITS?.trim();
  if (spec) {
    for (const part of spec.split(/[,\s]+/).filter(Boolean)) {
      const m = /^(haiku|sonnet|opus)[=:](\d{1,4})$/.exec(part);
      if (!m)
        throw new Error(
          `AGENCY_WORKER_LIMITS: ${JSON.stringify(part)} is not model=count (models ${WORKER_MODELS.join(', ')}; e.g. haiku=12,sonnet=8,opus=4)`,
        );
      models[m[1] as WorkerModel] = Number(m[2]);
    }
  }
  const memoryMb = positive(env, 'AGENCY_WORKER_MEMORY_MB');
  const silenceS = positive(env, 'AGENCY_WORKER_SILENCE_S');
  return {
    models,
    // by default, three quarters of the machine's memory: the rest is the node's, the sessions' and the system's
    memoryBytes: memoryMb !== null ? memoryMb * MB : Math.floor(total * 0.75),
    perWorkerBytes: DEFAULT_WORKER_BYTES,
    silenceMs: (silenceS ?? DEFAULT_SILENCE_S) * 1000,
  };
}

function positive(env: NodeJS.ProcessEnv, name: string): number | null {
  const v = env[name]?.trim();
  if (!v) return null;
  if (!/^\d{1,9}$/.test(v) || Number(v) === 0)
    throw new Error(`${name}: ${JSON.stringify(v)} is not a whole number above 0`);
  return Number(v);
}

/**
 * The resident memory of a process and its descendants, in bytes, from /proc (Linux); null where there is no
 * /proc (macOS), and the estimate serves.
 */
export function treeRss(pid: number): number | null {
  let children: Map<number, number[]>;
  try {
    children = childTable();
  } catch {
    return null;
  }
  let total = 0;
  const stack = [pid];
  const seen = new Set<number>();
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    total += rssOf(p);
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** parent pid → child pids, for every process (one read of /proc/<pid>/stat each) */
function childTable(): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // the command name is in parentheses and may hold spaces: the fields after the last ")" are plain
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const list = out.get(ppid) ?? [];
    list.push(Number(name));
    out.set(ppid, list);
  }
  return out;
}

/**
 * What the running workers use together, measured at most once a second from their process trees; those
 * started since the last measure count at the measured rate per worker (at least 64 MB, the default before
 * any is measured).
 */
export class MemoryGauge {
  private measured = { at: 0, used: 0, per: DEFAULT_WORKER_BYTES, count: 0 };

  load(pids: (number | null)[]): { used: number; per: number } {
    const now = Date.now();
    if (now - this.measured.at < 1000) {
      const since = Math.max(0, pids.length - this.measured.count);
      return { used: this.measured.used + since * this.measured.per, per: this.measured.per };
    }
    let used = 0;
    let counted = 0;
    for (const pid of pids) {
      const rss = pid ? treeRss(pid) : null;
      if (rss) {
        used += rss;
        counted += 1;
      }
    }
    const per = counted ? Math.max(used / counted, 64 * 1024 * 1024) : DEFAULT_WORKER_BYTES;
    this.measured = { at: now, used: used + (pids.length - counted) * per, per, count: pids.length };
    return { used: this.measured.used, per };
  }
}
