import { describe, expect, it } from 'vitest';
import * as hdrLib from 'hdr-histogram-js';
import {
  HDR_HIGHEST_NS, HDR_LOWEST_NS, decodeHdr, encodeHdr, hdrPercentileSeconds, mergeEncodedHdr, newHdr, recordNs, type HdrHistogram,
} from '../../src/stats/hdr.js';
import { HdrRecorder } from '../../src/stats/hdrRecorder.js';

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100];

/** Deterministic latencies in ns (LCG), spread log-uniformly over 20 µs … 30 s. */
function latenciesNs(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return Math.round(20_000 * Math.pow(1.5e6, x / 2147483648));
  });
}

/** What survives encoding exactly: counts per bucket, hence count, mean and every percentile. */
function summary(h: HdrHistogram) {
  return { count: h.totalCount, mean: h.mean, ps: PERCENTILES.map((p) => h.getValueAtPercentile(p)) };
}

/** A live histogram keeps the exact min/max; a decoded one knows them to bucket precision (3 digits). */
function expectSameBounds(decoded: HdrHistogram, live: HdrHistogram) {
  expect(Math.abs(decoded.minNonZeroValue - live.minNonZeroValue) / live.minNonZeroValue).toBeLessThan(1e-3);
  expect(Math.abs(decoded.maxValue - live.maxValue) / live.maxValue).toBeLessThan(1e-3);
}

function hdrOf(values: readonly number[]): HdrHistogram {
  const h = newHdr();
  for (const v of values) recordNs(h, v);
  return h;
}

describe('HDR histogram (ns, 3 significant digits)', () => {
  it('rounds to whole ns and clamps into the trackable range instead of throwing', () => {
    const h = newHdr();
    recordNs(h, 0);
    recordNs(h, -5);
    recordNs(h, 1.4);
    recordNs(h, 2 * 3600e9); // a 2 h stall
    expect(h.totalCount).toBe(4);
    expect(h.minNonZeroValue).toBe(HDR_LOWEST_NS);
    expect(h.maxValue).toBeGreaterThanOrEqual(HDR_HIGHEST_NS * 0.999);
    expect(h.maxValue).toBeLessThanOrEqual(HDR_HIGHEST_NS * 1.001);
  });

  it('keeps percentiles within 3 significant digits of the exact value', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000); // 1 µs … 1 ms
    const h = hdrOf(values);
    expect(hdrPercentileSeconds(h, 50)).toBeCloseTo(0.0005, 6);
    expect(Math.abs(hdrPercentileSeconds(h, 99) - 0.00099) / 0.00099).toBeLessThan(1e-3);
    expect(Math.abs(hdrPercentileSeconds(h, 100) - 0.001) / 0.001).toBeLessThan(1e-3);
  });

  it('encodes to compressed base64 and decodes to the same histogram', () => {
    const h = hdrOf(latenciesNs(5000, 7));
    const enc = encodeHdr(h);
    expect(enc).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const back = decodeHdr(enc);
    expect(summary(back)).toEqual(summary(h));
    expectSameBounds(back, h);
    expect(encodeHdr(back)).toBe(enc);
  });

  it('merging per-thread encodings equals one histogram fed every value', () => {
    const all = latenciesNs(20_000, 99);
    const threads = [0, 1, 2, 3].map((t) => encodeHdr(hdrOf(all.filter((_, i) => i % 4 === t))));
    const merged = mergeEncodedHdr(threads);
    const whole = hdrOf(all);
    expect(summary(merged)).toEqual(summary(whole));
    expectSameBounds(merged, whole);
    // and exactly what the single histogram itself would ship
    const shipped = decodeHdr(encodeHdr(whole));
    expect([merged.minNonZeroValue, merged.maxValue]).toEqual([shipped.minNonZeroValue, shipped.maxValue]);
    for (const p of [50, 90, 99, 99.9]) expect(hdrPercentileSeconds(merged, p)).toBe(hdrPercentileSeconds(whole, p));
  });

  it('merges an empty list and empty histograms to an empty one', () => {
    expect(mergeEncodedHdr([]).totalCount).toBe(0);
    expect(mergeEncodedHdr([encodeHdr(newHdr()), encodeHdr(hdrOf([5000]))]).totalCount).toBe(1);
  });
});

