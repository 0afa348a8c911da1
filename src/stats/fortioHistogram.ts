/**
 * fortio's stats.Histogram (current rules, fortio >= 1.71.1): 56 fixed edges scaled by a divider
 * and shifted by an offset, 57 buckets (<= 0, 55 ranges, > 100000). Exact merge by adding counts.
 * Export and percentiles follow fortio-compat.md §4.3/4.4 so text and JSON match fortio byte for byte.
 */
import { type CounterState, counterAvg, counterStdDev, mergeCounter, newCounter, recordCounter } from './counter.js';

export const BUCKET_EDGES: readonly number[] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100, 120, 140,
  160, 180, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 2000, 3000, 4000, 5000, 7500, 10000,
  20000, 30000, 40000, 50000, 75000, 100000,
];
const LAST_EDGE = 100000;
export const NUM_BUCKETS = BUCKET_EDGES.length + 1; // 57
const OVERFLOW = NUM_BUCKETS - 1;

// Lookup from trunc(scaled) to bucket index, built once: values 0..100000 are all that need a search.
// Entry k is the first i with B[i] > k, so [B[i-1], B[i]) holds i (and k = 100000 holds 56, never
// used: s > 100000 is overflow). Filled by range: a loop over the 100001 values costs ~4 ms of CPU
// at every start, run by the interpreter before V8 optimises it.
const VAL_TO_BUCKET = (() => {
  const t = new Uint8Array(LAST_EDGE + 1);
  for (let i = 1; i < BUCKET_EDGES.length; i++) t.fill(i, BUCKET_EDGES[i - 1], BUCKET_EDGES[i]);
  t[LAST_EDGE] = BUCKET_EDGES.length;
  return t;
})();

/** Live, mutable, structured-clone-safe histogram state. */
export interface FortioHistogramState {
  offset: number;
  divider: number;
  counter: CounterState;
  /** NUM_BUCKETS entries */
  hist: number[];
}

export function newFortioHistogram(offset: number, divider: number): FortioHistogramState {
  return { offset, divider, counter: newCounter(), hist: new Array<number>(NUM_BUCKETS).fill(0) };
}

/** Bucket index for a value with fortio's >= 1.54.2 rule (exact edges belong to the lower bucket). */
export function bucketIndex(v: number, offset: number, divider: number): number {
  const s = (v - offset) / divider;
  if (s <= 0) return 0;
  if (s > LAST_EDGE) return OVERFLOW;
  let k = Math.trunc(s);
  if (s - k < 1e-12) k -= 1;
  // 0 < s < 1e-12 gives k = -1 (fortio itself panics on the lookup there); the rule
  // "first i with B[i] > k" puts it in bucket 0, and VAL_TO_BUCKET[-1] would be undefined.
  if (k < 0) return 0;
  return VAL_TO_BUCKET[k] as number;
}

export function recordValue(h: FortioHistogramState, v: number): void {
  recordCounter(h.counter, v);
  const i = bucketIndex(v, h.offset, h.divider);
  h.hist[i] = (h.hist[i] as number) + 1;
}

/** Adds src into dst; both must share offset and divider. */
export function mergeFortioHistogram(dst: FortioHistogramState, src: FortioHistogramState): void {
  if (dst.offset !== src.offset || dst.divider !== src.divider) {
    throw new Error(`cannot merge histograms with different offset/divider (${dst.offset}/${dst.divider} vs ${src.offset}/${src.divider})`);
  }
  mergeCounter(dst.counter, src.counter);
  for (let i = 0; i < NUM_BUCKETS; i++) dst.hist[i] = (dst.hist[i] as number) + (src.hist[i] as number);
}

export function cloneFortioHistogram(h: FortioHistogramState): FortioHistogramState {
  return { offset: h.offset, divider: h.divider, counter: { ...h.counter }, hist: h.hist.slice() };
}

// ---- exported data (fortio's HistogramData): the compatibility surface ----

export interface Bucket {
  Start: number;
  End: number;
  Percent: number;
  Count: number;
}
export interface Percentile {
  Percentile: number;
  Value: number;
}
export interface HistogramData {
  Count: number;
  Min: number;
  Max: number;
  Sum: number;
  Avg: number;
  StdDev: number;
  Data: Bucket[] | null;
  /** Omitted (undefined) when not computed, as current fortio (omitempty). */
  Percentiles?: Percentile[];
}

export function exportHistogram(h: FortioHistogramState, percentiles?: readonly number[]): HistogramData {
  const c = h.counter;
  const res: HistogramData = {
    Count: c.count,
    Min: c.min,
    Max: c.max,
    Sum: c.sum,
    Avg: counterAvg(c),
    StdDev: counterStdDev(c),
    Data: null,
  };
  if (c.count === 0) return res;
  let last = NUM_BUCKETS - 1;
  while (last >= 0 && h.hist[last] === 0) last--;
  const data: Bucket[] = [];
  let prev = BUCKET_EDGES[0] as number;
  let cum = 0;
  for (let i = 0; i <= last; i++) {
    const n = h.hist[i] as number;
    if (n === 0) {
      if (i < OVERFLOW) prev = BUCKET_EDGES[i] as number;
      continue;
    }
    cum += n;
    const start = data.length === 0 ? c.min : h.divider * prev + h.offset;
    const end = i < OVERFLOW ? h.divider * (BUCKET_EDGES[i] as number) + h.offset : c.max;
    if (i < OVERFLOW) prev = BUCKET_EDGES[i] as number;
    data.push({ Start: start, End: end, Percent: (100 * cum) / c.count, Count: n });
  }
  (data[data.length - 1] as Bucket).End = c.max;
  res.Data = data;
  if (percentiles && percentiles.length > 0) res.Percentiles = calcPercentiles(res, percentiles);
  return res;
}

/** fortio §4.4: linear interpolation inside the bucket holding p; p >= 100 → Max, p <= 100/Count → Min. */
export function calcPercentile(d: HistogramData, p: number): number {
  if (d.Count === 0 || !d.Data) return 0;
  if (p >= 100) return d.Max;
  let prevPct = 100 / d.Count;
  if (p <= prevPct) return d.Min;
  for (const b of d.Data) {
    if (b.Percent >= p) {
      return b.Start + ((p - prevPct) / (b.Percent - prevPct)) * (b.End - b.Start);
    }
    prevPct = b.Percent;
  }
  return d.Max;
}

export function calcPercentiles(d: HistogramData, ps: readonly number[]): Percentile[] {
  return ps.map((p) => ({ Percentile: p, Value: calcPercentile(d, p) }));
}
