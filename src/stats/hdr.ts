/**
 * High-resolution latency recording with hdr-histogram-js, beside fortio's coarse buckets:
 * nanosecond units, 1 ns .. 1 h, 3 significant digits. Workers ship histograms to the main
 * thread as compressed base64 (encode/decode), so the merge is exact, never re-sampled.
 */
import * as hdr from 'hdr-histogram-js';

export const HDR_LOWEST_NS = 1;
export const HDR_HIGHEST_NS = 3_600_000_000_000; // 1 h
export const HDR_DIGITS = 3;

export type HdrHistogram = hdr.Histogram;

export function newHdr(): HdrHistogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: HDR_LOWEST_NS,
    highestTrackableValue: HDR_HIGHEST_NS,
    numberOfSignificantValueDigits: HDR_DIGITS,
    autoResize: false,
    useWebAssembly: false,
  });
}

/** Records a latency in nanoseconds, clamped into the trackable range so a 2 h stall cannot throw. */
export function recordNs(h: HdrHistogram, ns: number): void {
  let v = Math.round(ns);
  if (v < HDR_LOWEST_NS) v = HDR_LOWEST_NS;
  else if (v > HDR_HIGHEST_NS) v = HDR_HIGHEST_NS;
  h.recordValue(v);
}

export function encodeHdr(h: HdrHistogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHdr(s: string): HdrHistogram {
  return hdr.decodeFromCompressedBase64(s, 32, false);
}

/** Decodes and adds every encoded histogram into a fresh one. */
export function mergeEncodedHdr(encoded: readonly string[]): HdrHistogram {
  const total = newHdr();
  for (const e of encoded) {
    const h = decodeHdr(e);
    total.add(h);
    h.destroy();
  }
  return total;
}

/** Percentile in seconds (HDR values are ns). */
export function hdrPercentileSeconds(h: HdrHistogram, p: number): number {
  return h.getValueAtPercentile(p) / 1e9;
}
