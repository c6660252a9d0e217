import { afterEach } from 'vitest';

/** Cleanups to run after each test of the file, last registered first. */
export function deferAfterEach(): (f: () => unknown) => void {
  const pending: (() => unknown)[] = [];
  afterEach(async () => {
    while (pending.length) await pending.pop()!();
  });
  return (f) => void pending.push(f);
}
