/**
 * The engine's HDR recording: the counts of hdr-histogram-js's Int32Histogram(1 ns, 1 h,
 * 3 digits), kept without loading the package (≈ 10 ms of CPU and ten modules at every start,
 * docs/benchmarks.md). Only recording and the fields encodeHdr reads live here; decoding, merging
 * and percentiles stay the package's. Indexing is the package's (JsHistogram countsArrayIndex),
 * so the encoded text is byte for byte the package's (test/stats/hdr.test.ts).
 */
export const HDR_LOWEST_NS = 1;
export const HDR_HIGHEST_NS = 3_600_000_000_000; // 1 h
export const HDR_DIGITS = 3;

// JsHistogram.init for (HDR_LOWEST_NS, HDR_HIGHEST_NS, HDR_DIGITS)
const UNIT_MAGNITUDE = Math.floor(Math.log2(HDR_LOWEST_NS));
const UNIT_MAGNITUDE_MASK = 2 ** UNIT_MAGNITUDE - 1;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = Math.max(Math.ceil(Math.log2(2 * 10 ** HDR_DIGITS)), 1) - 1;
const SUB_BUCKET_COUNT = 2 ** (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
const SUB_BUCKET_HALF_COUNT = SUB_BUCKET_COUNT / 2;

function bucketsToCover(value: number): number {
  let smallestUntrackable = SUB_BUCKET_COUNT * 2 ** UNIT_MAGNITUDE;
  let buckets = 1;
  while (smallestUntrackable <= value) {
    if (smallestUntrackable > Number.MAX_SAFE_INTEGER / 2) return buckets + 1;
    smallestUntrackable *= 2;
    buckets++;
  }
  return buckets;
}

const COUNTS_LENGTH = (bucketsToCover(HDR_HIGHEST_NS) + 1) * SUB_BUCKET_HALF_COUNT;

export class HdrRecorder {
  readonly lowestDiscernibleValue = HDR_LOWEST_NS;
  readonly highestTrackableValue = HDR_HIGHEST_NS;
  readonly numberOfSignificantValueDigits = HDR_DIGITS;
  /** The package's maxValue: the largest recorded value (+ the unit mask, 0 at 1 ns units). */
  maxValue = 0;
  totalCount = 0;
  readonly _counts = new Int32Array(COUNTS_LENGTH);

  countsArrayIndex(value: number): number {
    const bucket = Math.max(Math.floor(Math.log2(value)) - SUB_BUCKET_HALF_COUNT_MAGNITUDE - UNIT_MAGNITUDE, 0);
    const sub = Math.floor(value / 2 ** (bucket + UNIT_MAGNITUDE));
    return (bucket + 1) * 2 ** SUB_BUCKET_HALF_COUNT_MAGNITUDE + sub - SUB_BUCKET_HALF_COUNT;
  }

  /** A latency in ns, rounded to whole ns and clamped into the trackable range (a 2 h stall cannot throw). */
  recordNs(ns: number): void {
    let v = Math.round(ns);
    if (v < HDR_LOWEST_NS) v = HDR_LOWEST_NS;
    else if (v > HDR_HIGHEST_NS) v = HDR_HIGHEST_NS;
    const i = this.countsArrayIndex(v);
    const n = (this._counts[i] as number) + 1;
    if (n > 0x7fffffff) throw new Error(`${n} would overflow the HDR histogram's 32-bit count`);
    this._counts[i] = n;
    if (v > this.maxValue) this.maxValue = v + UNIT_MAGNITUDE_MASK;
    this.totalCount++;
  }
}
