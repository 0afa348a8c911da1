/**
 * `tripbench merge`: one FortioResult from the results of several shards, pods or runs, as if
 * one process had made every call. Counts add exactly (fortio buckets, codes, sizes, sockets);
 * latency percentiles come from the merged fortio buckets (fortio's interpolation) and, when
 * every input carries tripbench's HDR histograms, from the merged HDR data as well (3 digits).
 * fortio's own JSON has buckets only, so a merge that includes it is bucket-approximate.
 */
import type { FortioResult, TripbenchExtras } from '../report/fortioResult.js';
import { DEFAULT_PERCENTILES, HEADER_SIZES_SHAPE, LATENCY_SHAPE, SIZES_SHAPE, SLEEP_SHAPE, effectiveResolution } from '../stats/fortioShapes.js';
import { exportHistogram, mergeFortioHistogram, newFortioHistogram, type HistogramData, type Percentile } from '../stats/fortioHistogram.js';
import { latencyPercentiles } from '../report/latencyPercentiles.js';
import { encodeHdr, mergeEncodedHdr } from '../stats/hdr.js';
import { rebucket } from '../stats/rebucket.js';
import { resultId } from '../load/resultId.js';
import { UsageError } from '../shared/errors.js';
import { formatPrecG, formatRfc3339Nano } from '../shared/goFormat.js';
import { LONG_VERSION } from '../shared/version.js';
import { parseStartTime, unionDurationNs } from './timeRanges.js';
import { maxOf, minOf, pushAll } from '../shared/arrays.js';

export interface MergeInput {
  /** file name, for messages */
  source: string;
  result: FortioResult;
}

export interface MergeOptions {
  /** merge runs of different URLs (or histogram settings) anyway */
  force?: boolean;
  /** percentiles to compute; default: the first input's list, else fortio's default */
  percentiles?: readonly number[];
}

/** What the merged result's `Tripbench.Merged` extra holds. */
export interface MergeInfo {
  Sources: string[];
  /** each input's `-shard`, "" when it had none */
  Shards: string[];
  /** every input had HDR data and fortio buckets on the same edges */
  Exact: boolean;
  /** latest minus earliest input StartTime, seconds: how far `-start-at` kept the shards together */
  StartSkewSeconds: number;
  /** the time range the merged result covers: the first start and the last end (RFC 3339) */
  RangeStart: string;
  RangeEnd: string;
  /** RangeEnd − RangeStart, seconds (ActualDuration is the union: shorter when the inputs left gaps) */
  RangeSeconds: number;
  /** from the merged HDR histogram, seconds; absent when some input had no HDR data */
  HdrPercentiles?: Percentile[];
}

export interface MergeOutcome {
  result: FortioResult;
  exact: boolean;
  /** one line each: why the merge is approximate, missing shards, differing settings */
  notes: string[];
  hdrPercentiles?: Percentile[];
}

const SIZES = SIZES_SHAPE;
const HEADER_SIZES = HEADER_SIZES_SHAPE;
const SLEEP = SLEEP_SHAPE;

interface HistMerge {
  data: HistogramData;
  exact: boolean;
}

function mergeHistograms(hs: readonly (HistogramData | undefined)[], offset: number, divider: number, ps?: readonly number[]): HistMerge {
  const total = newFortioHistogram(offset, divider);
  let exact = true;
  // a tcp/udp or gRPC result has no HTTP histograms (sizes, connection times)
  for (const h of hs) {
    if (h === undefined) continue;
    const r = rebucket(h, offset, divider);
    exact &&= r.exact;
    mergeFortioHistogram(total, r.state);
  }
  return { data: exportHistogram(total, ps), exact };
}

function sumMaps(maps: readonly (Record<string, number> | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m ?? {})) out[k] = (out[k] ?? 0) + v;
  const sorted: Record<string, number> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k] as number;
  return sorted;
}

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

const EXACTLY = /^exactly (\d+) calls$/;

function requestedDuration(ds: readonly string[]): string {
  const ns = ds.map((d) => EXACTLY.exec(d)?.[1]);
  if (ns.every((n) => n !== undefined)) return `exactly ${ns.reduce((a, n) => a + Number(n), 0)} calls`;
  return unique(ds).join(', ');
}

function requestedQps(qs: readonly string[]): string {
  const nums = qs.map(Number);
  if (qs.some((q) => q === 'max' || q === '') || nums.some((n) => !Number.isFinite(n))) return 'max';
  // Shards split -qps evenly, so the whole run asked for the sum.
  return formatPrecG(nums.reduce((a, n) => a + n, 0), 9);
}

/** "(plus N warmup)": ours is recorded; fortio's JSON implies -c when -n was not used. */
function warmupOf(r: FortioResult): number {
  return r.Tripbench?.WarmupCalls ?? (r.Exactly > 0 ? 0 : r.NumThreads);
}

