/**
 * fortio's call scheduling as pure math (periodic.go runQPSSetup / runMaxQPSSetup / runOne):
 * thread count normalisation and lowering, per-thread call counts, the strings the JSON
 * result echoes, and the pacing formulas. No I/O, no clock: callers pass elapsed times in.
 */
import type { RunOptions } from './options.js';
import { effectiveResolution } from '../stats/fortioShapes.js';
import { formatDuration as formatGoDuration, formatPrecG } from '../shared/goFormat.js';

export type RunMode = 'exactly' | 'duration' | 'until-interrupted';

export interface RunPlan {
  /** Final thread count T (after -c normalisation and QPS-mode lowering). */
  threads: number;
  /** true when no -n: one warmup call per normalised -c thread before the timed run. */
  warmup: boolean;
  /** Threads that make a warmup call: normalised -c (before lowering), 0 without warmup. */
  warmupThreads: number;
  /** fortio's `(plus N warmup)`: the raw -c value with warmup, else 0. */
  reportedWarmup: number;
  maxQps: boolean;
  /** -qps as requested (what `Starting at {qps} qps` prints). */
  qps: number;
  /** Q / T in paced mode, 0 at max qps. */
  perThreadQps: number;
  mode: RunMode;
  /** -n (0 when not used). */
  exactly: number;
  /** -t in ns as requested; <= 0 = no duration. */
  durationNs: number;
  /** durationNs > 0: pacing uses the spread formula, and (without -n) threads stop at start + D. */
  hasDuration: boolean;
  /** fortio's per-thread numCalls; 0 = no count limit (max qps with -t, or until interrupted). */
  callsPerThread: number[];
  /** Numbers of the `Starting at …` line. */
  perThread: number;
  leftover: number;
  total: number;
  /** Calls a complete run makes (max-qps -n over-count included); null when time- or stop-bound. */
  plannedCalls: number | null;
  /** Warning log texts fortio emits while planning, in order (logged by the engine at start). */
  warnings: string[];
  /** JSON `RequestedQPS`: "max" or %.9g. */
  requestedQps: string;
  /** JSON `RequestedDuration` before any ", interrupted after N" suffix. */
  requestedDuration: string;
  /** Effective only in paced mode (fortio ignores them at max qps). */
  uniform: boolean;
  jitter: boolean;
  noCatchUp: boolean;
  /** -r normalised (<= 0 → 0.001), seconds. */
  resolution: number;
  /** -offset, seconds. */
  offset: number;
}


/** -c: 0 → 4, negative → 1. */
export function normalizeThreads(c: number): number {
  if (c === 0) return 4;
  return c < 1 ? 1 : Math.trunc(c);
}

/** Go's Duration.Seconds(): whole seconds plus the ns remainder, as fortio computes Q × D. */
export function goSeconds(ns: number): number {
  const sec = Math.trunc(ns / 1e9);
  return sec + (ns - sec * 1e9) / 1e9;
}

