/**
 * What a load run produced, as plain structured-clone-safe data: the report and JSON layers
 * turn it into fortio's output. Also the exact merge of per-worker parts into one result.
 */
import {
  type FortioHistogramState,
  cloneFortioHistogram,
  mergeFortioHistogram,
} from '../stats/fortioHistogram.js';
import { encodeHdr, mergeEncodedHdr } from '../stats/hdr.js';
import type { RunPlan } from './schedule.js';
import { pushAll } from '../shared/arrays.js';

export interface ThreadResult {
  id: number;
  /** Calls made in the timed run (warmup excluded). */
  calls: number;
  /** From the thread's (uniform-shifted) start to its end, ns. */
  elapsedNs: number;
  /** runnable.snapshot() read after close(). */
  protocol: unknown;
}

export interface WorkerSummary {
  index: number;
  /** Final (non warmup-only) thread ids run by this worker. */
  threads: number[];
  calls: number;
}

export type StopReason = 'completed' | 'stopped' | 'abort-on' | 'forced';

/** The fortio histograms a run records, per worker and merged. */
export interface RunHistograms {
  /** Latencies, seconds (offset / -r from the options). */
  duration: FortioHistogramState;
  /** Latencies of calls whose ok was false. */
  errors: FortioHistogramState;
  /** Paced-mode sleeps, seconds (SLEEP_SHAPE). */
  sleep: FortioHistogramState;
}

/** What the workers record, each for its threads, and so also what their parts add up to. */
export interface RecordedCalls extends RunHistograms {
  /** Final (non warmup-only) threads; merged, sorted by id. */
  threads: ThreadResult[];
  /** hdr-histogram-js compressed base64, nanoseconds; absent when the run recorded none (EngineSpec.hdr). */
  durationHdr?: string | undefined;
  errorsHdr?: string | undefined;
  /** Absolute epoch ms at which the last thread ended (NaN when none ran). */
  endEpochMs: number;
}

/** The exact merge of the workers' parts. */
export interface MergedParts extends RecordedCalls {
  /** Code → count over timed calls. Sort numerically when printing: JS objects list "-1" after the integer keys. */
  codes: Record<string, number>;
  workers: WorkerSummary[];
}

export interface EngineResults extends Omit<MergedParts, 'endEpochMs'> {
  plan: RunPlan;
  /** Start of the timed run (after warmup), RFC3339Nano like Go's time.Time in JSON. */
  startTime: string;
  /** Same instant as epoch milliseconds (fractional). */
  startEpochMs: number;
  /** Worker threads (or the one inline worker) the engine started: fortio's `[gomax N]`. */
  workersStarted: number;
  /** Start of the timed run → end of the last thread, ns. */
  actualDurationNs: number;
  /** true when a stop signal, -abort-on or a forced stop ended the run before its plan did. */
  interrupted: boolean;
  stopReason: StopReason;
  /** The code that triggered -abort-on, or null. */
  abortedOn: number | null;
  /** Warmup calls made (fortio's printed "plus N warmup" is plan.reportedWarmup). */
  warmupCalls: number;
  /** JSON RequestedDuration including fortio's ", interrupted after N" suffix. */
  requestedDuration: string;
}

/** One worker's part, as it crosses the thread boundary. */
export interface WorkerPart extends RecordedCalls {
  index: number;
  codes: Array<[number, number]>;
}

/**
 * One part (every `tripbench load` whose threads share one worker) is already the merge: decoding
 * and re-encoding it gave the same text for ~40 ms of CPU at the end of each such run (the
 * histogram spans 1 ns .. 1 h; docs/benchmarks.md).
 */
function mergeHdrStrings(parts: ReadonlyArray<string | undefined>): string | undefined {
  if (parts.length === 1) return parts[0];
  const encoded = parts.filter((p) => p !== undefined);
  // every part records HDR or none does (one EngineSpec.hdr for the run)
  if (encoded.length < parts.length) return undefined;
  const total = mergeEncodedHdr(encoded);
  const s = encodeHdr(total);
  total.destroy();
  return s;
}

/** Exact merge: fortio histogram counts add, HDR histograms decode and add, codes sum. */
export function mergeWorkerParts(parts: readonly WorkerPart[], base: RunHistograms): MergedParts {
  const duration = cloneFortioHistogram(base.duration);
  const errors = cloneFortioHistogram(base.errors);
  const sleep = cloneFortioHistogram(base.sleep);
  const codeMap = new Map<number, number>();
  const threads: ThreadResult[] = [];
  const workers: WorkerSummary[] = [];
  let endEpochMs = Number.NaN;
  for (const p of parts) {
    mergeFortioHistogram(duration, p.duration);
    mergeFortioHistogram(errors, p.errors);
    mergeFortioHistogram(sleep, p.sleep);
    for (const [c, n] of p.codes) codeMap.set(c, (codeMap.get(c) ?? 0) + n);
    pushAll(threads, p.threads);
    workers.push({ index: p.index, threads: p.threads.map((t) => t.id), calls: p.threads.reduce((a, t) => a + t.calls, 0) });
    if (!Number.isNaN(p.endEpochMs) && !(p.endEpochMs <= endEpochMs)) endEpochMs = p.endEpochMs;
  }
  threads.sort((a, b) => a.id - b.id);
  workers.sort((a, b) => a.index - b.index);
  const codes: Record<string, number> = {};
  for (const c of [...codeMap.keys()].sort((a, b) => a - b)) codes[String(c)] = codeMap.get(c) as number;
  return {
    threads,
    duration,
    errors,
    sleep,
    durationHdr: mergeHdrStrings(parts.map((p) => p.durationHdr)),
    errorsHdr: mergeHdrStrings(parts.map((p) => p.errorsHdr)),
    codes,
    workers,
    endEpochMs,
  };
}