function shardNotes(shards: readonly string[]): string[] {
  const named = shards.filter((s) => s !== '');
  if (named.length === 0) return [];
  const notes: string[] = [];
  const parsed = named.map((s) => s.split('/').map(Number) as [number, number]);
  const counts = unique(parsed.map((p) => p[1]));
  if (counts.length > 1) return [`shards of different splits merged: ${named.join(', ')}`];
  const n = counts[0] as number;
  const seen = new Map<number, number>();
  for (const [i] of parsed) seen.set(i, (seen.get(i) ?? 0) + 1);
  const dup = [...seen].filter(([, c]) => c > 1).map(([i]) => `${i}/${n}`);
  if (dup.length > 0) notes.push(`shard ${dup.join(', ')} given more than once: its calls are counted twice`);
  const missing: string[] = [];
  for (let i = 0; i < n; i++) if (!seen.has(i)) missing.push(`${i}/${n}`);
  if (missing.length > 0) notes.push(`shard ${missing.join(', ')} missing: the merged result covers part of the run`);
  if (shards.length > named.length) notes.push('some inputs are shards and some are not');
  return notes;
}

function checkSame(inputs: readonly MergeInput[], what: string, get: (r: FortioResult) => string, force: boolean, notes: string[]): void {
  const vals = unique(inputs.map((i) => get(i.result)));
  if (vals.length <= 1) return;
  const listing = inputs.map((i) => `${i.source}: ${get(i.result)}`).join(', ');
  if (!force) throw new UsageError(`refusing to merge runs of different ${what} (${listing}); use --force to merge them anyway`);
  notes.push(`merged runs of different ${what} (--force): ${listing}`);
}

