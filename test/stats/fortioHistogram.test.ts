import { describe, expect, it } from 'vitest';
import {
  BUCKET_EDGES, NUM_BUCKETS, bucketIndex, calcPercentile, calcPercentiles, cloneFortioHistogram, exportHistogram,
  mergeFortioHistogram, newFortioHistogram, recordValue, type Bucket, type HistogramData,
} from '../../src/stats/fortioHistogram.js';
import { parseFortioJson } from '../../src/report/fortioJson.js';
import { formatPrecG } from '../../src/shared/goFormat.js';
import { readSample, sampleJsonFiles, sampleResolution } from '../report/samples.js';

function histOf(values: readonly number[], offset = 0, divider = 0.001) {
  const h = newFortioHistogram(offset, divider);
  for (const v of values) recordValue(h, v);
  return h;
}

/** Deterministic pseudo-random latencies (LCG), log-spread over 50 µs … 3 s. */
function latencies(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return Math.round(5e-5 * Math.pow(60000, x / 2147483648) * 1e9) / 1e9;
  });
}

describe('bucket edges (§4.1)', () => {
  it('has the 56 fortio values and 57 buckets', () => {
    expect(BUCKET_EDGES.length).toBe(56);
    expect(NUM_BUCKETS).toBe(57);
    expect(BUCKET_EDGES.slice(0, 14)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14]);
    expect(BUCKET_EDGES.slice(-8)).toEqual([7500, 10000, 20000, 30000, 40000, 50000, 75000, 100000]);
    for (let i = 1; i < BUCKET_EDGES.length; i++) expect(BUCKET_EDGES[i]).toBeGreaterThan(BUCKET_EDGES[i - 1] as number);
  });
});

describe('bucket choice (§4.2, 1e-12 rule of fortio >= 1.54.2)', () => {
  it.each([
    [0, 0, 0.001, 0],
    [-1, 0, 0.001, 0],
    [0.0005, 0, 0.001, 1],
    [0.001, 0, 0.001, 1], // exact edge: lower bucket (0, 1ms]
    [0.0013, 0, 0.001, 2],
    [0.003, 0, 0.001, 3], // 0.003/0.001 = 2.9999999999999996
    [0.009, 0, 0.001, 9], // 8.999999999999998
    [0.012, 0, 0.001, 12],
    [0.013, 0, 0.001, 13], // (12, 14]
    [0.014, 0, 0.001, 13],
    [7.5, 0, 0.001, 48], // (5 s, 7.5 s]
    [100, 0, 0.001, 55], // scaled exactly 100000: last regular bucket
    [100.0000001, 0, 0.001, 56], // overflow
    [0.001, 0, 0.0001, 10], // 10.000000000000002: within 1e-12 of the edge → (9, 10]
    [0.0003, 0, 0.0001, 3],
    [0.02, 0, 1e-7, 56],
    [230, 0, 5, 22], // header sizes: 46 → (45, 50]
    [0, 0, 5, 0],
    [132, 0, 100, 2],
    [-0.001, -0.001, 0.001, 0], // sleep exactly 1 ms behind
    [-0.0009, -0.001, 0.001, 1],
    [0.0005, -0.001, 0.001, 2],
    [1e-16, 0, 0.001, 0], // 0 < scaled < 1e-12: k = -1 (fortio itself panics here)
  ])('v=%s off=%s div=%s → %s', (v, off, div, want) => {
    expect(bucketIndex(v, off, div)).toBe(want);
  });

  it('puts every edge value in the bucket it closes and edge + a little in the next', () => {
    for (const [off, div, delta] of [[0, 0.001, 1e-9], [0, 0.0001, 1e-9], [0, 100, 1], [0, 5, 1], [-0.001, 0.001, 1e-9], [0.002, 0.001, 1e-9]] as const) {
      for (let i = 1; i < BUCKET_EDGES.length; i++) {
        const edge = div * (BUCKET_EDGES[i] as number) + off; // exactly how fortio computes the printed edge
        expect(bucketIndex(edge, off, div), `edge ${edge}`).toBe(i);
        expect(bucketIndex(edge + delta, off, div), `edge ${edge} + ${delta}`).toBe(i + 1);
      }
    }
  });

  it('differs from 1.33 only just above edges and just above the offset (§11.3 item 1)', () => {
    // 1.33 subtracted 0.0001 × div: 0.00100005 went to (0, 1ms] and 7.49522e-07 to "<= 0".
    expect(bucketIndex(0.00100005, 0, 0.001)).toBe(2);
    expect(bucketIndex(7.49522e-7, 0, 0.001)).toBe(1);
  });

  it('keeps a tiny value usable end to end', () => {
    const d = exportHistogram(histOf([1e-16, 0.0005]));
    expect(d.Data).toEqual([
      { Start: 1e-16, End: 0, Percent: 50, Count: 1 },
      { Start: 0, End: 0.0005, Percent: 100, Count: 1 },
    ]);
  });
});

