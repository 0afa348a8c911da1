/**
 * The lines `tripbench load` prints around a run (fortio's first line, the `Starting at …` line,
 * the report), shared with `tripbench run` so each scenario step prints exactly what the same
 * load on the command line would.
 */
import { availableParallelism } from 'node:os';
import { workerCount } from '../engine/index.js';
import type { RunOptions } from '../engine/options.js';
import type { RunPlan } from '../engine/schedule.js';
import type { FortioResult } from '../report/fortioResult.js';
import { formatFirstLine, formatGrpcReport, formatNetReport, formatReport, formatStartLine, startLineShown } from '../report/fortioText.js';
import { isGrpcResult, type FortioGrpcResult } from '../report/fortioGrpcResult.js';
import { isNetResult, type FortioNetResult } from '../report/fortioNetResult.js';
import type { Level } from '../shared/log.js';

/**
 * `Fortio … running at … queries per second, 2->1 procs, for 20 calls: URL`, before the run:
 * fortio's GOMAXPROCS setting, so the engine's rule for the workers of any -c (the cores less
 * the reserve that loadOptions set, or -workers).
 */
export function loadFirstLine(run: RunOptions, qpsTyped: number, urlTyped: string, cores = availableParallelism()): string {
  return formatFirstLine({
    qps: qpsTyped,
    cores,
    workers: workerCount(run.workers, Number.MAX_SAFE_INTEGER, cores, run.reserveCores ?? 0),
    ...(run.exactly > 0 ? { calls: run.exactly } : {}),
    durationNs: run.durationNs,
    url: urlTyped,
  });
}

/** The `Starting at …` line once the plan is final, with the workers the engine started; '' when fortio would not print it at this level. */
export function loadStartLine(plan: RunPlan, workers: number, level: Level): string {
  const startInfo = {
    qps: plan.maxQps ? 0 : plan.qps,
    threads: plan.threads,
    workers,
    exactly: plan.exactly,
    durationNs: plan.durationNs,
    perThread: plan.perThread,
    leftover: plan.leftover,
  };
  return startLineShown(startInfo, level) ? formatStartLine(startInfo) : '';
}

/** The report after the run, as fortio prints it at `level`. */
export function loadReport(result: FortioResult, run: RunOptions, level: Level, jsonWritten?: { bytes: number; target: string }): string {
  // a scenario step with a tcp:// or udp:// target carries the echo runner's result
  if (isNetResult(result)) return netLoadReport(result, run, level, jsonWritten);
  if (isGrpcResult(result)) return grpcLoadReport(result, run, level, jsonWritten);
  return formatReport(result, { level, percentiles: run.percentiles, ...(jsonWritten ? { jsonWritten } : {}) });
}

/** A tcp:// or udp:// run's report (report/fortioText.ts formatNetReport). */
export function netLoadReport(result: FortioNetResult, run: RunOptions, level: Level, jsonWritten?: { bytes: number; target: string }): string {
  return formatNetReport(result, { level, percentiles: run.percentiles, ...(jsonWritten ? { jsonWritten } : {}) });
}

/** A gRPC run's report (report/fortioText.ts formatGrpcReport). */
export function grpcLoadReport(result: FortioGrpcResult, run: RunOptions, level: Level, jsonWritten?: { bytes: number; target: string }): string {
  return formatGrpcReport(result, { level, percentiles: run.percentiles, ...(jsonWritten ? { jsonWritten } : {}) });
}
