/**
 * Turns an exported fortio histogram (HistogramData: Count/Min/Max/Sum/StdDev and the non-empty
 * buckets) back into live bucket counts, so results saved as JSON can be added exactly like the
 * engine adds its threads' histograms. The export keeps each bucket's edges as
 * `divider × edge + offset`, which identifies the bucket when offset and divider are known.
 */
import {
  BUCKET_EDGES,
  NUM_BUCKETS,
  bucketIndex,
  newFortioHistogram,
  type FortioHistogramState,
  type HistogramData,
} from './fortioHistogram.js';

export interface Rebucketed {
  state: FortioHistogramState;
  /** false when some bucket did not sit on this offset/divider's edges (other -r, old fortio) */
  exact: boolean;
}

const OVERFLOW = NUM_BUCKETS - 1;

/** Index i whose scaled edge `divider × B[i] + offset` is v (relative tolerance for float noise). */
function edgeIndex(v: number, offset: number, divider: number): number | undefined {
  for (let i = 0; i < BUCKET_EDGES.length; i++) {
    const e = divider * (BUCKET_EDGES[i] as number) + offset;
    if (e === v || Math.abs(e - v) <= 1e-9 * Math.max(Math.abs(e), Math.abs(v), divider)) return i;
  }
  return undefined;
}

export function rebucket(h: HistogramData, offset: number, divider: number): Rebucketed {
  const state = newFortioHistogram(offset, divider);
  if (h.Count <= 0) return { state, exact: true };
  const c = state.counter;
  c.count = h.Count;
  c.sum = h.Sum;
  c.min = h.Min;
  c.max = h.Max;
  // Population variance = E[x²] − E[x]², so the sum of squares comes back from Avg and StdDev.
  c.sumOfSquares = h.Count * (h.StdDev * h.StdDev + h.Avg * h.Avg);
  const data = h.Data ?? [];
  let exact = true;
  data.forEach((b, j) => {
    if (b.Count <= 0) return;
    let idx: number | undefined;
    if (data.length === 1) {
      // One bucket holds every value, so its largest value names it, with the recording rule.
      idx = bucketIndex(h.Max, offset, divider);
    } else if (j < data.length - 1) {
      idx = edgeIndex(b.End, offset, divider); // every End but the last is the bucket's upper edge
    } else {
      // The last End is Max; its Start is the previous bucket's upper edge (or the overflow start).
      const prev = edgeIndex(b.Start, offset, divider);
      idx = prev === undefined ? undefined : Math.min(prev + 1, OVERFLOW);
    }
    if (idx === undefined) {
      exact = false;
      idx = bucketIndex((b.Start + b.End) / 2, offset, divider);
    }
    state.hist[idx] = (state.hist[idx] as number) + b.Count;
  });
  return { state, exact };
}