export function buildPlan(o: RunOptions): RunPlan {
  let threads = normalizeThreads(o.threads);
  const warmupThreads = threads;
  const maxQps = !(o.qps > 0);
  const useExactly = o.exactly > 0;
  const hasDuration = o.durationNs > 0;
  const warnings: string[] = [];
  let requestedDuration = '';
  let requestedQps = 'max';
  let perThread = 0;
  let leftover = 0;

  if (maxQps) {
    if (useExactly) {
      requestedDuration = `exactly ${o.exactly} calls`;
      perThread = Math.floor(o.exactly / threads);
      leftover = o.exactly % threads;
    } else if (hasDuration) {
      requestedDuration = formatGoDuration(o.durationNs);
    }
  } else {
    requestedQps = formatPrecG(o.qps, 9);
    requestedDuration = 'until stop';
    if (hasDuration || useExactly) {
      requestedDuration = formatGoDuration(o.durationNs);
      let numCalls = Math.trunc(o.qps * goSeconds(o.durationNs));
      if (useExactly) {
        numCalls = o.exactly;
        requestedDuration = `exactly ${numCalls} calls`;
      }
      if (numCalls < 2) {
        warnings.push('Increasing the number of calls to the minimum of 2 with 1 thread. total duration will increase');
        numCalls = 2;
        threads = 1;
      }
      if (2 * threads > numCalls) {
        const lowered = Math.floor(numCalls / 2);
        warnings.push(`Lowering number of threads - total call ${numCalls} -> lowering from ${threads} to ${lowered} threads`);
        threads = lowered;
      }
      perThread = Math.floor(numCalls / threads);
      if (useExactly) leftover = o.exactly - perThread * threads;
    }
  }

  const callsPerThread = new Array<number>(threads).fill(perThread);
  // fortio: the single-thread path always adds the leftover (even the -1 of `-qps Q -n 1`),
  // the multi-thread path only a positive one.
  if (threads <= 1 || leftover > 0) callsPerThread[0] = perThread + leftover;

  let plannedCalls: number | null = null;
  if (useExactly) {
    // Max-qps threads test "done?" after each call, so a thread planned for 0 still makes 1.
    plannedCalls = callsPerThread.reduce((a, c) => a + (maxQps ? Math.max(1, c) : c), 0);
  } else if (!maxQps && hasDuration) {
    plannedCalls = perThread * threads;
  }

  return {
    threads,
    warmup: !useExactly,
    warmupThreads: useExactly ? 0 : warmupThreads,
    reportedWarmup: useExactly ? 0 : o.threads,
    maxQps,
    qps: o.qps,
    perThreadQps: maxQps ? 0 : o.qps / threads,
    mode: useExactly ? 'exactly' : hasDuration ? 'duration' : 'until-interrupted',
    exactly: useExactly ? o.exactly : 0,
    durationNs: o.durationNs,
    hasDuration,
    callsPerThread,
    perThread,
    leftover,
    total: perThread * threads,
    plannedCalls,
    warnings,
    requestedQps,
    requestedDuration,
    uniform: !maxQps && o.uniform,
    jitter: !maxQps && o.jitter,
    noCatchUp: !maxQps && o.noCatchUp,
    resolution: effectiveResolution(o.resolution),
    offset: o.offset,
  };
}

/** JSON RequestedDuration after the run: fortio appends the count whenever it differs from -n. */
export function finalRequestedDuration(plan: RunPlan, actualCalls: number): string {
  if (plan.exactly > 0 && actualCalls !== plan.exactly) {
    return `${plan.requestedDuration}, interrupted after ${actualCalls}`;
  }
  return plan.requestedDuration;
}

/**
 * Target start offset (ns, from the thread's start) of call index k (k = calls completed so
 * far, 1 …). With a duration, calls spread so the last one starts at D: (k + k/(count−1)) / pq;
 * until interrupted: k / pq. Truncated to integer ns like Go's time.Duration(int64(…)).
 */
export function targetOffsetNs(k: number, count: number, perThreadQps: number, hasDuration: boolean): number {
  const sec = hasDuration ? (k + k / (count - 1)) / perThreadQps : k / perThreadQps;
  return Math.trunc(sec * 1e9);
}

/**
 * fortio's slot advance after a call in paced mode: returns the next call index. A result
 * >= count (when counted) means the thread is done. With noCatchUp, slots whose target is
 * already past are skipped (the index still advances, no call is made).
 */
export function nextCallIndex(
  k: number,
  count: number,
  counted: boolean,
  perThreadQps: number,
  hasDuration: boolean,
  elapsedNs: number,
  noCatchUp: boolean,
): number {
  for (;;) {
    k++;
    if (counted && k >= count) return k;
    if (!noCatchUp) return k;
    if (targetOffsetNs(k, count, perThreadQps, hasDuration) - elapsedNs >= 0) return k;
  }
}

/**
 * -uniform: thread `id` shifts its schedule by id / Q seconds (fortio's formula, kept in its
 * floating-point form so the ns match: 1/pq − (1/pq)/T × (T − id)).
 */
export function uniformDelayNs(id: number, threads: number, qps: number): number {
  const between = 1 / (qps / threads);
  return Math.trunc((between - (between / threads) * (threads - id)) * 1e9);
}

/** -jitter: a uniform integer in [−round(s/10), +round(s/10)] ns for a positive sleep s, else 0. */
export function jitterNs(sleepNs: number, random: () => number = Math.random): number {
  const i = Math.trunc(sleepNs / 10 + 0.5);
  if (i <= 0) return 0;
  return Math.floor(random() * (2 * i + 1)) - i;
}

/** Whether the thread must stop before its next call because start + D has passed (fortio runOne). */
export function stopForDuration(plan: RunPlan, callsDone: number, count: number): boolean {
  if (plan.exactly > 0 || !plan.hasDuration) return false;
  if (plan.maxQps) return true;
  return callsDone >= 2 && callsDone !== count - 1;
}
