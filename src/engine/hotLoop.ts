/**
 * At max rate (-qps 0) the event loop is kept from sleeping while calls come and go: a pending
 * setImmediate makes libuv poll without a timeout, so a ready socket is served on the next turn
 * instead of after the kernel wakes this thread. In this 2-core VM a wake-up is an IPI and costs
 * tens of µs, which a reconnect or a c=1 keep-alive call pays at every answer. Go's scheduler does
 * the same for fortio: an idle P spins on the netpoller before it parks. The spin stops 1 ms after
 * the last call began or ended, so a run waiting on a slow target (/delay/5) sleeps as before;
 * paced runs never spin (their CPU per call is a target). Measured in docs/benchmarks.md
 * ("Fourth pass: the hot loop").
 *
 * Spinning pays only when the target runs on another core. On the same core (a pod with one CPU,
 * a sidecar beside the client, or the scheduler placing both there) every poll is CPU the target
 * needed: 26-38 % fewer calls/s than without the spin (docs/benchmarks.md, "Fifth pass"). The
 * kernel then takes the core from this thread whenever a call wakes the target, so the thread's
 * involuntary context switches per call event tell the two cases apart; above the threshold it
 * sleeps between calls until a later check finds the core free.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { verbose } from '../shared/log.js';

/** How long after the last call event the loop keeps polling without sleeping. */
const SPIN_MS = 1;
/** How often (ms, at call events) the thread checks whether it shares its core. */
const CHECK_MS = 50;
/** Fewer call events than this since the last check say nothing yet. */
const MIN_EVENTS = 64;
/**
 * Involuntary switches per call event above which the core is taken as shared. Measured on the
 * 2-core bench VM, 2 s runs against nginx: ≤ 0.025 with nginx on the other core (keep-alive
 * c=16/64, -keepalive=false c=4/16, spinning or not), ≥ 0.2 with both on one core.
 */
const SHARED_SWITCHES_PER_EVENT = 0.07;
/** Consecutive shared checks before the thread stops spinning: one can be a passing burst. */
const SHARED_CHECKS = 2;
/** Linux: this thread's own count, so V8's compiler and GC threads are not counted as ours. */
const THREAD_STATUS = '/proc/thread-self/status';

let lastMs = 0;
let spinning = false;
let starts = 0;
let backoffs = 0;
let events = 0;
/** The last checks found the core shared: call events do not start a spin. */
let shared = false;
let sharedChecks = 0;
let windowMs = 0;
let windowEvents = 0;
let windowSwitches = -1;
let perThread = true;

/** Whether `switches` involuntary context switches over `callEvents` call events mean a shared core. */
export function sharesCore(switches: number, callEvents: number): boolean {
  return callEvents >= MIN_EVENTS && switches > callEvents * SHARED_SWITCHES_PER_EVENT;
}

/** The status file is read into this buffer: readFileSync would allocate 64 KiB per read of a /proc file. */
const statusBuffer = Buffer.alloc(8192);

/** Involuntary context switches of this thread (Linux), else of the whole process. */
function involuntarySwitches(): number {
  if (perThread) {
    try {
      const fd = openSync(THREAD_STATUS, 'r');
      let n = 0;
      try {
        n = readSync(fd, statusBuffer, 0, statusBuffer.length, 0);
      } finally {
        closeSync(fd);
      }
      const m = /nonvoluntary_ctxt_switches:\s*(\d+)/.exec(statusBuffer.toString('latin1', 0, n));
      if (m) return Number(m[1]);
    } catch {
      // not Linux, or no /proc: the process-wide count below
    }
    perThread = false;
  }
  return process.resourceUsage().involuntaryContextSwitches;
}

/**
 * Judges the window since the last check. The figure does not depend on spinning (without the
 * spin a shared core still preempts this thread at each wake-up of the target), so the thread
 * checks while it sleeps between calls too, and spins again one window after the core is free.
 */
function check(nowMs: number): void {
  const dEvents = events - windowEvents;
  if (dEvents < MIN_EVENTS && windowSwitches >= 0) return; // too few yet: the window grows
  const switches = involuntarySwitches();
  if (windowSwitches >= 0) {
    const dSwitches = switches - windowSwitches;
    sharedChecks = sharesCore(dSwitches, dEvents) ? sharedChecks + 1 : 0;
    const was = shared;
    shared = sharedChecks >= SHARED_CHECKS;
    if (shared && !was) {
      backoffs++;
      verbose('hot loop off: this thread shares its core with the target or another busy process', {
        involuntarySwitchesPerCallEvent: Math.round((dSwitches / dEvents) * 1000) / 1000,
      });
    } else if (was && !shared) verbose('hot loop on: this thread has its core to itself again');
  }
  windowMs = nowMs;
  windowEvents = events;
  windowSwitches = switches;
}

function spin(): void {
  if (performance.now() - lastMs < SPIN_MS && !shared) setImmediate(spin);
  else spinning = false;
}

/** A call began or ended at `nowMs` (performance.now()): keep polling for SPIN_MS more. */
export function keepHot(nowMs: number): void {
  lastMs = nowMs;
  events++;
  if (nowMs - windowMs >= CHECK_MS) check(nowMs);
  if (!spinning && !shared) {
    spinning = true;
    starts++;
    setImmediate(spin);
  }
}

/** For tests: whether this thread's loop is spinning now, how many spins have begun, how often it found its core shared. */
export function hotLoopState(): { spinning: boolean; starts: number; backoffs: number } {
  return { spinning, starts, backoffs };
}
