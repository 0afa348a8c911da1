/**
 * fortio's text report (fortio-compat.md §3.2–3.5, current version) as pure functions of a
 * FortioResult. Every function returns whole lines ending in "\n"; callers write them to stderr.
 */
import type { FortioResult, FortioRunCommon } from './fortioResult.js';
import type { FortioNetResult } from './fortioNetResult.js';
import type { FortioGrpcResult } from './fortioGrpcResult.js';
import { calcPercentiles, type HistogramData, type Percentile } from '../stats/fortioHistogram.js';
import { SLEEP_SHAPE } from '../stats/fortioShapes.js';
import { Level } from '../shared/log.js';
import { LONG_VERSION } from '../shared/version.js';
import { formatD, formatDuration, formatF, formatG, formatPrecG, formatT } from '../shared/goFormat.js';

export { DEFAULT_PERCENTILES } from '../stats/fortioShapes.js';

/** Line 1 of the report. */
export interface FirstLineInfo {
  /** -qps as given (0 = max, negative printed as given). */
  qps: number;
  /** Printed where fortio prints GOMAXPROCS before: the machine's cores. */
  cores: number;
  /** Printed where fortio prints GOMAXPROCS after: the worker threads used. */
  workers: number;
  /** -n (0 or absent when not used). */
  calls?: number;
  /** -t in nanoseconds; <= 0 means until interrupted (when -n is not used). */
  durationNs: number;
  /** The URL exactly as typed. */
  url: string;
  /** Defaults to LONG_VERSION; tests pass fortio's own version string. */
  version?: string;
}

export function formatFirstLine(info: FirstLineInfo): string {
  const head = `Fortio ${info.version ?? LONG_VERSION} running at ${formatG(info.qps)} queries per second, ${info.cores}->${info.workers} procs`;
  if (info.calls !== undefined && info.calls > 0) return `${head}, for ${info.calls} calls: ${info.url}\n`;
  if (info.durationNs <= 0) return `${head}, until interrupted: ${info.url}\n`;
  return `${head}, for ${formatDuration(info.durationNs)}: ${info.url}\n`;
}

/** The "Starting at …" line (§3.2 item 3); the CLI maps the engine's plan to this. */
export interface StartLineInfo {
  /** Requested qps; <= 0 means max qps. */
  qps: number;
  /** Final (possibly lowered) thread count. */
  threads: number;
  /** Printed as [gomax N]. */
  workers: number;
  /** -n value, 0 when not used. */
  exactly: number;
  /** -t in nanoseconds; <= 0 with exactly 0 means until interrupted. */
  durationNs: number;
  /** Calls per thread (max qps -n: floor(n/T); qps mode: the per-thread count). */
  perThread: number;
  /** -n leftover: n mod T at max qps, n − perThread×T in qps mode (may be negative). */
  leftover: number;
  /** e.g. "mode json to access.log" when -access-log-file is set. */
  accessLogInfo?: string;
}

function untilInterrupted(i: StartLineInfo): boolean {
  return i.exactly <= 0 && i.durationNs <= 0;
}

/** fortio prints the line at Warning and below, except "until interrupted" which always prints. */
export function startLineShown(info: StartLineInfo, level: Level): boolean {
  return untilInterrupted(info) || level <= Level.Warning;
}

export function formatStartLine(info: StartLineInfo): string {
  const extra = info.accessLogInfo ? ` with access logger ${info.accessLogInfo}` : '';
  const who = `with ${info.threads} thread(s) [gomax ${info.workers}]`;
  if (info.qps <= 0) {
    const head = `Starting at max qps ${who}`;
    if (untilInterrupted(info)) return `${head} until interrupted${extra}\n`;
    if (info.exactly > 0) {
      return `${head} for exactly ${info.exactly} calls (${info.perThread} per thread + ${info.leftover})${extra}\n`;
    }
    return `${head} for ${formatDuration(info.durationNs)}${extra}\n`;
  }
  const head = `Starting at ${formatG(info.qps)} qps ${who}`;
  if (untilInterrupted(info)) return `${head} until interrupted${extra}\n`;
  const total = info.perThread * info.threads;
  if (info.exactly > 0) {
    return `${head} : exactly ${info.exactly}, ${info.perThread} calls each (total ${total} + ${info.leftover})${extra}\n`;
  }
  return `${head} for ${formatDuration(info.durationNs)} : ${info.perThread} calls each (total ${total})${extra}\n`;
}

// ---- histogram blocks (§3.3) ----

/** `{title} : count … avg %.8g +/- %.4g min %g max %g sum %.9g` (fortio Counter.Print). */
export function formatCounterLine(title: string, h: HistogramData): string {
  return `${title} : count ${h.Count} avg ${formatPrecG(h.Avg, 8)} +/- ${formatPrecG(h.StdDev, 4)} min ${formatG(h.Min)} max ${formatG(h.Max)} sum ${formatPrecG(h.Sum, 9)}\n`;
}

export function formatTargetLines(percentiles: readonly Percentile[] | undefined): string {
  let s = '';
  for (const p of percentiles ?? []) s += `# target ${formatG(p.Percentile)}% ${formatPrecG(p.Value, 6)}\n`;
  return s;
}

