/**
 * From load results (fortio JSON shape, ours or fortio's own) to the numbers expectations are
 * judged on. A step repeated in batches is pooled here: counts add up, latency percentiles come
 * from the merged HDR histograms when every batch carries one, else from fortio's buckets rebuilt
 * exactly (the bucket edges are fixed, so equal-resolution histograms merge without loss).
 */
import type { FortioResult } from '../report/fortioResult.js';
import {
  type FortioHistogramState,
  type HistogramData,
  calcPercentile,
  exportHistogram,
  mergeFortioHistogram,
  newFortioHistogram,
} from '../stats/fortioHistogram.js';
import { decodeHdr, hdrPercentileSeconds, mergeEncodedHdr } from '../stats/hdr.js';
import { rebucket } from '../stats/rebucket.js';
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

function rebuildMerged(results: readonly FortioResult[]): FortioHistogramState | undefined {
  let total: FortioHistogramState | undefined;
  for (const r of results) {
    // Our results record -r / -offset; fortio's own JSON may not, then its defaults apply.
    const divider = typeof r.Resolution === 'number' && r.Resolution > 0 ? r.Resolution : 0.001;
    const offset = typeof r.Offset === 'number' ? r.Offset / 1e9 : 0;
    const d = r.DurationHistogram;
    let h: FortioHistogramState;
    if (d.Count > 0 && d.Data) {
      const back = rebucket(d, offset, divider);
      // Buckets off this resolution's edges would give pooled percentiles that no batch had.
      if (!back.exact) return undefined;
      h = back.state;
    } else {
      h = newFortioHistogram(offset, divider); // nothing to pool (no calls, or no buckets listed)
    }
    if (!total) total = h;
    else if (total.offset !== h.offset || total.divider !== h.divider) return undefined;
    else mergeFortioHistogram(total, h);
  }
  return total;
}
