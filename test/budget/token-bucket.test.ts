/** A token bucket: full at first, refilled continuously, in debt after a spend larger than it holds. */
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/budget/token-bucket.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TokenBucket', () => {
  it('holds its rate a minute at first, and gives no more than it holds', () => {
    const c = clock();
    const b = new TokenBucket(2, c.now);
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    expect(b.tokens()).toBe(0);
  });

  it('refills continuously: one start of 2 a minute every 30 s, never past its capacity', () => {
    const c = clock();
    const b = new TokenBucket(2, c.now);
    b.take();
    b.take();
    expect(b.msUntil(1)).toBe(30_000);
    c.advance(29_999);
    expect(b.take()).toBe(false);
    c.advance(1);
    expect(b.take()).toBe(true);
    c.advance(10 * 60_000);
    expect(b.tokens()).toBe(2);
  });

  it('says when the k-th of a line gets its turn, each taking one as it comes', () => {
    const c = clock();
    const b = new TokenBucket(2, c.now);
    b.take();
    b.take();
    expect([1, 2, 3].map((k) => b.msUntil(k))).toEqual([30_000, 60_000, 90_000]);
    expect(new TokenBucket(2, c.now).msUntil(2)).toBe(0);
  });

  it('a spend larger than it holds leaves it in debt, at most a minute deep', () => {
    const c = clock();
    const b = new TokenBucket(1000, c.now);
    b.spend(1500);
    expect(b.tokens()).toBe(-500);
    expect(b.msUntil(1)).toBe(Math.ceil((501 / 1000) * 60_000));
    b.spend(1_000_000);
    expect(b.tokens()).toBe(-1000);
    c.advance(60_000);
    expect(b.tokens()).toBe(0);
  });

  it('a new rate keeps what it holds, up to the new capacity; a rate of 0 is refused', () => {
    const c = clock();
    const b = new TokenBucket(10, c.now);
    b.take(4);
    b.setRate(3);
    expect(b.tokens()).toBe(3);
    b.setRate(100);
    expect(b.tokens()).toBe(3);
    c.advance(6_000);
    expect(b.tokens()).toBeCloseTo(13);
    expect(() => new TokenBucket(0, c.now)).toThrow(/more than 0/);
    expect(() => b.setRate(-1)).toThrow(/more than 0/);
  });

  it('a clock that steps back refills nothing and takes nothing away', () => {
    const c = clock();
    const b = new TokenBucket(2, c.now);
    b.take();
    c.advance(-30_000);
    expect(b.tokens()).toBe(1);
  });
});
