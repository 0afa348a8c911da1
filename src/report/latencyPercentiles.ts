/**
 * "Percentile of a result": the one estimate every verdict and every view except fortio's own
 * text uses, for one result or several batches pooled. From the HDR histogram (3 significant
 * digits) when every result carries one; only results without it (fortio's own JSON) fall back
 * to fortio's interpolation inside its coarse buckets, rebuilt exactly when pooling. fortio's
 * text report keeps fortio's interpolation, as fortio prints it.
 */
import {
  type FortioHistogramState,
  type HistogramData,
  calcPercentile,
  exportHistogram,
  mergeFortioHistogram,
  newFortioHistogram,
} from '../stats/fortioHistogram.js';
import { type HdrHistogram, mergeEncodedHdr } from '../stats/hdr.js';
import { rebucket } from '../stats/rebucket.js';
import { effectiveResolution } from '../stats/fortioShapes.js';
import type { FortioResult } from './fortioResult.js';

/** hdr: HDR histogram; histogram: fortio's buckets (results without HDR data) */
export type PercentileSource = 'hdr' | 'histogram';

export const SOURCE_LABEL: Record<PercentileSource, string> = { hdr: 'HDR', histogram: 'fortio buckets' };

export interface LatencyPercentiles {
  /** seconds, one per asked percentile, each inside [min, max] */
  seconds: number[];
  source: PercentileSource;
  /** exact extremes of the calls (seconds) */
  min: number;
  max: number;
}

export type PercentilesOutcome = LatencyPercentiles | { note: string };

function hdrString(r: FortioResult): string | undefined {
  const v = r.Tripbench?.DurationHdr;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Every result's HDR added into one, or undefined when one lacks it or it cannot be decoded. */
function pooledHdr(results: readonly FortioResult[]): HdrHistogram | undefined {
  const encoded = results.map(hdrString);
  if (!encoded.every((e): e is string => e !== undefined)) return undefined;
  let total: HdrHistogram;
  try {
    total = mergeEncodedHdr(encoded);
  } catch {
    // A damaged HDR string still leaves fortio's buckets to estimate from.
    return undefined;
  }
  if (total.totalCount > 0) return total;
  total.destroy();
  return undefined;
}

/** fortio's buckets of several results added exactly, or undefined when their edges differ. */
function pooledBuckets(results: readonly FortioResult[]): HistogramData | undefined {
  if (results.length === 1) {
    const d = (results[0] as FortioResult).DurationHistogram;
    return d.Data && d.Data.length > 0 ? d : undefined;
  }
  let total: FortioHistogramState | undefined;
  for (const r of results) {
    // Our results record -r / -offset; fortio's own JSON may not, then its defaults apply.
    const divider = effectiveResolution(typeof r.Resolution === 'number' ? r.Resolution : undefined);
    const offset = typeof r.Offset === 'number' && Number.isFinite(r.Offset) ? r.Offset / 1e9 : 0;
    const d = r.DurationHistogram;
    if (!d.Data || d.Data.length === 0) return undefined;
    const back = rebucket(d, offset, divider);
    // Buckets off this resolution's edges would give pooled percentiles that no batch had.
    if (!back.exact) return undefined;
    if (!total) total = back.state;
    else if (total.offset !== back.state.offset || total.divider !== back.state.divider) return undefined;
    else mergeFortioHistogram(total, back.state);
  }
  return total && exportHistogram(total);
}

/**
 * Percentiles (0..100) of the calls of one result or of several pooled; undefined when no call
 * was made, a note when the pooled results carry neither HDR data nor a common bucket layout.
 * A value is clamped into the calls' exact [min, max]: HDR reports the top of the bucket a value
 * fell in (up to 0.1 % above it at 3 digits), so its p99 of 21.24 ms calls can read 21.25 ms,
 * more than any call took.
 */
export function latencyPercentiles(input: FortioResult | readonly FortioResult[], ps: readonly number[]): PercentilesOutcome | undefined {
  const all: readonly FortioResult[] = Array.isArray(input) ? input : [input as FortioResult];
  const results = all.filter((r) => r.DurationHistogram && r.DurationHistogram.Count > 0);
  if (results.length === 0) return undefined;
  const min = Math.min(...results.map((r) => r.DurationHistogram.Min));
  const max = Math.max(...results.map((r) => r.DurationHistogram.Max));
  const clamp = (v: number): number => Math.min(max, Math.max(min, v));
  const h = pooledHdr(results);
  if (h) {
    try {
      return { seconds: ps.map((p) => clamp(h.getValueAtPercentile(p) / 1e9)), source: 'hdr', min, max };
    } finally {
      h.destroy();
    }
  }
  const d = pooledBuckets(results);
  if (!d) return { note: results.length > 1 ? 'pooled batches carry neither HDR data nor a known histogram resolution' : 'the result has no histogram buckets' };
  return { seconds: ps.map((p) => clamp(calcPercentile(d, p))), source: 'histogram', min, max };
}
