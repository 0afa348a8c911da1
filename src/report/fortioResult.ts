/**
 * The result of a load run as data, in current fortio's JSON schema (HTTPRunnerResults,
 * fortio-compat.md §5.2) and field order, plus tripbench's additions under `Tripbench`.
 * The text report is rendered from this object alone, so any saved JSON (ours or fortio's)
 * can be printed again. Field order in these interfaces is the emitted order.
 */
import type { HistogramData } from '../stats/fortioHistogram.js';

export interface TripbenchExtras {
  /** tripbench version that produced the run */
  Version: string;
  /** Value printed as "(plus N warmup)": fortio prints the -c flag value when -n is not used. */
  WarmupCalls: number;
  /** -c as typed (fortio prints the raw value in some lines). */
  ThreadsFlag: number;
  /** Run ended by Ctrl-C/SIGTERM, -abort-on, or a forced stop. */
  Interrupted: boolean;
  /** hdr-histogram-js compressed base64 of every call's latency in nanoseconds. */
  DurationHdr?: string;
  /** Same for the error (non-OK) calls. */
  ErrorsHdr?: string;
  /** Transport failure kinds behind code -1: refused, reset, timeout, dns, malformed, ... */
  ErrorKinds: Record<string, number>;
  /** Calls made by each (final) logical thread, by thread id. */
  ThreadCalls: number[];
  /** Wall time of each thread's timed run in nanoseconds. */
  ThreadDurations: number[];
  /** Pacing sleeps (QPS mode only), fortio's sleep histogram (offset -0.001, divider 0.001). */
  SleepHistogram?: HistogramData;
  /** How the threads were spread over worker_threads. */
  Workers: { Index: number; Threads: number[]; Calls: number }[];
  /** Per-thread connection details for the "# Socket and IP used for each connection" block. */
  Connections?: { Thread: number; Sockets: number; Addresses: Record<string, number>; Timing: HistogramData }[];
  /** -n shard of a distributed run, "i/N" */
  Shard?: string;
  /** Anything a later feature needs to carry (scenario step, labels, envoy stats ...). */
  [extra: string]: unknown;
}

/**
 * What every fortio runner's result starts with (periodic.RunnerResults, periodic/periodic.go):
 * HTTP, TCP and UDP results alike. `Tripbench` is emitted last whatever the runner.
 */
export interface FortioRunCommon {
  RunType: string;
  Labels: string;
  StartTime: string;
  RequestedQPS: string;
  RequestedDuration: string;
  ActualQPS: number;
  ActualDuration: number;
  NumThreads: number;
  Version: string;
  DurationHistogram: HistogramData;
  ErrorsDurationHistogram: HistogramData;
  Exactly: number;
  Jitter: boolean;
  Uniform: boolean;
  NoCatchUp: boolean;
  RunID: number;
  AccessLoggerInfo: string;
  ID: string;
  Tripbench?: TripbenchExtras;
}

export interface FortioResult extends FortioRunCommon {
  RetCodes: Record<string, number>;
  IPCountMap: Record<string, number>;
  Insecure: boolean;
  MTLS: boolean;
  CACert: string;
  Cert: string;
  Key: string;
  UnixDomainSocket: string;
  URL: string;
  NumConnections: number;
  Compression: boolean;
  DisableFastClient: boolean;
  HTTP10: boolean;
  H2: boolean;
  DisableKeepAlive: boolean;
  AllowHalfClose: boolean;
  FollowRedirects: boolean;
  Resolve: string;
  HTTPReqTimeOut: number;
  UserCredentials: string;
  ContentType: string;
  Payload: string;
  MethodOverride: string;
  LogErrors: boolean;
  SequentialWarmup: boolean;
  ConnReuseRange: [number, number];
  NoResolveEachConn: boolean;
  Offset: number;
  Resolution: number;
  Sizes: HistogramData;
  HeaderSizes: HistogramData;
  Sockets: number[];
  SocketCount: number;
  ConnectionStats: HistogramData;
  AbortOn: number;
}
