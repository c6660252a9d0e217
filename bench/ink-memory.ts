/**
 * What ink keeps of the text it draws: the heap after 5,000 frames of lines that never repeat (what a
 * cockpit's tiles do for days), against the size of those lines' own text; and 5,000 frames that repeat
 * ten lines, for what drawing leaves behind anyway. patches/ink+6.8.0.patch bounds ink's text caches;
 * unbounded, the 5,000 lines left about 3.6 MB behind (ratio 2.6: more than a copy of every line; bounded, 0.3).
 */
import { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { report } from './stats.js';

class Out extends EventEmitter {
  columns = 80;
  rows = 10;
  write = () => true;
}

function heapAfterGc(): () => number {
  const g = (globalThis as { gc?: () => void }).gc;
  let gc = g;
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  return () => {
    for (let i = 0; i < 4; i++) gc();
    return process.memoryUsage().heapUsed;
  };
}

const line = (i: number) =>
  `session s-${i} · editing src/module-${i}.ts, then running the tests again (step ${i}) ${'x'.repeat(60)}`;

/** Heap growth over `frames` frames after a warm-up, each frame drawing text(i). */
async function growth(frames: number, text: (i: number) => string): Promise<number> {
  process.env.NODE_ENV = 'production'; // React's production build, as the built CLI uses
  const { Box, render, Text } = await import('ink');
  const { createElement: h } = await import('react');
  const Line = ({ text }: { text: string }) =>
    h(
      Box,
      { width: 40, flexDirection: 'column' },
      h(Text, { wrap: 'truncate' }, text),
      h(Text, null, text.slice(0, 30)),
    );
  const heap = heapAfterGc();
  const app = render(h(Line, { text: '' }), {
    stdout: new Out() as never,
    debug: true,
    patchConsole: false,
    exitOnCtrlC: false,
  });
  try {
    // past the caches' bound: what stays from here on is the steady state
    for (let i = 0; i < 2_500; i++) app.rerender(h(Line, { text: text(i) }));
    const before = heap();
    for (let i = 2_500; i < 2_500 + frames; i++) app.rerender(h(Line, { text: text(i) }));
    return heap() - before;
  } finally {
    app.unmount();
  }
}

export async function benchInkMemory(frames = Number(process.env.BENCH_FRAMES ?? 5_000)): Promise<void> {
  // a line that repeats is cached once: what drawing itself leaves behind
  const repeated = await growth(frames, (i) => line(i % 10));
  const distinct = await growth(frames, line);
  // the lines' own text, as V8 holds it (two bytes a character: '·' is not Latin-1); kept whole it is the floor
  let text = 0;
  for (let i = 2_500; i < 2_500 + frames; i++) text += line(i).length * 2;
  const mb = (b: number) => b / 1024 / 1024;
  report(`ink heap growth, ${frames} distinct lines`, mb(distinct), 'MB', mb(text), 'the text of those lines');
  console.log(`  the same number of frames repeating 10 lines: ${mb(repeated).toFixed(2)} MB`);
}
