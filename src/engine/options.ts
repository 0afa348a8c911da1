/**
 * fortio's periodic.RunnerOptions: what the pacing engine needs, nothing about HTTP.
 * Values are as typed by the user; schedule.ts normalises them (fortio's rules) into a plan.
 */
import { DEFAULT_PERCENTILES, LATENCY_SHAPE } from '../stats/fortioShapes.js';

export interface RunOptions {
  /** -c as typed: 0 → 4, negative → 1 */
  threads: number;
  /** -qps as typed: <= 0 means max qps */
  qps: number;
  /** -n: exact number of calls; 0 = use duration */
  exactly: number;
  /** -t in nanoseconds; <= 0 = until interrupted (ignored for stopping when exactly > 0) */
  durationNs: number;
  uniform: boolean;
  jitter: boolean;
  noCatchUp: boolean;
  /** -abort-on: 0 = never, -1 = first socket error, else a status code */
  abortOn: number;
  allowInitialErrors: boolean;
  sequentialWarmup: boolean;
  /** -r: latency histogram divider, seconds */
  resolution: number;
  /** -offset: latency histogram offset, seconds */
  offset: number;
  /** -p */
  percentiles: number[];
  /** -workers: 0 = one per core (less `reserveCores`), at least 1, never more than the thread count */
  workers: number;
  /**
   * Cores to leave to something else on this machine when choosing the worker count: the caller
   * sets 1 when the target itself runs here (a loopback server or the local rehearsal), because
   * a load generator that takes every core starves the server it measures. Undefined = 0.
   */
  reserveCores?: number;
  /**
   * -start-at, epoch ms: the timed run (after warmup) begins at this wall-clock instant, the
   * shared start of a distributed run's shards (startAt.ts); already past = start at once, warned.
   */
  startAtMs?: number;
}

export const DEFAULT_RUN_OPTIONS: Readonly<RunOptions> = Object.freeze({
  threads: 4,
  qps: 8,
  exactly: 0,
  durationNs: 5_000_000_000,
  uniform: false,
  jitter: false,
  noCatchUp: false,
  abortOn: 0,
  allowInitialErrors: false,
  sequentialWarmup: false,
  resolution: LATENCY_SHAPE.divider,
  offset: LATENCY_SHAPE.offset,
  percentiles: [...DEFAULT_PERCENTILES],
  workers: 0,
});
