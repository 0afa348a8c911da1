import { describe, expect, it } from 'vitest';
import { counterAvg, counterStdDev, mergeCounter, newCounter, recordCounter, type CounterState } from '../../src/stats/counter.js';

function counterOf(values: readonly number[]): CounterState {
  const c = newCounter();
  for (const v of values) recordCounter(c, v);
  return c;
}

describe('Counter (fortio stats.Counter)', () => {
  it('starts empty with avg and stddev 0', () => {
    const c = newCounter();
    expect(c).toEqual({ count: 0, sum: 0, sumOfSquares: 0, min: 0, max: 0 });
    expect(counterAvg(c)).toBe(0);
    expect(counterStdDev(c)).toBe(0);
  });

  it('lets the first value set both min and max (no zero-initialised bound sticks)', () => {
    expect(counterOf([5, 7])).toMatchObject({ min: 5, max: 7 });
    expect(counterOf([-5, -10, -3])).toMatchObject({ min: -10, max: -3 });
    expect(counterOf([5, 3, 10, 4])).toMatchObject({ min: 3, max: 10, count: 4, sum: 22, sumOfSquares: 150 });
    expect(counterOf([0.25])).toMatchObject({ min: 0.25, max: 0.25 });
  });

  it('computes the average and the population standard deviation', () => {
    const c = counterOf([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(counterAvg(c)).toBe(5);
    expect(counterStdDev(c)).toBe(2);
    expect(counterStdDev(counterOf([1]))).toBe(0);
  });

  it('clamps a variance made negative by rounding to 0', () => {
    const c = counterOf([0.1, 0.1, 0.1]); // sum² / n ends up above the sum of squares
    expect((c.sumOfSquares - (c.sum * c.sum) / c.count) / c.count).toBeLessThan(0);
    expect(counterStdDev(c)).toBe(0);
  });

  it('merges like Counter.Transfer: empty src is a no-op, empty dst takes src whole', () => {
    const dst = newCounter();
    mergeCounter(dst, newCounter());
    expect(dst).toEqual(newCounter());
    mergeCounter(dst, counterOf([-3, 8]));
    expect(dst).toEqual({ count: 2, sum: 5, sumOfSquares: 73, min: -3, max: 8 });
    mergeCounter(dst, counterOf([10, -4]));
    expect(dst).toEqual({ count: 4, sum: 11, sumOfSquares: 189, min: -4, max: 10 });
    const src = counterOf([1, 2]);
    mergeCounter(dst, src);
    expect(src).toEqual(counterOf([1, 2])); // unlike Go's Transfer, src is left as it was
  });

  it('merged per-thread counters equal one counter fed everything (integer data: exact)', () => {
    const values = Array.from({ length: 300 }, (_, i) => ((i * 7919) % 1013) - 200);
    const threads = [counterOf(values.slice(0, 100)), counterOf(values.slice(100, 150)), counterOf(values.slice(150))];
    const merged = newCounter();
    for (const t of threads) mergeCounter(merged, t);
    expect(merged).toEqual(counterOf(values));
    expect(counterStdDev(merged)).toBe(counterStdDev(counterOf(values)));
  });
});
