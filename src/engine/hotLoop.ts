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
 * involuntary context switches per call event, counted while it spins, tell the two cases apart;
 * above the threshold it sleeps between calls for 200 ms, then spins again to look, the pause
 * doubling (up to 3.2 s) while the core stays shared.
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
/** Consecutive shared checks (200 ms) before the thread stops spinning: a run's first ones often read shared before the kernel has moved the client and its target apart. */
const SHARED_CHECKS = 4;
/** How long the thread sleeps between calls after its first shared verdict; doubled while they repeat. */
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 3200;
/** Linux: this thread's own count, so V8's compiler and GC threads are not counted as ours. */
const THREAD_STATUS = '/proc/thread-self/status';

let lastMs = 0;
let spinning = false;
let starts = 0;
let backoffs = 0;
let events = 0;
let sharedChecks = 0;
/** While performance.now() is below this, call events start no spin and no check. */
let offUntilMs = 0;
let backoffMs = FIRST_BACKOFF_MS;
/** Spinning again after a back-off: the next free window ends the back-off sequence. */
let probing = false;
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

function startWindow(nowMs: number): void {
  windowMs = nowMs;
  windowEvents = events;
  windowSwitches = involuntarySwitches();
}

/**
 * Judges the window since the last check, which covers spinning time only. Without the spin an
 * unpinned client and its target end up on one core by themselves (the kernel wakes the target
 * where its waker sleeps), so the figure measured while sleeping would keep the spin off for
 * good; a spinning thread leaves the target to the other core unless both are held to one.
 */
function check(nowMs: number): void {
  if (windowSwitches < 0) {
    startWindow(nowMs);
    return;
  }
  const dEvents = events - windowEvents;
  if (dEvents < MIN_EVENTS) return; // too few yet: the window grows
  const dSwitches = involuntarySwitches() - windowSwitches;
  if (sharesCore(dSwitches, dEvents)) {
    if (++sharedChecks >= SHARED_CHECKS) {
      sharedChecks = 0;
      probing = false;
      offUntilMs = nowMs + backoffMs;
      backoffs++;
      verbose('hot loop off: this thread shares its core with the target or another busy process', {
        involuntarySwitchesPerCallEvent: Math.round((dSwitches / dEvents) * 1000) / 1000,
        offForMs: backoffMs,
      });
      backoffMs = Math.min(2 * backoffMs, MAX_BACKOFF_MS);
      windowSwitches = -1; // the back-off is not judged
      return;
    }
  } else {
    sharedChecks = 0;
    if (probing) {
      probing = false;
      backoffMs = FIRST_BACKOFF_MS;
      verbose('hot loop on: this thread has its core to itself again');
    }
  }
  startWindow(nowMs);
}

function spin(): void {
  const now = performance.now();
  if (now - lastMs < SPIN_MS && now >= offUntilMs) setImmediate(spin);
  else spinning = false;
}

/** A call began or ended at `nowMs` (performance.now()): keep polling for SPIN_MS more. */
export function keepHot(nowMs: number): void {
  lastMs = nowMs;
  events++;
  if (nowMs < offUntilMs) return;
  if (offUntilMs > 0) {
    // the pause is over: the window check() opens now (windowSwitches is -1) judges the probe
    offUntilMs = 0;
    probing = true;
  }
  if (nowMs - windowMs >= CHECK_MS) check(nowMs);
  if (!spinning) {
    spinning = true;
    starts++;
    setImmediate(spin);
  }
}

/** For tests: whether this thread's loop is spinning now, how many spins have begun, how often it found its core shared. */
export function hotLoopState(): { spinning: boolean; starts: number; backoffs: number } {
  return { spinning, starts, backoffs };
}
