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
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${explain ? `; ${explain()}` : ''}`);
    let stop: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 50);
      stop = wake?.(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    stop?.();
  }
}
