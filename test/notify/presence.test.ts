/**
 * A running cockpit's mark: written with its pid, start, nodes and how it tells, updated, removed; marks of
 * processes that are gone, of a pid now another process's, and bad marks are ignored and removed; agency
 * notify defers only to a cockpit that tells of a node itself now.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStart } from '../../src/notify/process-start.js';
import { livePresences, markPresence, tellsNow, toldByCockpit, type Presence } from '../../src/notify/presence.js';

const dirs: string[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function presenceDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'agency-presence-'));
  dirs.push(root);
  const dir = join(root, 'run', 'cockpits');
  mkdirSync(dir, { recursive: true });
  return dir;
}

const cockpit = (o: Partial<Presence>): Presence => ({
  pid: 1,
  start: 'x',
  focused: true,
  bell: false,
  away: false,
  nodes: null,
  since: 'x',
  ...o,
});

describe('cockpit presence', () => {
  it('marks, updates and clears; a mark of a process that is gone is ignored and removed', () => {
    const dir = presenceDir();
    const mark = markPresence({ nodes: ['studio-01'], focused: null, bell: false, away: true }, dir);
    expect(livePresences(dir)).toMatchObject([
      { pid: process.pid, start: processStart(process.pid), nodes: ['studio-01'], focused: null, away: true },
    ]);
    mark.update({ focused: false });
    mark.update({ bell: true });
    expect(JSON.parse(readFileSync(join(dir, `${process.pid}.json`), 'utf8'))).toMatchObject({
      focused: false,
      bell: true,
    });

    // another cockpit that crashed: its pid lives no more
    const gone = 2 ** 22 + 12345;
    writeFileSync(
      join(dir, `${gone}.json`),
      JSON.stringify({ pid: gone, start: 'b:1', focused: true, nodes: null, since: 'x' }),
    );
    // a file that claims another pid than its name: not taken
    writeFileSync(
      join(dir, '1.json'),
      JSON.stringify({ pid: 7, start: 'b:1', focused: true, nodes: null, since: 'x' }),
    );
    const live = livePresences(dir);
    expect(live.map((p) => p.pid)).toEqual([process.pid]);
    expect(existsSync(join(dir, `${gone}.json`))).toBe(false);

    mark.clear();
    expect(livePresences(dir)).toEqual([]);
  });

  it('a mark whose pid is alive but is another process than the one that wrote it is stale', async () => {
    expect(processStart(process.pid)).toMatch(/\S/);
    const dir = presenceDir();
    // a process that is no cockpit, alive, whose pid a crashed cockpit's mark names (the pid was reused)
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    cleanups.push(() => other.kill('SIGKILL'));
    await new Promise((r) => other.once('spawn', r));
    const pid = other.pid!;
    expect(processStart(pid)).not.toBeNull();
    const file = join(dir, `${pid}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        pid,
        start: `${processStart(process.pid)}0`,
        focused: true,
        bell: true,
        nodes: null,
        since: 'x',
      }),
    );
    expect(livePresences(dir)).toEqual([]);
    expect(existsSync(file)).toBe(false);
    // a mark of an older agency, with no start: never taken as live
    writeFileSync(file, JSON.stringify({ pid, focused: true, nodes: null, since: 'x' }));
    expect(livePresences(dir)).toEqual([]);
    // the mark the process itself would write is live
    writeFileSync(
      file,
      JSON.stringify({ pid, start: processStart(pid), focused: true, bell: true, nodes: null, since: 'x' }),
    );
    expect(livePresences(dir).map((p) => p.pid)).toEqual([pid]);
  });

  it('agency notify defers only to a cockpit that watches the node and tells of it itself now', () => {
    // focused: the bell tells, when it is on
    expect(tellsNow(cockpit({ focused: true, bell: true }))).toBe(true);
    expect(tellsNow(cockpit({ focused: true, bell: false, away: true }))).toBe(false);
    // not focused: the OS notification or the command tells, when there is one
    expect(tellsNow(cockpit({ focused: false, away: true }))).toBe(true);
    expect(tellsNow(cockpit({ focused: false, bell: true, away: false }))).toBe(false);
    // a terminal that says nothing of its focus: not counted on
    expect(tellsNow(cockpit({ focused: null, bell: true, away: true }))).toBe(false);

    const telling = cockpit({ nodes: ['studio-01'], focused: false, away: true });
    expect(toldByCockpit('studio-01', [telling])).toBe(true);
    expect(toldByCockpit('studio-02', [telling])).toBe(false);
    expect(toldByCockpit('studio-02', [cockpit({ nodes: null, focused: true, bell: true })])).toBe(true);
    expect(toldByCockpit('studio-02', [cockpit({ nodes: null, focused: true, bell: false })])).toBe(false);
  });
});
