/**
 * Waits for a condition by checking it again and again until it holds; rejects after ms.
 * `explain` adds what to show when it times out (a screen, a status).
 * It checks every 50 ms, and at once whenever `wake` reports that something changed (a frame drawn, a
 * request made): with a signal to wake on, a condition is seen as soon as it holds.
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
  explain?: () => string,
  wake?: (changed: () => void) => () => void,
): Promise<void> {
  const end = Date.now() + ms;
  // listening before the first check: a change that comes while a check is under way is not missed
  let changes = 0;
  let poke: (() => void) | null = null;
  const stop = wake?.(() => {
    changes++;
    poke?.();
  });
  try {
    for (;;) {
      const seen = changes;
      if (await check()) return;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}${explain ? `; ${explain()}` : ''}`);
      if (changes !== seen) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 50);
        function done() {
          clearTimeout(timer);
          poke = null;
          resolve();
        }
        poke = done;
      });
    }
  } finally {
    stop?.();
  }
}
