/**
 * The cockpit stays open for days while every tile's text keeps changing. ink 6 measured and wrapped text
 * through caches keyed by the text that were never emptied, so every distinct line it ever drew stayed in
 * memory; patches/ink+6.8.0.patch bounds them (2,048 entries each, then emptied). This test draws 4,000
 * distinct lines and then looks in a heap snapshot for the first 1,500 of them: none may still be held. (What the caches cost in bytes is measured
 * by `npm run bench -- ink-memory`.)
 */
import { EventEmitter } from 'node:events';
import { getHeapSnapshot } from 'node:v8';
import { Box, render, Text } from 'ink';
import { describe, expect, it } from 'vitest';

class Out extends EventEmitter {
  columns = 80;
  rows = 10;
  frames = 0;
  write = () => {
    this.frames++;
    return true;
  };
}

function Line({ text }: { text: string }) {
  return (
    <Box width={40} flexDirection="column">
      <Text wrap="truncate">{text}</Text>
      <Text>{text.slice(0, 30)}</Text>
    </Box>
  );
}

/** each line carries its number between two markers, so that it can be found among every string in the heap */
const line = (i: number) =>
  `<inkline ${i}> session s-${i} · editing src/module-${i}.ts, then running the tests again (step ${i}) ${'x'.repeat(60)}`;

/** The numbers of the drawn lines that some string still alive in the heap holds (a snapshot collects garbage first). */
async function linesInHeap(): Promise<Set<number>> {
  const found = new Set<number>();
  let tail = '';
  for await (const chunk of getHeapSnapshot()) {
    const text = tail + (chunk as Buffer).toString('utf8');
    for (const m of text.matchAll(/<inkline (\d+)>/g)) found.add(Number(m[1]));
    tail = text.slice(-32);
  }
  return found;
}

describe('ink under text that never repeats', () => {
  it('keeps no line drawn long ago', { timeout: 120_000 }, async () => {
    const out = new Out();
    const app = render(<Line text="" />, {
      stdout: out as never,
      debug: true,
      patchConsole: false,
      exitOnCtrlC: false,
    });
    try {
      for (let i = 0; i < 4_000; i++) app.rerender(<Line text={line(i)} />);
      expect(out.frames).toBeGreaterThan(3_900);
      const kept = await linesInHeap();
      // the last line is on screen: the search does find what is held
      expect(kept.has(3_999)).toBe(true);
      // unbounded, every one of the 4,000 lines is still held by the caches
      expect([...kept].filter((i) => i < 1_500)).toEqual([]);
    } finally {
      app.unmount();
    }
  });
});
