/**
 * The largest load one tripbench process is asked to make, checked when flags and scenario files
 * are read, so a typo (`-c 1000000000000`) is a one-line error and not a V8 crash, an hour of
 * silence or an "Invalid array length" after the run began. docs/hostile-input.md explains each
 * figure and how it was measured.
 */

export const LIMITS = {
  /** -c: one source address holds at most 28,232 connections to one ip:port (Linux ports 32768-60999). */
  connections: 25_000,
  /** -n: 1.7 h at the 164k calls/s one process reaches on loopback (docs/benchmarks.md). */
  calls: 1_000_000_000,
  /** -qps: 6 x the 164k calls/s measured; more needs -shard over several processes. */
  qps: 1_000_000,
  /** -t: one week; longer soaks run with -t 0 until stopped. */
  durationNs: 168 * 3600 * 1e9,
  /** -timeout: a day (Node timers overflow past 24.8 days and would fire after 1 ms). */
  timeoutNs: 24 * 3600 * 1e9,
  /** -payload-file and a scenario's payload: one request body held in memory per worker thread. */
  payloadBytes: 4 * 1024 * 1024,
  /** -payload-size: fortio's own cap (it warns and uses the cap). */
  randomPayloadBytes: 256 * 1024,
  /** Points of one sweep, batches of one until-conclusive budget, repeats of one step. */
  sweepPoints: 100,
  batches: 1000,
  repeat: 1000,
} as const;

