/**
 * A running cockpit's mark in the operator's state folder (`<AGENCY_HOME>/run/cockpits/<pid>.json`): its pid,
 * the nodes it watches and whether its terminal has focus. `agency notify` stays quiet about the nodes a
 * running cockpit watches, since that cockpit tells the operator itself. A mark whose process is gone is stale:
 * it is ignored and removed.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { processAlive } from '../paths/fs-facts.js';
import { agencyHome } from '../paths/node-home.js';

const presenceSchema = z.object({
  pid: z.number().int().positive(),
  /** null: the terminal has not said (it sends no focus reports) */
  focused: z.boolean().nullable(),
  /** the nodes it watches; null: all of them */
  nodes: z.array(z.string()).nullable(),
  since: z.string(),
});
export type Presence = z.infer<typeof presenceSchema>;

export function presenceDir(home = agencyHome()): string {
  return join(home, 'run', 'cockpits');
}

export interface PresenceMark {
  /** the terminal's focus changed */
  focus(focused: boolean | null): void;
  /** removes the mark (on exit) */
  clear(): void;
}

/** Marks this process as a running cockpit; the mark goes when the process exits. */
export function markPresence(
  o: { nodes: string[] | null; focused: boolean | null },
  dir = presenceDir(),
  pid = process.pid,
): PresenceMark {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${pid}.json`);
  const mark: Presence = { pid, focused: o.focused, nodes: o.nodes, since: new Date().toISOString() };
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
    focus(focused) {
      if (cleared || focused === mark.focused) return;
      mark.focused = focused;
      write();
    },
    clear,
  };
}

/** The cockpits running now; marks of processes that are gone (or that cannot be read) are removed. */
export function livePresences(dir = presenceDir(), alive: (pid: number) => boolean = processAlive): Presence[] {
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
    let p: Presence | null = null;
    try {
      const parsed = presenceSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success && parsed.data.pid === Number(m[1])) p = parsed.data;
    } catch {
      // being written, or not a mark: judged by its pid alone below
    }
    if (alive(Number(m[1]))) {
      if (p) out.push(p);
      continue;
    }
    rmSync(file, { force: true });
  }
  return out;
}

/** Whether a running cockpit watches this node (and so tells the operator of it itself). */
export function watchedByCockpit(node: string, cockpits: readonly Presence[]): boolean {
  return cockpits.some((c) => c.nodes === null || c.nodes.includes(node));
}
