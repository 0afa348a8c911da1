import { describe, expect, it } from 'vitest';
import { parseStartTime, unionDurationNs } from '../../src/merge/timeRanges.js';
import { formatRfc3339Nano } from '../../src/shared/goFormat.js';

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