describe('export (§4.3)', () => {
  it('returns null Data and no Percentiles key without data', () => {
    const d = exportHistogram(newFortioHistogram(0, 0.001), [50, 90]);
    expect(d).toEqual({ Count: 0, Min: 0, Max: 0, Sum: 0, Avg: 0, StdDev: 0, Data: null });
    expect('Percentiles' in d).toBe(false);
    expect('Percentiles' in exportHistogram(histOf([0.001]), [])).toBe(false);
  });

  it('starts at Min, then at the previous edge even across empty buckets; last End is Max', () => {
    const d = exportHistogram(histOf([0.0004, 0.0015, 0.0052, 0.0613]));
    expect(d.Data).toEqual<Bucket[]>([
      { Start: 0.0004, End: 0.001, Percent: 25, Count: 1 },
      { Start: 0.001, End: 0.002, Percent: 50, Count: 1 },
      { Start: 0.005, End: 0.006, Percent: 75, Count: 1 },
      { Start: 0.06, End: 0.0613, Percent: 100, Count: 1 },
    ]);
  });

  it('computes edges as divider × B + offset (so 0.018000000000000002 like Go)', () => {
    const d = exportHistogram(histOf([0.0001, 0.017, 0.0175, 0.05]));
    expect(d.Data?.[1]).toEqual({ Start: 0.016, End: 0.018000000000000002, Percent: 75, Count: 2 });
    const r4 = exportHistogram(histOf([0.00015, 0.00035, 0.0009], 0, 0.0001));
    expect(r4.Data?.[1]).toEqual({ Start: 0.00030000000000000003, End: 0.0004, Percent: (100 * 2) / 3, Count: 1 });
  });

  it('overflow: Start = 100000 × div + offset after other buckets, End = Max', () => {
    const d = exportHistogram(histOf([0.5, 150]));
    expect(d.Data).toEqual([
      { Start: 0.5, End: 0.5, Percent: 50, Count: 1 }, // (0.45, 0.5]: single bucket before the last ends at its edge
      { Start: 100, End: 150, Percent: 100, Count: 1 },
    ]);
  });

  it('overflow as the first bucket starts at Min (fortio >= 1.71.1; 1.33 printed 100000 × r, §11.3 item 2)', () => {
    const d = exportHistogram(histOf([0.020344323, 0.0205, 0.02140846], 0, 1e-7));
    expect(d.Data).toEqual([{ Start: 0.020344323, End: 0.02140846, Percent: 100, Count: 3 }]);
  });

  it('bucket 0 ends at the offset unless it is the last bucket (then at Max)', () => {
    const sleep = exportHistogram(histOf([-0.5, -0.2, 0.0005], -0.001, 0.001));
    expect(sleep.Data).toEqual([
      { Start: -0.5, End: -0.001, Percent: (100 * 2) / 3, Count: 2 },
      { Start: 0, End: 0.0005, Percent: 100, Count: 1 },
    ]);
    const behind = exportHistogram(histOf([-0.53, -0.0057], -0.001, 0.001));
    expect(behind.Data).toEqual([{ Start: -0.53, End: -0.0057, Percent: 100, Count: 2 }]);
    const headers = exportHistogram(histOf([0, 230, 230], 0, 5));
    expect(headers.Data).toEqual([
      { Start: 0, End: 0, Percent: 100 / 3, Count: 1 },
      { Start: 225, End: 230, Percent: 100, Count: 2 },
    ]);
  });
});

/** Values that fill a sample's exported buckets: Min and Max where they belong, mid points elsewhere. */
function valuesFor(d: HistogramData): number[] {
  const data = d.Data ?? [];
  const out: number[] = [];
  data.forEach((b, i) => {
    let n = b.Count;
    if (i === 0) (out.push(d.Min), n--);
    if (i === data.length - 1 && n > 0) (out.push(d.Max), n--);
    const lo = i === 0 ? d.Min : b.Start; // 1.33's first overflow bucket starts below Min
    for (; n > 0; n--) out.push((lo + b.End) / 2);
  });
  return out;
}

describe('export and percentiles against every real fortio 1.33 histogram', () => {
  const HISTS = [['DurationHistogram', 0], ['ErrorsDurationHistogram', 0], ['Sizes', 100], ['HeaderSizes', 5]] as const;
  for (const file of sampleJsonFiles()) {
    it(file, () => {
      const r = parseFortioJson(readSample(file), file);
      for (const [key, fixedDiv] of HISTS) {
        const d = r[key];
        if (!d.Data) continue;
        const div = fixedDiv || sampleResolution(file);
        const ps = d.Percentiles?.map((p) => p.Percentile);
        const ours = exportHistogram(histOf(valuesFor(d), 0, div), ps);
        expect(ours.Count).toBe(d.Count);
        if (file.includes('overflow') && key === 'DurationHistogram') {
          // The one case where today's rule differs from 1.33: see the test above.
          expect(ours.Data).toEqual([{ ...(d.Data[0] as Bucket), Start: d.Min }]);
          continue;
        }
        expect(ours.Data, `${key} buckets`).toEqual(d.Data); // Start/End/Percent bit for bit
        expect(ours.Percentiles, `${key} percentiles`).toEqual(d.Percentiles);
      }
    });
  }

  it('reproduces the §11.4 worked example: multibucket p50 = 0.00164', () => {
    const d = parseFortioJson(readSample('fortio-load-multibucket-c4-n200.json')).DurationHistogram;
    const p50 = calcPercentile(d, 50);
    expect(p50).toBe(0.001 + ((50 - 34) / (59 - 34)) * 0.001);
    expect(p50).toBe(0.00164);
    expect(formatPrecG(calcPercentile(d, 75), 6)).toBe('0.00629412');
  });
});

