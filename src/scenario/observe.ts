/**
 * From load results (fortio JSON shape, ours or fortio's own) to the numbers expectations are
 * judged on. A step repeated in batches is pooled here: counts add up; latency percentiles come
 * from latencyPercentiles (HDR, else fortio's buckets), the same for one batch as for several.
 */
import type { FortioResult } from '../report/fortioResult.js';
import { latencyPercentiles } from '../report/latencyPercentiles.js';
import type { Expectation } from './types.js';
import type { EnvoyObserved, LatencyObserved, Observed } from './results.js';

export interface ObserveOptions {
  /** Percentiles to compute: the expectations' (see neededPercentiles) and the run's -p list. */
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
  const hists = results.map((r) => r.DurationHistogram).filter((h) => !!h && h.Count > 0);
  if (hists.length === 0) return {};
  let count = 0;
  let sum = 0;
  for (const h of hists) {
    count += h.Count;
    sum += h.Sum;
  }
  const lat: LatencyObserved = {
    min: Math.min(...hists.map((h) => h.Min)),
    max: Math.max(...hists.map((h) => h.Max)),
    avg: sum / count,
    percentiles: {},
    percentileSource: {},
  };
  if (wanted.length === 0) return { latency: lat };
  // One batch or several, the same estimator: a verdict must not change with pooling.
  const at = latencyPercentiles(results, wanted);
  if (!at) return { latency: lat };
  if ('note' in at) return { latency: lat, note: at.note };
  for (const [i, p] of wanted.entries()) {
    lat.percentiles[pkey(p)] = at.seconds[i] as number;
    lat.percentileSource[pkey(p)] = at.source;
  }
  return { latency: lat };
}
