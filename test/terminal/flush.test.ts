import { afterEach, describe, expect, it } from 'vitest';
import { HeadlessScreen } from '../../src/terminal/index.js';
import { FeedQueue } from '../../src/terminal/feed-queue.js';
import type { Chunk } from '../../src/terminal/feed-queue.js';

const screens: HeadlessScreen[] = [];
afterEach(() => screens.splice(0).forEach((s) => s.dispose()));

function make(cols = 80, rows = 24, highWaterMark?: number): HeadlessScreen {
  const s = new HeadlessScreen(highWaterMark === undefined ? { cols, rows } : { cols, rows, highWaterMark });
  screens.push(s);
  return s;
}

describe('flushed()', () => {
  it('resolves after a 5 MB write, with the last line on the screen', async () => {
    const s = make();
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 5 * 1024 * 1024; i++) {
      const l = `\x1b[3${i % 8}mline ${i}\x1b[0m ${'.'.repeat(i % 50)}\r\n`;
      lines.push(l);
      size += l.length;
    }
    const last = `the end after ${lines.length} lines`;
    s.write(lines.join('') + last);
    await s.flushed();
    expect(s.lines()[23]).toBe(last);
    expect(s.lines()[22]).toBe(`line ${lines.length - 1} ${'.'.repeat((lines.length - 1) % 50)}`);
  });

  it('written in many small pieces, bytes split inside UTF-8 sequences and escapes', async () => {
    const s = make(20, 3);
    const bytes = new TextEncoder().encode('\x1b[31m中文😀\x1b[0m done');
    for (let i = 0; i < bytes.length; i++) s.write(bytes.subarray(i, i + 1));
    await s.flushed();
    expect(s.lines()[0]).toBe('中文😀 done');
    expect(s.styledLines()[0]![0]).toEqual({ text: '中文😀', width: 6, style: { fg: 1 } });
  });

  it('resolves in order, each after what was written before it', async () => {
    const s = make(20, 3);
    const seen: string[] = [];
    s.write('one');
    const first = s.flushed().then(() => seen.push(`first: ${s.lines()[0]}`));
    s.write(' two');
    const second = s.flushed().then(() => seen.push(`second: ${s.lines()[0]}`));
    await Promise.all([second, first]);
    // both writes may be parsed in the same slice, before either promise callback runs
    expect(seen[0]).toMatch(/^first: one/);
    expect(seen[1]).toBe('second: one two');
  });

  it('resolves at once with nothing written, and after dispose', async () => {
    const s = make();
    await s.flushed();
    s.write('x'.repeat(1_000_000));
    const pending = s.flushed();
    s.dispose();
    await pending;
    await s.flushed();
    expect(s.write('more')).toBe(false);
  });
});

describe('flow control', () => {
  it("more than xterm's 50 MB discard mark written at once: no throw, nothing lost, write() asks to pause and onDrain resumes", async () => {
    const s = make(80, 5, 4 * 1024 * 1024);
    const chunk = new TextEncoder().encode(`${'y'.repeat(1023)}\n`.repeat(1024)); // 1 MB of lines
    let asked = false;
    let drained = 0;
    s.onDrain(() => drained++);
    for (let i = 0; i < 56; i++) if (!s.write(chunk)) asked = true;
    s.write('\r\nlast line');
    expect(asked).toBe(true);
    expect(s.pending).toBeGreaterThan(50_000_000);
    await s.flushed();
    expect(s.pending).toBe(0);
    expect(drained).toBe(1);
    expect(s.lines()[4]).toBe('last line');
  });
});

describe('FeedQueue (with a recording parser)', () => {
  /** a parser that parses when told to, recording what it got */
  function fakeSink() {
    const got: { data: Chunk; parsed: () => void }[] = [];
    return {
      got,
      sink: { write: (data: Chunk, parsed: () => void) => void got.push({ data, parsed }) },
      parseOne: () => got.shift()!.parsed(),
    };
  }

  it('hands the parser no more than the feed limit while earlier data is unparsed', () => {
    const f = fakeSink();
    const q = new FeedQueue(f.sink, { feedLimit: 10, highWaterMark: 100 });
    q.write('aaaa');
    q.write('bbbb');
    q.write('cccc'); // would make 12 in the parser: held
    expect(f.got.map((g) => g.data)).toEqual(['aaaa', 'bbbb']);
    f.parseOne();
    expect(f.got.map((g) => g.data)).toEqual(['bbbb', 'cccc']);
    expect(q.pendingSize).toBe(8);
  });

  it('splits a write larger than the feed limit', () => {
    const f = fakeSink();
    const q = new FeedQueue(f.sink, { feedLimit: 4, highWaterMark: 100 });
    q.write('abcdefghij');
    expect(f.got.map((g) => g.data)).toEqual(['abcd']);
    f.parseOne();
    f.parseOne();
    expect(f.got.map((g) => g.data)).toEqual(['ij']);
  });

  it('a flush waits behind held data', () => {
    const f = fakeSink();
    const q = new FeedQueue(f.sink, { feedLimit: 4, highWaterMark: 100 });
    let flushed = false;
    q.write('abcd');
    q.write('efgh');
    q.flush(() => (flushed = true));
    expect(f.got.map((g) => g.data)).toEqual(['abcd']);
    f.parseOne(); // feeds efgh, then hands over the flush marker
    expect(f.got.map((g) => g.data)).toEqual(['efgh', '']);
    f.parseOne();
    expect(flushed).toBe(false);
    f.parseOne();
    expect(flushed).toBe(true);
  });

  it('signals pause above the high-water mark and drain at half of it', () => {
    const f = fakeSink();
    const q = new FeedQueue(f.sink, { feedLimit: 100, highWaterMark: 10 });
    let drains = 0;
    q.onDrain(() => drains++);
    expect(q.write('12345')).toBe(true);
    expect(q.write('67890')).toBe(false);
    expect(q.write('')).toBe(false);
    f.parseOne();
    expect(drains).toBe(1);
    expect(q.write('x')).toBe(true);
  });
});
