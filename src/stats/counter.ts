/**
 * fortio's stats.Counter: count, sum, sum of squares, min, max. Plain data so it can cross
 * worker_threads boundaries by structured clone and merge exactly (fortio's Transfer).
 */
export interface CounterState {
  count: number;
  sum: number;
  sumOfSquares: number;
  min: number;
  max: number;
}

export function newCounter(): CounterState {
  return { count: 0, sum: 0, sumOfSquares: 0, min: 0, max: 0 };
}

export function recordCounter(c: CounterState, v: number): void {
  // The first value sets both bounds, as in fortio (a zero-initialised min would otherwise stick).
  if (c.count === 0) {
    c.min = v;
    c.max = v;
  } else if (v < c.min) {
    c.min = v;
  } else if (v > c.max) {
    c.max = v;
  }
  c.count++;
  c.sum += v;
  c.sumOfSquares += v * v;
}

/** Adds src into dst (fortio Counter.Transfer without clearing src). */
export function mergeCounter(dst: CounterState, src: CounterState): void {
  if (src.count === 0) return;
  if (dst.count === 0) {
    dst.min = src.min;
    dst.max = src.max;
  } else {
    if (src.min < dst.min) dst.min = src.min;
    if (src.max > dst.max) dst.max = src.max;
  }
  dst.count += src.count;
  dst.sum += src.sum;
  dst.sumOfSquares += src.sumOfSquares;
}

export function counterAvg(c: CounterState): number {
  return c.count === 0 ? 0 : c.sum / c.count;
}

/** Population standard deviation; negative variance from rounding is clamped to 0 like fortio. */
export function counterStdDev(c: CounterState): number {
  if (c.count === 0) return 0;
  const fc = c.count;
  const sigma = (c.sumOfSquares - (c.sum * c.sum) / fc) / fc;
  return sigma < 0 ? 0 : Math.sqrt(sigma);
}
