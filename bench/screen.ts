/**
 * Headless screen throughput for a session printing fast: 64 MB of realistic mixed output (coloured log
 * lines, progress bars redrawn with CR and EL, an ink-style box redrawn with cursor-up moves, some CJK and
 * emoji) fed in 64 KB chunks with backpressure, against the same bytes through a consumer that only scans
 * for ESC. Also the screen's heap growth after 8 MB and after 64 MB: equal figures mean it stays bounded.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HeadlessScreen } from '../src/terminal/index.js';
import { report } from './stats.js';

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** A deterministic 1 MB block of what a busy session prints. */
function sample(): Buffer {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const levels = ['\x1b[32mINFO\x1b[0m ', '\x1b[33mWARN\x1b[0m ', '\x1b[1;31mERROR\x1b[0m', '\x1b[2mDEBUG\x1b[0m'];
  const words = [
    'request',
    'handled',
    'path=/api/v1/items',
    'status=200',
    'dur=12ms',
    'user=alice',
    'retry',
    'cache hit',
    '中文',
    '✅',
    '😀',
    '→',
  ];
  let out = '';
  let t = 0;
  while (out.length < MB) {
    const r = next();
    if (r < 0.7) {
      t += Math.floor(next() * 50);
      const msg = Array.from({ length: 4 + Math.floor(next() * 8) }, () => pick(words)).join(' ');
      out += `\x1b[2m12:00:${String(t % 60).padStart(2, '0')}.${String(t % 1000).padStart(3, '0')}\x1b[0m ${pick(levels)} \x1b[36mworker-${t % 8}\x1b[0m ${msg}\r\n`;
    } else if (r < 0.85) {
      for (let p = 0; p <= 100; p += 10)
        out += `\r\x1b[K\x1b[38;5;${(p * 2) % 256}m[${'#'.repeat(p / 10)}${'.'.repeat(10 - p / 10)}]\x1b[0m ${p}%`;
      out += '\r\n';
    } else {
      // ink redraws its frame: erase the previous lines going up, then print the new frame
      out += '\x1b[2K\x1b[1A\x1b[2K\x1b[1A\x1b[2K\x1b[G';
      out += `\x1b[38;2;180;120;255m╭${'─'.repeat(40)}╮\x1b[0m\r\n`;
      out += `\x1b[38;2;180;120;255m│\x1b[0m \x1b[1m✻ Thinking…\x1b[0m ${pick(words)} \x1b[7m esc \x1b[0m to interrupt\r\n`;
      out += `\x1b[38;2;180;120;255m╰${'─'.repeat(40)}╯\x1b[0m\r\n`;
    }
  }
  return Buffer.from(out, 'utf8');
}

function collectGarbage(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Feeds `total` bytes in CHUNK pieces, pausing on backpressure as a PTY would; resolves when all is parsed. */
async function feed(screen: HeadlessScreen, block: Buffer, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += CHUNK) {
    const off = sent % block.length;
    if (!screen.write(block.subarray(off, Math.min(off + CHUNK, block.length)))) {
      await new Promise<void>((resolve) => {
        const sub = screen.onDrain(() => {
          sub.dispose();
          resolve();
        });
      });
    }
  }
  await screen.flushed();
}

function scanForEsc(block: Buffer, total: number): number {
  let escapes = 0;
  for (let sent = 0; sent < total; sent += CHUNK) {
    const off = sent % block.length;
    const chunk = block.subarray(off, Math.min(off + CHUNK, block.length));
    for (let i = chunk.indexOf(0x1b); i !== -1; i = chunk.indexOf(0x1b, i + 1)) escapes++;
  }
  return escapes;
}

export async function benchScreen(totalMb = 64): Promise<void> {
  const gc = collectGarbage();
  const block = sample();
  const total = totalMb * MB;

  // warm up both paths (JIT, the width table) on a little data
  const warm = new HeadlessScreen({ cols: 120, rows: 40 });
  await feed(warm, block, 2 * MB);
  warm.dispose();
  scanForEsc(block, 2 * MB);

  let t = performance.now();
  const escapes = scanForEsc(block, total);
  const scanMs = performance.now() - t;
  if (escapes === 0) throw new Error('benchmark sample has no escape sequences');

  // xterm keeps cells in typed arrays: count their backing stores as well as the JS heap
  const memory = () => {
    gc();
    const m = process.memoryUsage();
    return { heap: m.heapUsed, buffers: m.arrayBuffers };
  };
  const before = memory();
  const screen = new HeadlessScreen({ cols: 120, rows: 40, scrollback: 1000 });
  await feed(screen, block, 8 * MB);
  const at8 = memory();

  t = performance.now();
  await feed(screen, block, total);
  const screenMs = performance.now() - t;
  const atEnd = memory();
  screen.dispose();

  const rate = (ms: number) => totalMb / (ms / 1000);
  report(`screen: ${totalMb} MB mixed output, 64 KB chunks`, rate(screenMs), 'MB/s', rate(scanMs), 'ESC scan');
  report(
    `screen: heapUsed growth after ${8 + totalMb} MB`,
    (atEnd.heap - before.heap) / MB,
    'MB',
    (at8.heap - before.heap) / MB,
    'after 8 MB',
  );
  report(
    `screen: arrayBuffers growth after ${8 + totalMb} MB`,
    (atEnd.buffers - before.buffers) / MB,
    'MB',
    (at8.buffers - before.buffers) / MB,
    'after 8 MB',
  );
}
