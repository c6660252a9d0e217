import { describe, expect, it } from 'vitest';
import { age, doing, dollars, tokens } from '../../src/cockpit/format.js';

// Expected strings are worked out by hand from the rule written in each test's name.
describe('tokens', () => {
  it('writes whole counts below a thousand, rounding rates', () => {
    expect(tokens(0)).toBe('0');
    expect(tokens(7)).toBe('7');
    expect(tokens(999)).toBe('999');
    expect(tokens(12.4)).toBe('12');
    expect(tokens(999.4)).toBe('999');
  });

  it('writes thousands, millions and billions with one decimal', () => {
    expect(tokens(1000)).toBe('1.0k');
    expect(tokens(1234)).toBe('1.2k');
    expect(tokens(45_678)).toBe('45.7k');
    expect(tokens(1_000_000)).toBe('1.0M');
    expect(tokens(2_560_000)).toBe('2.6M');
    expect(tokens(3_000_000_000)).toBe('3.0G');
  });

  it('chooses the unit after rounding, so a count never reads 1000.0k', () => {
    expect(tokens(999.5)).toBe('1.0k');
    expect(tokens(999_949)).toBe('999.9k');
    expect(tokens(999_960)).toBe('1.0M');
    expect(tokens(999_960_000)).toBe('1.0G');
  });

  it('writes ? for a value that is not a number', () => {
    expect(tokens(Number.NaN)).toBe('?');
    expect(tokens(Number.POSITIVE_INFINITY)).toBe('?');
  });
});

describe('dollars', () => {
  it('writes cents below $100 and whole dollars from there', () => {
    expect(dollars(0)).toBe('$0.00');
    expect(dollars(0.004)).toBe('$0.00');
    expect(dollars(0.42)).toBe('$0.42');
    expect(dollars(12.3)).toBe('$12.30');
    expect(dollars(99.99)).toBe('$99.99');
    expect(dollars(100)).toBe('$100');
    expect(dollars(123.45)).toBe('$123');
    expect(dollars(1234.5)).toBe('$1235');
  });

  it('never writes $100.00: an amount that rounds to $100 is written in whole dollars', () => {
    expect(dollars(99.999)).toBe('$100');
  });

  it('writes ? for a value that is not a number', () => {
    expect(dollars(Number.NaN)).toBe('?');
  });
});

describe('age', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('writes the largest whole unit: seconds, minutes, hours, days', () => {
    expect(age('2026-03-01T12:00:00Z', now)).toBe('0s');
    expect(age('2026-03-01T11:59:18Z', now)).toBe('42s');
    expect(age('2026-03-01T11:59:00Z', now)).toBe('1m');
    expect(age('2026-03-01T11:00:01Z', now)).toBe('59m');
    expect(age('2026-03-01T09:00:00Z', now)).toBe('3h');
    expect(age('2026-02-28T12:00:01Z', now)).toBe('23h');
    expect(age('2026-02-27T12:00:00Z', now)).toBe('2d');
    expect(age('2025-03-01T12:00:00Z', now)).toBe('365d');
  });

  it('writes 0s for a time in the future (a node whose clock runs ahead)', () => {
    expect(age('2026-03-01T12:05:00Z', now)).toBe('0s');
  });

  it('writes ? for a date it cannot read, never NaNd', () => {
    expect(age('not a date', now)).toBe('?');
    expect(age('', now)).toBe('?');
    expect(age('2026-13-45T99:00:00Z', now)).toBe('?');
  });
});

describe('doing', () => {
  it('says why when a session failed or waits for input, and what it does otherwise', () => {
    const s = (state: 'failed' | 'needs-input' | 'working' | 'idle', reason: string | null) => ({
      state,
      reason,
      activity: 'editing a.ts',
    });
    expect(doing(s('failed', 'claude exited with 1'))).toBe('claude exited with 1');
    expect(doing(s('needs-input', 'Bash rm -rf x'))).toBe('Bash rm -rf x');
    expect(doing(s('working', 'an old reason'))).toBe('editing a.ts');
    expect(doing(s('idle', 'an old reason'))).toBe('editing a.ts');
    expect(doing(s('failed', null))).toBe('editing a.ts');
  });
});