describe('the trimmed import of hdr-histogram-js (issue 18)', () => {
  it('encodes and decodes byte for byte like the package index (build, encodeIntoCompressedBase64, decodeFromCompressedBase64)', () => {
    const ours = newHdr();
    const lib = hdrLib.build({ bitBucketSize: 32, lowestDiscernibleValue: HDR_LOWEST_NS, highestTrackableValue: HDR_HIGHEST_NS, numberOfSignificantValueDigits: 3, autoResize: false, useWebAssembly: false });
    for (const ns of latenciesNs(20_000, 7)) {
      recordNs(ours, ns);
      lib.recordValue(ns);
    }
    const text = encodeHdr(ours);
    expect(text).toBe(hdrLib.encodeIntoCompressedBase64(lib));
    const back = decodeHdr(text);
    expect(back.constructor).toBe(hdrLib.decodeFromCompressedBase64(text, 32, false).constructor);
    expect(encodeHdr(back)).toBe(hdrLib.encodeIntoCompressedBase64(hdrLib.decodeFromCompressedBase64(text, 32, false)));
    expect(summary(back)).toEqual(summary(lib));
  });
});

describe('the ported encoder (issue 18)', () => {
  const libHdr = () => hdrLib.build({ bitBucketSize: 32, lowestDiscernibleValue: HDR_LOWEST_NS, highestTrackableValue: HDR_HIGHEST_NS, numberOfSignificantValueDigits: 3, autoResize: false, useWebAssembly: false });
  const cases: Array<[string, Array<[number, number]>]> = [
    ['empty', []],
    ['one value', [[1_234_567, 1]]],
    ['the lowest and highest values', [[HDR_LOWEST_NS, 3], [HDR_HIGHEST_NS, 2]]],
    ['counts of several LEB128 bytes', [[50_000, 200], [51_000, 20_000], [9_000_000, 3_000_000]]],
    ['long zero runs between values', [[1, 1], [2_000_000_000, 1], [3_000_000_000_000, 129]]],
  ];
  it.each(cases)('writes the package\'s bytes: %s', (_name, values) => {
    const ours = newHdr();
    const lib = libHdr();
    for (const [ns, n] of values) {
      for (let i = 0; i < n; i++) recordNs(ours, ns);
      lib.recordValueWithCount(ns, n);
    }
    expect(encodeHdr(ours)).toBe(hdrLib.encodeIntoCompressedBase64(lib));
  });

  it.each(cases)('the engine\'s HdrRecorder encodes to the package\'s bytes: %s', (_name, values) => {
    const rec = new HdrRecorder();
    const lib = libHdr();
    for (const [ns, n] of values) {
      for (let i = 0; i < n; i++) rec.recordNs(ns);
      lib.recordValueWithCount(ns, n);
    }
    expect(encodeHdr(rec)).toBe(hdrLib.encodeIntoCompressedBase64(lib));
    expect(rec.totalCount).toBe(lib.totalCount);
  });

  it('HdrRecorder rounds, clamps and indexes like newHdr + recordNs over 20 000 spread latencies', () => {
    const rec = new HdrRecorder();
    const ours = newHdr();
    for (const ns of [...latenciesNs(20_000, 11), 0, -5, 0.4, 1.6, 2_047.5, 2_048, 9e15]) {
      rec.recordNs(ns);
      recordNs(ours, ns);
    }
    expect(encodeHdr(rec)).toBe(encodeHdr(ours));
    expect(rec.maxValue).toBe(ours.maxValue);
  });
});
