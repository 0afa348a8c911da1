/**
 * At max rate (-qps 0) the event loop is kept from sleeping while calls come and go: a pending
 * setImmediate makes libuv poll without a timeout, so a ready socket is served on the next turn
 * instead of after the kernel wakes this thread. In this 2-core VM a wake-up is an IPI and costs
 * tens of µs, which a reconnect or a c=1 keep-alive call pays at every answer. Go's scheduler does
 * the same for fortio: an idle P spins on the netpoller before it parks. The spin stops 1 ms after
 * the last call began or ended, so a run waiting on a slow target (/delay/5) sleeps as before;
 * paced runs never spin (their CPU per call is a target). Measured in docs/benchmarks.md
 * ("Fourth pass: the hot loop").
 */
import { performance } from 'node:perf_hooks';

/** How long after the last call event the loop keeps polling without sleeping. */
const SPIN_MS = 1;
let lastMs = 0;
let spinning = false;
let starts = 0;

function spin(): void {
  if (performance.now() - lastMs < SPIN_MS) setImmediate(spin);
  else spinning = false;
}

/** A call began or ended at `nowMs` (performance.now()): keep polling for SPIN_MS more. */
export function keepHot(nowMs: number): void {
  lastMs = nowMs;
  if (!spinning) {
    spinning = true;
    starts++;
    setImmediate(spin);
  }
}

/** For tests: whether this thread's loop is spinning now, and how many spins have begun. */
export function hotLoopState(): { spinning: boolean; starts: number } {
  return { spinning, starts };
}
