import { describe, expect, it } from 'vitest';
import { rebucket } from '../../src/merge/rebucket.js';
import { parseStartTime, unionDurationNs } from '../../src/merge/timeRanges.js';
import { exportHistogram, newFortioHistogram, recordValue } from '../../src/stats/fortioHistogram.js';
import { formatRfc3339Nano } from '../../src/shared/goFormat.js';
import { seededRandom } from '../helpers/servers.js';

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
      const rnd = seededRandom(7);
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
});

describe('time ranges', () => {
  it('reads Go RFC3339Nano start times with their offset and nanoseconds', () => {
    expect(parseStartTime('2024-03-01T10:00:00Z')).toBe(Date.UTC(2024, 2, 1, 10));
    expect(parseStartTime('2024-03-01T10:00:00.5+01:00')).toBe(Date.UTC(2024, 2, 1, 9, 0, 0, 500));
    expect(parseStartTime('2024-03-01T10:00:00.123456789Z')).toBeCloseTo(Date.UTC(2024, 2, 1, 10) + 123.456789, 3);
    expect(parseStartTime('yesterday')).toBeUndefined();
    const now = 1_700_000_000_123.25;
    expect(parseStartTime(formatRfc3339Nano(now))).toBeCloseTo(now, 3);
  });

  it('measures the union of overlapping and separate ranges', () => {
    const t = 1_700_000_000_000;
    expect(unionDurationNs([{ startMs: t, durationNs: 1e9 }])).toBe(1e9);
    // overlapping shards: 0–1 s and 0.5–1.2 s → 1.2 s
    expect(unionDurationNs([{ startMs: t, durationNs: 1e9 }, { startMs: t + 500, durationNs: 0.7e9 }])).toBe(1.2e9);
    // disjoint runs: 0–1 s and 5–6 s → 2 s, the idle gap excluded
    expect(unionDurationNs([{ startMs: t + 5000, durationNs: 1e9 }, { startMs: t, durationNs: 1e9 }])).toBe(2e9);
    // nested
    expect(unionDurationNs([{ startMs: t, durationNs: 3e9 }, { startMs: t + 1000, durationNs: 1e9 }])).toBe(3e9);
  });
});
