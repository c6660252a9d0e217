/**
 * A running cockpit's mark in the operator's state folder (`<AGENCY_HOME>/run/cockpits/<pid>.json`): its pid
 * and when that process started, the nodes it watches, and how it tells the operator now (its terminal's
 * focus, the bell, the OS notification or the command). `agency notify` stays quiet about a node only while a
 * cockpit that watches it tells of it itself. A mark is live only while its pid is the very process that
 * wrote it (same start time: a pid the system gave to another process since does not count); any other mark
 * is stale, ignored and removed.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { agencyHome } from '../paths/node-home.js';
import { processStart } from './process-start.js';

const presenceSchema = z.object({
  pid: z.number().int().positive(),
  /** when the process started (process-start.ts); null: not knowable here, and so never taken as live */
  start: z.string().nullable().default(null),
  /** null: the terminal has not said (it sends no focus reports) */
  focused: z.boolean().nullable(),
  /** the bell is on */
  bell: z.boolean().default(false),
  /** it shows the OS notification or runs the command while its terminal is not focused */
  away: z.boolean().default(false),
  /** the nodes it watches; null: all of them */
  nodes: z.array(z.string()).nullable(),
  since: z.string(),
});
export type Presence = z.infer<typeof presenceSchema>;

export function presenceDir(home = agencyHome()): string {
  return join(home, 'run', 'cockpits');
}

/** How the cockpit tells the operator now. */
export interface Telling {
  focused: boolean | null;
  bell: boolean;
  away: boolean;
}

export interface PresenceMark {
  /** how it tells changed (the terminal's focus, the bell) */
  update(t: Partial<Telling>): void;
  /** removes the mark (on exit) */
  clear(): void;
}

/** Marks this process as a running cockpit; the mark goes when the process exits. */
export function markPresence(
  o: Telling & { nodes: string[] | null },
  dir = presenceDir(),
  pid = process.pid,
): PresenceMark {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${pid}.json`);
  const mark: Presence = {
    pid,
    start: processStart(pid),
    focused: o.focused,
    bell: o.bell,
    away: o.away,
    nodes: o.nodes,
    since: new Date().toISOString(),
  };
  const write = () => {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(mark)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  };
  write();
  let cleared = false;
  const clear = () => {
    if (cleared) return;
    cleared = true;
    process.off('exit', clear);
    rmSync(file, { force: true });
  };
  process.on('exit', clear);
  return {
    update(t) {
      if (cleared) return;
      const next = { ...mark, ...t };
      if (next.focused === mark.focused && next.bell === mark.bell && next.away === mark.away) return;
      Object.assign(mark, t);
      write();
    },
    clear,
  };
}

/**
 * The cockpits running now: marks whose process is the one that wrote them. Marks of processes that are gone,
 * or whose pid now belongs to another process, are removed.
 */
export function livePresences(dir = presenceDir(), startOf: (pid: number) => string | null = processStart): Presence[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Presence[] = [];
  for (const name of names) {
    const m = /^(\d+)\.json$/.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    const now = startOf(Number(m[1]));
    let p: Presence | null = null;
    try {
      const parsed = presenceSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success && parsed.data.pid === Number(m[1])) p = parsed.data;
    } catch {
      // being written, or not a mark: kept while its process lives, never taken
      if (now !== null) continue;
    }
    if (p && p.start !== null && now === p.start) {
      out.push(p);
      continue;
    }
    rmSync(file, { force: true });
  }
  return out;
}

/** Whether the cockpit tells the operator itself now: the bell at a focused terminal, the rest away from it. */
export function tellsNow(c: Pick<Presence, 'focused' | 'bell' | 'away'>): boolean {
  // a terminal that sends no focus reports says nothing of where the operator is: not counted on
  return c.focused === true ? c.bell : c.focused === false ? c.away : false;
}

/** Whether a running cockpit watches this node and tells of it itself now. */
export function toldByCockpit(node: string, cockpits: readonly Presence[]): boolean {
  return cockpits.some((c) => (c.nodes === null || c.nodes.includes(node)) && tellsNow(c));
}
