import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { seededRng } from '../../src/shared/random.js';
import { exportHistogram, newFortioHistogram, recordValue } from '../../src/stats/fortioHistogram.js';
import { rebucket } from '../../src/stats/rebucket.js';

function fortioSample(name: string): FortioResult {
  return JSON.parse(readFileSync(new URL(`../scenario/fixtures/fortio/${name}.json`, import.meta.url), 'utf8')) as FortioResult;
}

describe('rebucket: exported fortio histogram back to bucket counts', () => {
  const cases = [
    { name: 'latency, -r 0.001', offset: 0, divider: 0.001, scale: 0.2 },
    { name: 'latency, -r 0.0001', offset: 0, divider: 0.0001, scale: 0.01 },
    { name: 'latency with -offset', offset: 0.005, divider: 0.001, scale: 0.05 },
    { name: 'body sizes (divider 100)', offset: 0, divider: 100, scale: 5e6 },
    { name: 'header sizes (divider 5)', offset: 0, divider: 5, scale: 2000 },
    { name: 'sleep (-0.001 / 0.001)', offset: -0.001, divider: 0.001, scale: 0.05 },
  ];
  for (const c of cases) {
    it(`restores every bucket exactly: ${c.name}`, () => {
      const rnd = seededRng(7);
      const h = newFortioHistogram(c.offset, c.divider);
      // Log-spread values (many buckets, some empty), exact edges, values below the offset and overflow.
      for (let i = 0; i < 2000; i++) recordValue(h, c.offset + c.scale * Math.pow(rnd(), 4));
      for (const e of [1, 2, 100, 1000]) recordValue(h, c.offset + e * c.divider);
      recordValue(h, c.offset - c.divider);
      recordValue(h, c.offset + 200000 * c.divider);
      const back = rebucket(exportHistogram(h), c.offset, c.divider);
      expect(back.exact).toBe(true);
      expect(back.state.hist).toEqual(h.hist);
      expect(back.state.counter.count).toBe(h.counter.count);
      expect(back.state.counter.min).toBe(h.counter.min);
      expect(back.state.counter.max).toBe(h.counter.max);
      expect(back.state.counter.sum).toBe(h.counter.sum);
      expect(back.state.counter.sumOfSquares / h.counter.sumOfSquares).toBeCloseTo(1, 9);
    });
  }

  it('handles a single bucket (Start = Min, End = Max) and an empty histogram', () => {
    const h = newFortioHistogram(0, 0.001);
    recordValue(h, 0.0231);
    recordValue(h, 0.0242);
    const back = rebucket(exportHistogram(h), 0, 0.001);
    expect(back.state.hist).toEqual(h.hist);
    expect(rebucket(exportHistogram(newFortioHistogram(0, 0.001)), 0, 0.001).state.counter.count).toBe(0);
  });

  it('falls back to the midpoint and says so when the edges belong to another resolution', () => {
    const h = newFortioHistogram(0, 0.0001);
    for (const v of [0.00015, 0.00042, 0.0013, 0.0071]) recordValue(h, v);
    const back = rebucket(exportHistogram(h), 0, 0.001);
    expect(back.exact).toBe(false);
    expect(back.state.hist.reduce((a, b) => a + b, 0)).toBe(4);
  });

  it("rebuilds fortio's own exported histograms exactly", () => {
    for (const name of ['fortio-load-multibucket-c4-n200', 'fortio-load-p-custom-503', 'fortio-load-timeouts-mixed']) {
      const d = fortioSample(name).DurationHistogram;
      const r = rebucket(d, 0, 0.001);
      expect(r.exact, name).toBe(true);
      const back = exportHistogram(r.state);
      expect(back.Data?.map((b) => b.Count)).toEqual(d.Data?.map((b) => b.Count));
      back.Data?.forEach((b, i) => {
        expect(b.Start).toBeCloseTo(d.Data?.[i]?.Start as number, 12);
        expect(b.End).toBeCloseTo(d.Data?.[i]?.End as number, 12);
      });
    }
  });
});
