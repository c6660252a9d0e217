/** Workers' results kept in the session's memory bank: never written or read through a link the session put there. */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keepResult, readKept } from '../../src/dispatch/kept-results.js';
import { deferAfterEach } from '../helpers/defer.js';
import { tempDir } from '../helpers/tmp.js';

const defer = deferAfterEach();

function worktree() {
  const t = tempDir('agency-kept-');
  defer(t.remove);
  const wt = join(t.path, 'wt');
  mkdirSync(wt);
  const outside = join(t.path, 'node.env');
  writeFileSync(outside, 'ANTHROPIC_API_KEY=secret\n');
  return { wt, outside, root: t.path };
}

describe("a session's kept results", () => {
  it('are written under .context/workers/<run>/ and read back without the DONE line', () => {
    const { wt } = worktree();
    const file = keepResult(wt, 'r-1', 'scan', 'found it\nDONE\n');
    expect(file).toBe(join(wt, '.context', 'workers', 'r-1', 'scan.md'));
    expect(readKept(wt, 'r-1', 'scan')).toBe('found it');
    expect(readKept(wt, 'r-1', 'other')).toBeNull();
  });

  it('are never written through a link the session made, at the file or at any folder on the way', () => {
    const { wt, outside, root } = worktree();
    mkdirSync(join(wt, '.context', 'workers', 'r-1'), { recursive: true });
    symlinkSync(outside, join(wt, '.context', 'workers', 'r-1', 'scan.md'));
    expect(() => keepResult(wt, 'r-1', 'scan', 'x=1\n')).toThrow();
    symlinkSync(root, join(wt, '.context', 'workers', 'r-2'));
    expect(() => keepResult(wt, 'r-2', 'node', 'x=1\n')).toThrow(/is not a folder/);
    expect(readFileSync(outside, 'utf8')).toBe('ANTHROPIC_API_KEY=secret\n');
    expect(readKept(wt, 'r-1', 'scan')).toBeNull();
  });
});