/** fortio HistogramData.Print: counter line, bucket lines, `# target` lines; `: no data` when empty. */
export function formatHistogram(title: string, h: HistogramData, percentiles?: readonly Percentile[]): string {
  if (!h.Data || h.Data.length === 0) return `${title} : no data\n`;
  let s = formatCounterLine(title, h);
  s += '# range, mid point, percentile, count\n';
  h.Data.forEach((b, i) => {
    const sep = i === 0 ? '>=' : '>';
    s += `${sep} ${formatPrecG(b.Start, 6)} <= ${formatPrecG(b.End, 6)} , ${formatPrecG((b.Start + b.End) / 2, 6)} , ${formatF(b.Percent, 2)}, ${b.Count}\n`;
  });
  return s + formatTargetLines(percentiles ?? h.Percentiles);
}

// ---- the report ----

export interface ReportOptions {
  level: Level;
  /** The -p list, used only for histograms whose data carries no percentiles. */
  percentiles?: readonly number[];
  /** Adds the `Successfully wrote …` line. */
  jsonWritten?: { bytes: number; target: string } | undefined;
}


/** Share of sleeps in bucket 0 ("falling behind"), as fortio computes it from Hdata[0]. */
export function sleepBehindPercent(h: HistogramData): number {
  const first = h.Data?.[0];
  const inBucket0 = first !== undefined && (h.Min - SLEEP_SHAPE.offset) / SLEEP_SHAPE.divider <= 0 ? first.Count : 0;
  return (100 * inBucket0) / h.Count;
}

function sleepLines(h: HistogramData, level: Level): string {
  const behind = sleepBehindPercent(h);
  const p50 = h.Data && h.Data.length > 0 ? calcPercentiles(h, [50]) : [];
  if (behind > 5) {
    return formatHistogram('Aggregated Sleep Time', h, p50) + `WARNING ${formatF(behind, 2)}% of sleep were falling behind\n`;
  }
  if (level <= Level.Verbose) return formatHistogram('Aggregated Sleep Time', h, p50);
  if (level <= Level.Warning) return formatCounterLine('Sleep times', h);
  return '';
}

function percentilesOf(h: HistogramData, ps: readonly number[] | undefined): Percentile[] | undefined {
  if (h.Percentiles && h.Percentiles.length > 0) return h.Percentiles;
  if (!ps || ps.length === 0 || !h.Data || h.Data.length === 0) return undefined;
  return calcPercentiles(h, ps);
}

/** `[a:p (n), b:p (m)]`, or the single address alone (fortio Occurrence.AggregateAndToString). */
export function formatAddresses(addresses: Record<string, number>): string {
  const keys = Object.keys(addresses);
  if (keys.length === 1) return keys[0] as string;
  // Go iterates a map in random order; most used first (then by name) keeps ours stable.
  keys.sort((a, b) => (addresses[b] as number) - (addresses[a] as number) || (a < b ? -1 : a > b ? 1 : 0));
  return `[${keys.map((k) => `${k} (${addresses[k]})`).join(', ')}]`;
}

function connectionLines(r: FortioResult, opts: ReportOptions): string {
  let s = '';
  const conns = r.Tripbench?.Connections;
  if (conns) {
    s += '# Socket and IP used for each connection:\n';
    for (const c of conns) {
      s += `[${c.Thread}] ${formatD(c.Sockets, 3)} socket used, resolved to ${formatAddresses(c.Addresses)}`;
      s += formatCounterLine(', connection timing', c.Timing);
    }
  }
  // fortio's own JSON before 1.38 has no ConnectionStats (the parser fills an empty one): print
  // the lines only for our runs or when there is data, so a 1.33 result re-prints as 1.33 did.
  if (conns || r.ConnectionStats.Count > 0) {
    if (opts.level <= Level.Info) {
      s += formatHistogram('Connection time histogram (s)', r.ConnectionStats, percentilesOf(r.ConnectionStats, opts.percentiles));
    } else if (opts.level <= Level.Warning) {
      s += formatCounterLine('Connection time (s)', r.ConnectionStats);
    }
  }
  return s;
}

function ipLines(ips: Record<string, number>): string {
  const keys = Object.keys(ips);
  keys.sort((a, b) => (ips[b] as number) - (ips[a] as number) || (a < b ? -1 : a > b ? 1 : 0));
  let s = 'IP addresses distribution:\n';
  for (const k of keys) s += `${k}: ${ips[k]}\n`;
  return s;
}

function codeLines(codes: Record<string, number>, total: number): string {
  const keys = Object.keys(codes).sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  let s = '';
  for (const k of keys) {
    const n = codes[k] as number;
    const code = /^-?\d+$/.test(k) ? formatD(Number(k), 3) : k.padStart(3, ' ');
    s += `Code ${code} : ${n} (${formatF((100 * n) / total, 1)} %)\n`;
  }
  return s;
}