describe('percentiles (§4.4)', () => {
  const example13x: HistogramData = {
    Count: 20, Min: 0.000499, Max: 0.0144329, Sum: 0.113738, Avg: 0.0056869, StdDev: 0.003869,
    Data: [
      { Start: 0.000499, End: 0.001, Percent: 10, Count: 2 },
      { Start: 0.001, End: 0.002, Percent: 15, Count: 1 },
      { Start: 0.003, End: 0.004, Percent: 45, Count: 6 },
      { Start: 0.004, End: 0.005, Percent: 55, Count: 2 },
      { Start: 0.014, End: 0.0144329, Percent: 100, Count: 9 },
    ],
  };
  it('interpolates inside the bucket holding p (1.3.x example: p50 = 0.0045)', () => {
    expect(formatPrecG(calcPercentile(example13x, 50), 6)).toBe('0.0045');
  });
  it('treats the first bucket as starting at one sample (p-custom sample: p10 = 0.000329661)', () => {
    const d = parseFortioJson(readSample('fortio-load-p-custom-503.json')).DurationHistogram;
    const want = 8.5901e-5 + ((10 - 100 / 90) / ((100 * 31) / 90 - 100 / 90)) * (0.001 - 8.5901e-5);
    expect(calcPercentile(d, 10)).toBe(want);
    expect(formatPrecG(want, 6)).toBe('0.000329661');
  });
  it('returns Min up to one sample, Max from 100 on, 0 without data', () => {
    expect(calcPercentile(example13x, 5)).toBe(0.000499);
    expect(calcPercentile(example13x, 0)).toBe(0.000499);
    expect(calcPercentile(example13x, 100)).toBe(0.0144329);
    expect(calcPercentile(example13x, 150)).toBe(0.0144329);
    const two = exportHistogram(histOf([0.001, 0.003]));
    expect(calcPercentile(two, 50)).toBe(0.001);
    expect(calcPercentile({ Count: 0, Min: 0, Max: 0, Sum: 0, Avg: 0, StdDev: 0, Data: null }, 50)).toBe(0);
    expect(calcPercentiles(example13x, [50, 100])).toEqual([{ Percentile: 50, Value: calcPercentile(example13x, 50) }, { Percentile: 100, Value: 0.0144329 }]);
  });
});

describe('merge (per-thread histograms)', () => {
  it('equals one histogram fed every value', () => {
    const all = latencies(2000, 42);
    const whole = histOf(all);
    const merged = newFortioHistogram(0, 0.001);
    for (let t = 0; t < 4; t++) mergeFortioHistogram(merged, histOf(all.filter((_, i) => i % 4 === t)));
    expect(merged.hist).toEqual(whole.hist);
    const P = [10, 50, 75, 90, 99, 99.9, 99.99];
    const a = exportHistogram(merged, P);
    const b = exportHistogram(whole, P);
    expect({ ...a, Sum: 0, Avg: 0, StdDev: 0 }).toEqual({ ...b, Sum: 0, Avg: 0, StdDev: 0 });
    expect(a.Sum).toBeCloseTo(b.Sum, 9); // float sums depend on order (§4.2)
    expect(a.StdDev).toBeCloseTo(b.StdDev, 9);
  });

  it('is exact for integer data (sizes), negative minimum included', () => {
    const sizes = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 3001) - 5);
    const merged = newFortioHistogram(0, 100);
    mergeFortioHistogram(merged, histOf([], 0, 100));
    for (let t = 0; t < 3; t++) mergeFortioHistogram(merged, histOf(sizes.filter((_, i) => i % 3 === t), 0, 100));
    expect(exportHistogram(merged)).toEqual(exportHistogram(histOf(sizes, 0, 100)));
  });

  it('refuses histograms with another offset or divider', () => {
    expect(() => mergeFortioHistogram(newFortioHistogram(0, 0.001), newFortioHistogram(0, 0.0001))).toThrow(/different offset\/divider/);
    expect(() => mergeFortioHistogram(newFortioHistogram(0, 0.001), newFortioHistogram(-0.001, 0.001))).toThrow();
  });

  it('clones independently (structured-clone friendly state)', () => {
    const h = histOf([0.001, 0.002]);
    const c = cloneFortioHistogram(h);
    recordValue(c, 0.5);
    expect(h.counter.count).toBe(2);
    expect(c.counter.count).toBe(3);
    expect(structuredClone(h)).toEqual(h);
  });
});
