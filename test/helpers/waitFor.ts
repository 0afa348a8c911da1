/**
 * Waits for a condition the test can observe (a request reached a server, a counter moved), so
 * tests act on events rather than on sleeps that a busy machine outlasts.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
