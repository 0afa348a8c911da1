/**
 * The start barrier of a distributed run (`-start-at`): every shard's timed run begins at one
 * shared wall-clock instant, so the merged result covers the same time range as one process
 * would. Wall clock (epoch ms), because that is the only clock pods on different nodes share
 * (NTP), and the one StartTime is reported in.
 */

/** performance.timeOrigin + now(): the clock the engine stamps StartTime with. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

// Timers fire late by a millisecond or more: sleep to just short of the instant, then spin.
const SPIN_MS = 2;
// Short naps keep a stop request answered promptly during a long wait.
const NAP_MS = 100;

/**
 * Waits until the instant; returns how many ms it had already passed (0 when it was waited for).
 * Returns early, with 0, as soon as `stopped()` says so.
 */
export async function waitUntil(epochMs: number, stopped: () => boolean): Promise<number> {
  const late = nowMs() - epochMs;
  if (late > 0) return late;
  for (;;) {
    if (stopped()) return 0;
    const left = epochMs - nowMs();
    if (left <= SPIN_MS) break;
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(left - SPIN_MS, NAP_MS)));
  }
  while (nowMs() < epochMs) {
    // spin: at most SPIN_MS
  }
  return 0;
}
