/**
 * Start times and run durations of results being merged. Shards of one distributed run overlap
 * in time, separate runs may not: the merged duration is the length of the union of the
 * [start, start + ActualDuration] ranges, so qps stays "calls per second of wall time under load".
 */
import { minOf } from '../shared/arrays.js';

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Epoch milliseconds (sub-ms kept as a fraction) of Go's RFC3339Nano, or undefined. */
export function parseStartTime(s: string): number | undefined {
  const m = RFC3339.exec(s.trim());
  if (!m) return undefined;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(whole)) return undefined;
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return whole + frac;
}

export interface TimeRange {
  /** epoch ms */
  startMs: number;
  /** ns */
  durationNs: number;
}

/** Length in ns of the union of the ranges. */
export function unionDurationNs(ranges: readonly TimeRange[]): number {
  // Relative to the earliest start: epoch ns do not fit a double's 53 bits.
  const base = minOf(ranges.map((r) => r.startMs));
  const iv = ranges
    .map((r) => [(r.startMs - base) * 1e6, (r.startMs - base) * 1e6 + Math.max(0, r.durationNs)] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur: [number, number] | undefined;
  for (const [s, e] of iv) {
    if (!cur || s > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [s, e];
    } else if (e > cur[1]) {
      cur[1] = e;
    }
  }
  if (cur) total += cur[1] - cur[0];
  return Math.round(total);
}
