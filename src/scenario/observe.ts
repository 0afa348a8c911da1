/**
 * From load results (fortio JSON shape, ours or fortio's own) to the numbers expectations are
 * judged on. A step repeated in batches is pooled here: counts add up, latency percentiles come
 * from the merged HDR histograms when every batch carries one, else from fortio's buckets rebuilt
 * exactly (the bucket edges are fixed, so equal-resolution histograms merge without loss).
 */
import type { FortioResult } from '../report/fortioResult.js';
import {
  BUCKET_EDGES,
  type FortioHistogramState,
  type HistogramData,
  bucketIndex,
  calcPercentile,
  exportHistogram,
  mergeFortioHistogram,
  newFortioHistogram,
} from '../stats/fortioHistogram.js';
import { decodeHdr, hdrPercentileSeconds, mergeEncodedHdr } from '../stats/hdr.js';
import type { EnvoyObserved, Expectation, LatencyObserved, Observed } from './types.js';

export interface ObserveOptions {
  /** Percentiles the expectations ask for (see neededPercentiles); listed ones are always kept. */
  percentiles?: readonly number[];
  /** Envoy stat deltas summed over the batches, or why they could not be read. */
  envoy?: EnvoyObserved;
}

export function neededPercentiles(es: readonly Expectation[]): number[] {
  const out: number[] = [];
  for (const e of es) if (e.metric.kind === 'percentile' && !out.includes(e.metric.p)) out.push(e.metric.p);
  return out;
}

function sumCodes(into: Record<string, number>, codes: Record<string, number> | undefined): void {
  for (const [k, v] of Object.entries(codes ?? {})) into[k] = (into[k] ?? 0) + v;
}

function callsOf(r: FortioResult): number {
  const byCode = Object.values(r.RetCodes ?? {}).reduce((a, b) => a + b, 0);
  // RetCodes is the denominator of every ratio; the histogram count only covers results without it.
  return byCode > 0 ? byCode : (r.DurationHistogram?.Count ?? 0);
}

function hdrOf(r: FortioResult): string | undefined {
  const v = r.Tripbench?.DurationHdr;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Observed numbers for one result or several batches of the same step (pooled). */
export function observe(input: FortioResult | readonly FortioResult[], opts: ObserveOptions = {}): Observed {
  const results: readonly FortioResult[] = Array.isArray(input) ? input : [input as FortioResult];
  const codes: Record<string, number> = {};
  let calls = 0;
  let duration = 0;
  let sockets: number | undefined = 0;
  for (const r of results) {
    sumCodes(codes, r.RetCodes);
    calls += callsOf(r);
    duration += (r.ActualDuration ?? 0) / 1e9;
    sockets = typeof r.SocketCount === 'number' && sockets !== undefined ? sockets + r.SocketCount : undefined;
  }
  const first = results[0];
  let qps: number | undefined;
  if (results.length === 1 && first && typeof first.ActualQPS === 'number') qps = first.ActualQPS;
  else if (duration > 0) qps = calls / duration;
  const obs: Observed = { calls, batches: results.length, codes, duration };
  if (results.length > 0 && sockets !== undefined) obs.sockets = sockets;
  if (qps !== undefined) obs.qps = qps;
  const lat = latency(results, opts.percentiles ?? []);
  if (lat.latency) obs.latency = lat.latency;
  if (lat.note) obs.latencyNote = lat.note;
  if (opts.envoy) obs.envoy = opts.envoy;
  return obs;
}

function pkey(p: number): string {
  return String(p);
}

function latency(results: readonly FortioResult[], wanted: readonly number[]): { latency?: LatencyObserved; note?: string } {
  const hists = results.map((r) => r.DurationHistogram).filter((h): h is HistogramData => !!h && h.Count > 0);
  if (hists.length === 0) return {};
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const h of hists) {
    count += h.Count;
    sum += h.Sum;
    min = Math.min(min, h.Min);
    max = Math.max(max, h.Max);
  }
  const lat: LatencyObserved = { min, max, avg: sum / count, percentiles: {}, percentileSource: {} };
  const set = (p: number, v: number, src: 'listed' | 'hdr' | 'histogram'): void => {
    lat.percentiles[pkey(p)] = v;
    lat.percentileSource[pkey(p)] = src;
  };

  if (results.length === 1) {
    const only = results[0] as FortioResult;
    const d = only.DurationHistogram;
    // A listed percentile is judged on the very number the text report prints beside the verdicts.
    for (const lp of d.Percentiles ?? []) set(lp.Percentile, lp.Value, 'listed');
    const missing = wanted.filter((p) => lat.percentiles[pkey(p)] === undefined);
    const enc = hdrOf(only);
    if (missing.length > 0 && enc) {
      const h = decodeHdr(enc);
      for (const p of missing) set(p, hdrPercentileSeconds(h, p), 'hdr');
      h.destroy();
    } else {
      for (const p of missing) set(p, calcPercentile(d, p), 'histogram');
    }
    return { latency: lat };
  }

  const encoded = results.map(hdrOf);
  if (encoded.every((e): e is string => e !== undefined)) {
    const h = mergeEncodedHdr(encoded);
    for (const p of wanted) set(p, hdrPercentileSeconds(h, p), 'hdr');
    h.destroy();
    return { latency: lat };
  }
  const merged = rebuildMerged(results);
  if (!merged) {
    return wanted.length === 0
      ? { latency: lat }
      : { latency: lat, note: 'pooled batches carry neither HDR data nor a known histogram resolution' };
  }
  const data = exportHistogram(merged);
  for (const p of wanted) set(p, calcPercentile(data, p), 'histogram');
  return { latency: lat };
}

