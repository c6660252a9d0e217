/**
 * The cockpit stays open for days while every tile's text keeps changing. ink 6 measured and wrapped text
 * through caches keyed by the text that were never emptied, so every distinct line it ever drew stayed in
 * memory; patches/ink+6.8.0.patch bounds them. This test draws 7,500 distinct lines and fails if what they
 * leave behind grows with their number.
 */
import { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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

function collectGarbage(): () => number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    for (let i = 0; i < 4; i++) gc();
    return process.memoryUsage().heapUsed;
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

describe('ink under text that never repeats', () => {
  it('keeps what it caches bounded', () => {
    const settled = collectGarbage();
    const out = new Out();
    const line = (i: number) =>
      `session s-${i} · editing src/module-${i}.ts, then running the tests again (step ${i}) ${'x'.repeat(60)}`;
    const app = render(<Line text={line(0)} />, {
      stdout: out as never,
      debug: true,
      patchConsole: false,
      exitOnCtrlC: false,
    });
    try {
      const draw = (from: number, to: number) => {
        for (let i = from; i < to; i++) app.rerender(<Line text={line(i)} />);
      };
      draw(1, 2_500); // past the caches' bound: what stays from here on is the steady state
      const before = settled();
      draw(2_500, 7_500);
      const grown = settled() - before;
      expect(out.frames).toBeGreaterThan(7_000);
      // unbounded, 5,000 lines (about 130 characters, in three cache entries each) leave about 5 MB
      expect(grown).toBeLessThan(2 * 1024 * 1024);
    } finally {
      app.unmount();
    }
  });
});
