/**
 * Waits for a condition by checking it again and again (every 50 ms) until it holds; rejects after ms.
 * `explain` adds what to show when it times out (a screen, a status).
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
  explain?: () => string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${explain ? `; ${explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
