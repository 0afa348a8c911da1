/**
 * Turns the engine's results and the merged HTTP statistics into a FortioResult: the object
 * fortio would have written as JSON for the same run (current schema), plus tripbench's extras.
 */
import type { EngineResults } from '../engine/results.js';
import type { RunOptions } from '../engine/options.js';
import type { HttpOptions } from '../http/options.js';
import type { MergedHttpStats } from '../http/stats.js';
import type { FortioResult, FortioRunCommon, TripbenchExtras } from '../report/fortioResult.js';
import { exportHistogram } from '../stats/fortioHistogram.js';
import { LONG_VERSION } from '../shared/version.js';
import { resultId } from './resultId.js';

export interface ResultContext {
  run: RunOptions;
  http: HttpOptions;
  labels: string;
  runId: number;
  /** -c as typed */
  threadsFlag: number;
  userCredentials: string;
  shard?: string;
}

function sortedCodes(codes: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(codes).sort()) out[k] = codes[k] as number;
  return out;
}

/** The run's part every runner shares (periodic.RunnerResults), from the engine's results. */
export interface RunContext {
  run: RunOptions;
  labels: string;
  runId: number;
  /** -c as typed */
  threadsFlag: number;
  shard?: string;
}

export function buildRunCommon(runType: string, e: EngineResults, ctx: RunContext): FortioRunCommon {
  const p = ctx.run.percentiles;
  const seconds = e.actualDurationNs / 1e9;
  const count = e.duration.counter.count;
  const start = new Date(e.startEpochMs);
  const common: FortioRunCommon = {
    RunType: runType,
    Labels: ctx.labels,
    StartTime: e.startTime,
    RequestedQPS: e.plan.requestedQps,
    RequestedDuration: e.requestedDuration,
    ActualQPS: seconds > 0 ? count / seconds : 0,
    ActualDuration: Math.round(e.actualDurationNs),
    NumThreads: e.plan.threads,
    Version: LONG_VERSION,
    DurationHistogram: exportHistogram(e.duration, p),
    ErrorsDurationHistogram: exportHistogram(e.errors, p),
    Exactly: ctx.run.exactly,
    Jitter: ctx.run.jitter,
    Uniform: ctx.run.uniform,
    NoCatchUp: ctx.run.noCatchUp,
    RunID: ctx.runId,
    AccessLoggerInfo: '',
    ID: resultId(start, ctx.runId, ctx.labels),
    Tripbench: {
      Version: LONG_VERSION,
      WarmupCalls: e.plan.reportedWarmup,
      ThreadsFlag: ctx.threadsFlag,
      Interrupted: e.interrupted,
      ...(e.durationHdr === undefined ? {} : { DurationHdr: e.durationHdr }),
      ...(e.errorsHdr === undefined ? {} : { ErrorsHdr: e.errorsHdr }),
      ErrorKinds: {},
      ThreadCalls: e.threads.map((t) => t.calls),
      ThreadDurations: e.threads.map((t) => Math.round(t.elapsedNs)),
      Workers: e.workers.map((w) => ({ Index: w.index, Threads: w.threads, Calls: w.calls })),
    },
  };
  const t = common.Tripbench as TripbenchExtras;
  if (e.plan.qps > 0 && e.sleep.counter.count > 0) t.SleepHistogram = exportHistogram(e.sleep, [50]);
  if (ctx.shard) t.Shard = ctx.shard;
  if (e.stopReason === 'abort-on') t['AbortedOn'] = e.abortedOn;
  return common;
}

export function buildFortioResult(e: EngineResults, h: MergedHttpStats, ctx: ResultContext): FortioResult {
  const p = ctx.run.percentiles;
  const o = ctx.http;
  const { Tripbench: common, ...run } = buildRunCommon('HTTP', e, ctx);
  const result: FortioResult = {
    ...run,
    RetCodes: sortedCodes(h.retCodes),
    IPCountMap: h.ipCountMap,
    Insecure: o.insecure,
    // The flags as given (fortio: httpOpts.CACert = *CACertFlag, ... MTLS = *mTLS).
    MTLS: o.mtls,
    CACert: o.caCertFile,
    Cert: o.clientCertFile,
    Key: o.clientKeyFile,
    UnixDomainSocket: '',
    URL: o.url,
    NumConnections: 1,
    Compression: false,
    DisableFastClient: o.stdClient,
    HTTP10: o.http10,
    H2: o.h2,
    DisableKeepAlive: !o.keepAlive,
    AllowHalfClose: o.halfClose,
    FollowRedirects: false,
    Resolve: o.resolve,
    HTTPReqTimeOut: Math.round(o.timeoutMs * 1e6),
    UserCredentials: ctx.userCredentials,
    ContentType: o.contentType,
    Payload: o.payload ? Buffer.from(o.payload).toString('base64') : '',
    MethodOverride: o.method !== 'GET' && o.method !== 'POST' ? o.method : '',
    LogErrors: o.logErrors,
    SequentialWarmup: ctx.run.sequentialWarmup,
    ConnReuseRange: [o.connectionReuse[0], o.connectionReuse[1]],
    NoResolveEachConn: false,
    Offset: Math.round(ctx.run.offset * 1e9),
    Resolution: ctx.run.resolution,
    Sizes: exportHistogram(h.sizes),
    HeaderSizes: exportHistogram(h.headerSizes),
    Sockets: h.sockets,
    SocketCount: h.socketCount,
    ConnectionStats: exportHistogram(h.connectionTime, p),
    AbortOn: ctx.run.abortOn,
    Tripbench: {
      ...(common as TripbenchExtras),
      ErrorKinds: h.errorKinds,
      Connections: h.connections.map((c) => ({
        Thread: c.thread,
        Sockets: c.sockets,
        Addresses: c.addresses,
        Timing: exportHistogram(c.connectionTime),
      })),
    },
  };
  return result;
}