export function mergeResults(inputs: readonly MergeInput[], opts: MergeOptions = {}): MergeOutcome {
  const first = inputs[0];
  if (!first) throw new UsageError('merge needs at least one result file');
  const force = opts.force ?? false;
  const notes: string[] = [];
  checkSame(inputs, 'URLs', (r) => r.URL, force, notes);
  checkSame(inputs, 'histogram settings (-r/-offset)', (r) => `-r ${r.Resolution} -offset ${r.Offset / 1e9}s`, force, notes);

  const results = inputs.map((i) => i.result);
  const f = first.result;
  const ps = opts.percentiles ?? f.DurationHistogram.Percentiles?.map((p) => p.Percentile) ?? DEFAULT_PERCENTILES;
  // the echo and gRPC runners' JSON has no Offset/Resolution (fortio echoes them for HTTP only): theirs are the defaults unless -r/-offset said otherwise, and re-bucketing says so
  const offset = (f.Offset ?? LATENCY_SHAPE.offset * 1e9) / 1e9;
  const divider = effectiveResolution(f.Resolution ?? LATENCY_SHAPE.divider);

  const duration = mergeHistograms(results.map((r) => r.DurationHistogram), offset, divider, ps);
  const errors = mergeHistograms(results.map((r) => r.ErrorsDurationHistogram), offset, divider, ps);
  const conn = mergeHistograms(results.map((r) => r.ConnectionStats), offset, divider, ps);
  const sizes = mergeHistograms(results.map((r) => r.Sizes), SIZES.offset, SIZES.divider);
  const headerSizes = mergeHistograms(results.map((r) => r.HeaderSizes), HEADER_SIZES.offset, HEADER_SIZES.divider);
  const bucketsExact = duration.exact && errors.exact && conn.exact;
  if (!bucketsExact) notes.push('some latency buckets did not sit on this resolution\'s edges (another -r, or an old fortio): they were re-bucketed by their midpoint');

  const starts = inputs.map((i) => {
    const ms = parseStartTime(i.result.StartTime);
    if (ms === undefined) throw new UsageError(`${i.source}: StartTime: cannot read ${JSON.stringify(i.result.StartTime)} as an RFC 3339 time`);
    return ms;
  });
  const earliest = starts.indexOf(minOf(starts));
  const actualNs = unionDurationNs(inputs.map((i, k) => ({ startMs: starts[k] as number, durationNs: i.result.ActualDuration })));
  const count = duration.data.Count;

  // HDR: exact only when every input that made calls shipped its histogram.
  const withCalls = results.filter((r) => r.DurationHistogram.Count > 0);
  const noHdr = inputs.filter((i) => i.result.DurationHistogram.Count > 0 && !i.result.Tripbench?.DurationHdr);
  for (const i of noHdr) {
    notes.push(`${i.source}: no HDR data (${i.result.Tripbench ? 'older tripbench' : "fortio's JSON"}): the merge is bucket-approximate, percentiles are interpolated inside fortio's buckets`);
  }
  let durationHdr: string | undefined;
  let errorsHdr: string | undefined;
  let hdrPercentiles: Percentile[] | undefined;
  if (noHdr.length === 0 && withCalls.length > 0) {
    const h = mergeEncodedHdr(withCalls.map((r) => r.Tripbench?.DurationHdr as string));
    durationHdr = encodeHdr(h);
    h.destroy();
    // the one estimator (clamped to the calls' [min, max]), as verdicts and the HTML show it
    const at = latencyPercentiles(withCalls, ps);
    if (at && !('note' in at) && at.source === 'hdr') hdrPercentiles = ps.map((p, i) => ({ Percentile: p, Value: at.seconds[i] as number }));
    const errIn = results.filter((r) => r.ErrorsDurationHistogram.Count > 0);
    if (errIn.every((r) => r.Tripbench?.ErrorsHdr)) {
      const e = mergeEncodedHdr(errIn.map((r) => r.Tripbench?.ErrorsHdr as string));
      errorsHdr = encodeHdr(e);
      e.destroy();
    }
  }
  const exact = noHdr.length === 0 && bucketsExact;

  const shards = results.map((r) => r.Tripbench?.Shard ?? '');
  pushAll(notes, shardNotes(shards));

  let threadBase = 0;
  let workerIndex = 0;
  const workers: TripbenchExtras['Workers'] = [];
  const connections: NonNullable<TripbenchExtras['Connections']> = [];
  let anyConnections = false;
  for (const r of results) {
    const t = r.Tripbench;
    for (const w of t?.Workers ?? []) workers.push({ Index: workerIndex++, Threads: w.Threads.map((x) => x + threadBase), Calls: w.Calls });
    if (t?.Connections) anyConnections = true;
    for (const c of t?.Connections ?? []) connections.push({ ...c, Thread: c.Thread + threadBase });
    threadBase += r.NumThreads;
  }
  const sleeps = results.map((r) => r.Tripbench?.SleepHistogram).filter((h): h is HistogramData => h !== undefined);
  const labels = unique(results.map((r) => r.Labels)).join(' + ');
  const startStr = (inputs[earliest] as MergeInput).result.StartTime;
  const ends = inputs.map((i, k) => (starts[k] as number) + Math.max(0, i.result.ActualDuration) / 1e6);
  const lastEnd = maxOf(ends);
  const merged: MergeInfo = {
    Sources: inputs.map((i) => i.source),
    Shards: shards,
    Exact: exact,
    StartSkewSeconds: (maxOf(starts) - minOf(starts)) / 1000,
    RangeStart: startStr,
    RangeEnd: formatRfc3339Nano(lastEnd),
    RangeSeconds: (lastEnd - minOf(starts)) / 1000,
  };
  if (hdrPercentiles) merged.HdrPercentiles = hdrPercentiles;

  const tripbench: TripbenchExtras = {
    Version: LONG_VERSION,
    WarmupCalls: results.reduce((a, r) => a + warmupOf(r), 0),
    ThreadsFlag: results.reduce((a, r) => a + (r.Tripbench?.ThreadsFlag ?? r.NumThreads), 0),
    Interrupted: results.some((r) => r.Tripbench?.Interrupted === true),
    ErrorKinds: sumMaps(results.map((r) => r.Tripbench?.ErrorKinds ?? {})),
    ThreadCalls: results.flatMap((r) => r.Tripbench?.ThreadCalls ?? []),
    ThreadDurations: results.flatMap((r) => r.Tripbench?.ThreadDurations ?? []),
    Workers: workers,
    Merged: merged,
  };
  if (durationHdr) tripbench.DurationHdr = durationHdr;
  if (errorsHdr) tripbench.ErrorsHdr = errorsHdr;
  if (sleeps.length > 0) tripbench.SleepHistogram = mergeHistograms(sleeps, SLEEP.offset, SLEEP.divider, [50]).data;
  if (anyConnections) tripbench.Connections = connections;

  const result: FortioResult = {
    ...f,
    Labels: labels,
    StartTime: startStr,
    RequestedQPS: requestedQps(results.map((r) => r.RequestedQPS)),
    RequestedDuration: requestedDuration(results.map((r) => r.RequestedDuration)),
    ActualQPS: actualNs > 0 ? count / (actualNs / 1e9) : 0,
    ActualDuration: actualNs,
    NumThreads: results.reduce((a, r) => a + r.NumThreads, 0),
    DurationHistogram: duration.data,
    ErrorsDurationHistogram: errors.data,
    Exactly: results.reduce((a, r) => a + r.Exactly, 0),
    ID: resultId(new Date(starts[earliest] as number), f.RunID, labels),
    RetCodes: sumMaps(results.map((r) => r.RetCodes)),
    IPCountMap: sumMaps(results.map((r) => r.IPCountMap)),
    Sizes: sizes.data,
    HeaderSizes: headerSizes.data,
    Sockets: results.flatMap((r) => r.Sockets ?? []),
    SocketCount: results.reduce((a, r) => a + (r.SocketCount ?? 0), 0),
    ConnectionStats: conn.data,
    Tripbench: tripbench,
  };
  // a tcp/udp or gRPC result keeps its own shape: no HTTP fields it never had
  for (const k of HTTP_ONLY) if (!(k in f)) delete (result as unknown as Record<string, unknown>)[k];
  return { result, exact, notes, ...(hdrPercentiles ? { hdrPercentiles } : {}) };
}

const HTTP_ONLY = ['IPCountMap', 'Sizes', 'HeaderSizes', 'Sockets', 'SocketCount', 'ConnectionStats'] as const;
