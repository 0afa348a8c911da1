import { describe, expect, it } from 'vitest';
import { Z95, callsForPerfectRun, wilson } from '../../src/scenario/wilson.js';

function close(actual: readonly [number, number] | undefined, lo: number, hi: number, digits = 4): void {
  expect(actual).toBeDefined();
  const [a, b] = actual as [number, number];
  expect(a).toBeCloseTo(lo, digits);
  expect(b).toBeCloseTo(hi, digits);
}

describe('wilson', () => {
  it('matches published 95 % Wilson score intervals', () => {
    // The first three are the values quoted in issue 4; the others were computed independently from
    // the closed form (Python, double precision). R's prop.test(correct = FALSE) gives the same interval.
    close(wilson(0, 20), 0, 0.1611);
    close(wilson(10, 20), 0.2993, 0.7007);
    close(wilson(3, 20), 0.0524, 0.3604);
    close(wilson(1, 20), 0.0089, 0.2361);
    close(wilson(20, 20), 0.8389, 1);
    close(wilson(19, 30), 0.4551, 0.7813);
    close(wilson(81, 263), 0.2553, 0.3662);
  });

  it('keeps exact 0 and 1 at the edges and stays inside [0, 1]', () => {
    expect(wilson(0, 5)?.[0]).toBe(0);
    expect(wilson(5, 5)?.[1]).toBe(1);
    for (let n = 1; n <= 60; n++) {
      for (let k = 0; k <= n; k++) {
        const [lo, hi] = wilson(k, n) as [number, number];
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        expect(lo).toBeLessThanOrEqual(k / n);
        expect(hi).toBeGreaterThanOrEqual(k / n);
      }
    }
  });

  it('narrows as n grows at the same ratio', () => {
    const w = (k: number, n: number): number => {
      const [lo, hi] = wilson(k, n) as [number, number];
      return hi - lo;
    };
    expect(w(3, 20)).toBeGreaterThan(w(30, 200));
    expect(w(30, 200)).toBeGreaterThan(w(300, 2000));
  });

  it('has no interval without trials', () => {
    expect(wilson(0, 0)).toBeUndefined();
    expect(wilson(3, 2)).toBeUndefined();
  });

  it('uses the 0.975 normal quantile', () => {
    expect(Z95).toBe(1.959963984540054);
  });

  it('says how many perfect calls a one-sided claim needs', () => {
    expect(callsForPerfectRun(0.95)).toBe(73);
    expect((wilson(73, 73) as [number, number])[0]).toBeGreaterThanOrEqual(0.95);
    expect((wilson(72, 72) as [number, number])[0]).toBeLessThan(0.95);
    expect(callsForPerfectRun(0.99)).toBe(381);
  });
});
