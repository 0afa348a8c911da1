import { describe, expect, it } from 'vitest';
import { formatRatioChange, ratioChange } from '../../src/scenario/newcombe.js';

/** Newcombe 1998 writes p1 − p2; ratioChange(kA, nA, kB, nB) is B − A, so p1 is B. */
function close(k1: number, n1: number, k2: number, n2: number, diff: number, lo: number, hi: number): void {
  const c = ratioChange(k2, n2, k1, n1);
  expect(c).toBeDefined();
  expect(c?.diff).toBeCloseTo(diff, 4);
  expect(c?.interval[0]).toBeCloseTo(lo, 4);
  expect(c?.interval[1]).toBeCloseTo(hi, 4);
}

describe('Newcombe hybrid score interval (method 10)', () => {
  it("matches Newcombe 1998's worked examples", () => {
    close(56, 70, 48, 80, 0.2, 0.0524, 0.3339); // example (a) of the paper
    close(9, 10, 3, 10, 0.6, 0.1705, 0.809);
    close(5, 56, 0, 29, 0.0893, -0.0381, 0.1926);
    close(0, 10, 0, 20, 0, -0.1611, 0.2775);
    close(0, 10, 0, 10, 0, -0.2775, 0.2775);
    close(10, 10, 0, 20, 1, 0.6791, 1);
    close(10, 10, 0, 10, 1, 0.6075, 1);
  });

  it('says "changed" only when the interval excludes 0, and stays inside [-1, 1]', () => {
    expect(ratioChange(48, 80, 56, 70)?.changed).toBe(true);
    expect(ratioChange(56, 70, 48, 80)?.changed).toBe(true);
    // the "+0.133": 11/30 → 15/30 is well inside the noise of 30 calls
    const c = ratioChange(11, 30, 15, 30);
    expect(c?.diff).toBeCloseTo(0.1333, 4);
    expect(c?.changed).toBe(false);
    for (let nA = 1; nA <= 12; nA++) {
      for (let nB = 1; nB <= 12; nB++) {
        for (let kA = 0; kA <= nA; kA++) {
          for (let kB = 0; kB <= nB; kB++) {
            const r = ratioChange(kA, nA, kB, nB) as NonNullable<ReturnType<typeof ratioChange>>;
            expect(r.interval[0]).toBeGreaterThanOrEqual(-1);
            expect(r.interval[1]).toBeLessThanOrEqual(1);
            expect(r.interval[0]).toBeLessThanOrEqual(r.diff);
            expect(r.interval[1]).toBeGreaterThanOrEqual(r.diff);
          }
        }
      }
    }
  });

  it('has no interval without calls on a side', () => {
    expect(ratioChange(0, 0, 3, 10)).toBeUndefined();
    expect(ratioChange(3, 10, 0, 0)).toBeUndefined();
  });

  it('formats the difference, its interval and the call', () => {
    expect(formatRatioChange(ratioChange(48, 80, 56, 70) as NonNullable<ReturnType<typeof ratioChange>>)).toBe('+0.200 [+0.052, +0.334] changed');
    expect(formatRatioChange(ratioChange(15, 30, 11, 30) as NonNullable<ReturnType<typeof ratioChange>>)).toBe('−0.133 [−0.358, +0.112]');
    expect(formatRatioChange(ratioChange(0, 10, 0, 10) as NonNullable<ReturnType<typeof ratioChange>>)).toBe('+0.000 [−0.278, +0.278]');
  });
});
