/** A running cockpit's mark: written with its pid, nodes and focus, updated, removed; stale and bad marks ignored. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { livePresences, markPresence, watchedByCockpit } from '../../src/notify/presence.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

describe('cockpit presence', () => {
  it('marks, updates and clears; a mark of a process that is gone is ignored and removed', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'agency-presence-')), 'run', 'cockpits');
    dirs.push(dir);
    const mark = markPresence({ nodes: ['studio-01'], focused: null }, dir);
    expect(livePresences(dir)).toMatchObject([{ pid: process.pid, nodes: ['studio-01'], focused: null }]);
    mark.focus(false);
    expect(JSON.parse(readFileSync(join(dir, `${process.pid}.json`), 'utf8'))).toMatchObject({ focused: false });

    // another cockpit that crashed: its pid lives no more
    const gone = 2 ** 22 + 12345;
    writeFileSync(join(dir, `${gone}.json`), JSON.stringify({ pid: gone, focused: true, nodes: null, since: 'x' }));
    // a file that claims another pid than its name, and one that is not JSON: not taken
    writeFileSync(join(dir, '1.json'), JSON.stringify({ pid: 7, focused: true, nodes: null, since: 'x' }));
    const live = livePresences(dir, (pid) => pid === process.pid || pid === 1);
    expect(live.map((p) => p.pid)).toEqual([process.pid]);
    expect(existsSync(join(dir, `${gone}.json`))).toBe(false);

    expect(watchedByCockpit('studio-01', live)).toBe(true);
    expect(watchedByCockpit('studio-02', live)).toBe(false);
    expect(watchedByCockpit('studio-02', [{ pid: 1, focused: true, nodes: null, since: 'x' }])).toBe(true);

    mark.clear();
    expect(livePresences(dir, (pid) => pid === process.pid)).toEqual([]);
  });
});