/** Bucket index for an exported bucket's End, or -1 when it is not on this resolution's edges. */
function edgeIndex(end: number, offset: number, divider: number): number {
  const s = (end - offset) / divider;
  let best = -1;
  let bestErr = Infinity;
  for (let i = 0; i < BUCKET_EDGES.length; i++) {
    const err = Math.abs((BUCKET_EDGES[i] as number) - s);
    if (err < bestErr) {
      bestErr = err;
      best = i;
    }
  }
  return bestErr <= 1e-6 * Math.max(1, Math.abs(s)) ? best : -1;
}

/**
 * fortio's exported histogram back into live state: every bucket but the last ends on an edge
 * (divider × edge + offset), the last ends at Max, which lies inside it. Undefined when the
 * resolution is unknown or the data does not fit it.
 */
export function rebuildHistogram(d: HistogramData, offset: number, divider: number): FortioHistogramState | undefined {
  const h = newFortioHistogram(offset, divider);
  if (d.Count === 0 || !d.Data) return h;
  const data = d.Data;
  for (let j = 0; j < data.length; j++) {
    const b = data[j] as (typeof data)[number];
    const idx = j === data.length - 1 ? bucketIndex(d.Max, offset, divider) : edgeIndex(b.End, offset, divider);
    if (idx < 0) return undefined;
    h.hist[idx] = (h.hist[idx] as number) + b.Count;
  }
  const avg = d.Sum / d.Count;
  h.counter = { count: d.Count, sum: d.Sum, sumOfSquares: d.Count * (d.StdDev * d.StdDev + avg * avg), min: d.Min, max: d.Max };
  return h;
}

function rebuildMerged(results: readonly FortioResult[]): FortioHistogramState | undefined {
  let total: FortioHistogramState | undefined;
  for (const r of results) {
    // Our results record -r / -offset; fortio's own JSON may not, then its defaults apply.
    const divider = typeof r.Resolution === 'number' && r.Resolution > 0 ? r.Resolution : 0.001;
    const offset = typeof r.Offset === 'number' ? r.Offset / 1e9 : 0;
    const h = rebuildHistogram(r.DurationHistogram, offset, divider);
    if (!h) return undefined;
    if (!total) total = h;
    else if (total.offset !== h.offset || total.divider !== h.divider) return undefined;
    else mergeFortioHistogram(total, h);
  }
  return total;
}
