/** Small statistics for benchmarks: percentiles over samples, printing a figure with its baseline, a full collection. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
export function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i] as number;
}

export function report(
  name: string,
  value: number,
  unit: string,
  baseline: number,
  baselineName: string,
  ratio = value / baseline,
): void {
  const f = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  console.log(
    `${name.padEnd(44)} ${f(value).padStart(9)} ${unit.padEnd(10)} baseline ${baselineName}: ${f(baseline)} ${unit}  ratio ${ratio.toFixed(2)}x`,
  );
}

/** A function that collects the heap fully (exposing gc if the process was not started with --expose-gc). */
export function gcNow(): () => void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  return () => {
    for (let i = 0; i < 4; i++) gc();
  };
}