/** The `(plus N warmup)` number: ours records it; for fortio's JSON, -c is the best guess (0 with -n). */
function warmupCalls(r: FortioRunCommon): number {
  const w = r.Tripbench?.WarmupCalls;
  if (typeof w === 'number') return w;
  return r.Exactly > 0 ? 0 : r.NumThreads;
}

/** periodic.Run's lines (periodic/periodic.go): `Ended after`, sleep, function time and error cases. */
function runLines(r: FortioRunCommon, opts: ReportOptions): string {
  const { level } = opts;
  const warn = level <= Level.Warning;
  const dur = r.DurationHistogram;
  let s = '';
  if (warn) s += `Ended after ${formatDuration(r.ActualDuration)} : ${dur.Count} calls. qps=${formatPrecG(r.ActualQPS, 5)}\n`;
  const sleep = r.Tripbench?.SleepHistogram;
  if (sleep) s += sleepLines(sleep, level);
  const durPct = percentilesOf(dur, opts.percentiles);
  if (warn) {
    s += formatHistogram('Aggregated Function Time', dur, durPct);
    s += formatHistogram('Error cases', r.ErrorsDurationHistogram, percentilesOf(r.ErrorsDurationHistogram, opts.percentiles));
  } else {
    // Error level (-quiet): counter lines only, the function time keeps its targets.
    s += formatCounterLine('Aggregated Function Time', dur) + formatTargetLines(durPct);
    s += formatCounterLine('Error cases', r.ErrorsDurationHistogram);
  }
  return s;
}

/** fortio_main.go's closing lines: `All done …` and, when written, `Successfully wrote …`. */
function doneLines(r: FortioRunCommon, opts: ReportOptions): string {
  const dur = r.DurationHistogram;
  let s = `All done ${dur.Count} calls (plus ${warmupCalls(r)} warmup) ${formatF(1000 * dur.Avg, 3)} ms avg, ${formatF(r.ActualQPS, 1)} qps\n`;
  if (opts.jsonWritten) s += `Successfully wrote ${opts.jsonWritten.bytes} bytes of Json data to ${opts.jsonWritten.target}\n`;
  return s;
}

/** Report lines 5–17 of §3.2 (everything after the `Starting at …` line), for the given log level. */
export function formatReport(r: FortioResult, opts: ReportOptions): string {
  const { level } = opts;
  const warn = level <= Level.Warning;
  const dur = r.DurationHistogram;
  let s = runLines(r, opts);
  s += connectionLines(r, opts);
  s += `Sockets used: ${r.SocketCount} (for perfect keepalive, would be ${r.NumThreads})\n`;
  s += `Uniform: ${formatT(r.Uniform)}, Jitter: ${formatT(r.Jitter)}, Catchup allowed: ${formatT(!r.NoCatchUp)}\n`;
  s += ipLines(r.IPCountMap);
  s += codeLines(r.RetCodes, dur.Count);
  if (level <= Level.Verbose) {
    s += formatHistogram('Response Header Sizes Histogram', r.HeaderSizes);
    s += formatHistogram('Response Body/Total Sizes Histogram', r.Sizes);
  } else if (warn) {
    s += formatCounterLine('Response Header Sizes', r.HeaderSizes);
    s += formatCounterLine('Response Body/Total Sizes', r.Sizes);
  }
  return s + doneLines(r, opts);
}

/**
 * A tcp:// or udp:// run's report: periodic's lines, then RunTCPTest's / RunUDPTest's own
 * (tcprunner/tcprunner.go, udprunner/udprunner.go, end of Run*Test): sockets, bytes, and one
 * `tcp KEY : N (P %)` line per outcome in Go's sort.Strings order, then fortio_main's `All done`.
 * These lines print at every log level, as fortio writes them with Fprintf.
 */
export function formatNetReport(r: FortioNetResult, opts: ReportOptions): string {
  let s = runLines(r, opts);
  s += `Sockets used: ${r.SocketCount} (for perfect no error run, would be ${r.NumThreads})\n`;
  s += `Total Bytes sent: ${r.BytesSent}, received: ${r.BytesReceived}\n`;
  const proto = r.RunType.toLowerCase();
  const keys = Object.keys(r.RetCodes).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const k of keys) {
    const n = r.RetCodes[k] as number;
    s += `${proto} ${k} : ${n} (${formatF((100 * n) / r.DurationHistogram.Count, 1)} %)\n`;
  }
  return s + doneLines(r, opts);
}

/**
 * A gRPC run's report: periodic's lines, then RunGRPCTest's own (fgrpc/grpcrunner.go, end of
 * RunGRPCTest): `Jitter: …` and one `Ping KEY : N` / `Health KEY : N` line per RetCodes key
 * (no percentage), then fortio_main's `All done`. Printed at every log level (Fprintf).
 */
export function formatGrpcReport(r: FortioGrpcResult, opts: ReportOptions): string {
  let s = runLines(r, opts);
  s += `Jitter: ${formatT(r.Jitter)}\n`;
  const which = r.Ping ? 'Ping' : 'Health';
  for (const [k, n] of Object.entries(r.RetCodes)) s += `${which} ${k} : ${n}\n`;
  return s + doneLines(r, opts);
}
