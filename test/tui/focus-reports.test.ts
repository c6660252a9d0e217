/** The terminal's focus reports: taken (never keys), in both forms ink may hand them over; anything else left alone. */
import { describe, expect, it } from 'vitest';
import { FocusReports } from '../../src/tui/focus.js';

describe('focus reports', () => {
  it('takes ESC [ I and ESC [ O, and the same after an ESC; leaves keys alone', () => {
    const f = new FocusReports();
    let changes = 0;
    f.subscribe(() => changes++);
    expect(f.reported()).toBeNull();
    expect(f.focused()).toBe(true);
    expect(f.take('\x1b[O')).toBe(true);
    expect(f.reported()).toBe(false);
    expect(f.take('\x1b[I')).toBe(true);
    expect(f.reported()).toBe(true);
    // read with an ESC before it: one sequence, as ink gives a meta key
    expect(f.take('\x1b\x1b[O')).toBe(true);
    expect(f.reported()).toBe(false);
    expect(f.focused()).toBe(false);
    expect(f.take('\x1b\x1b[I')).toBe(true);
    expect(f.reported()).toBe(true);
    expect(changes).toBe(4);
    for (const key of ['O', '[O', '\x1b', '\x1b[A', '\x1b\x1b[A', 'toString', undefined])
      expect(f.take(key)).toBe(false);
    expect(f.reported()).toBe(true);
  });
});
