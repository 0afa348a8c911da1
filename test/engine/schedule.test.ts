import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_OPTIONS, type RunOptions } from '../../src/engine/options.js';
import {
  buildPlan,
  finalRequestedDuration,
  jitterNs,
  nextCallIndex,
  stopForDuration,
  targetOffsetNs,
  uniformDelayNs,
} from '../../src/engine/schedule.js';

const S = 1e9;
function opts(o: Partial<RunOptions>): RunOptions {
  return { ...DEFAULT_RUN_OPTIONS, ...o };
}

describe('buildPlan: -n split at max qps (§2.1)', () => {
  it('-c 4 -n 30 → 9/7/7/7, "(7 per thread + 2)"', () => {
    const p = buildPlan(opts({ threads: 4, qps: 0, exactly: 30 }));
    expect(p.threads).toBe(4);
    expect(p.callsPerThread).toEqual([9, 7, 7, 7]);
    expect([p.perThread, p.leftover]).toEqual([7, 2]);
    expect(p.mode).toBe('exactly');
    expect(p.maxQps).toBe(true);
    expect(p.requestedQps).toBe('max');
    expect(p.requestedDuration).toBe('exactly 30 calls');
    expect(p.warmup).toBe(false);
    expect(p.reportedWarmup).toBe(0);
    expect(p.plannedCalls).toBe(30);
    expect(p.warnings).toEqual([]);
  });

  it('-c 2 -n 20 → 10 per thread + 0', () => {
    const p = buildPlan(opts({ threads: 2, qps: -1, exactly: 20 }));
    expect(p.callsPerThread).toEqual([10, 10]);
    expect([p.perThread, p.leftover]).toEqual([10, 0]);
  });

  it('-c 10 -n 5 -qps 0 over-counts to 14 calls', () => {
    const p = buildPlan(opts({ threads: 10, qps: 0, exactly: 5 }));
    expect(p.threads).toBe(10);
    expect([p.perThread, p.leftover]).toEqual([0, 5]);
    expect(p.callsPerThread).toEqual([5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(p.plannedCalls).toBe(14);
    expect(finalRequestedDuration(p, 14)).toBe('exactly 5 calls, interrupted after 14');
    expect(finalRequestedDuration(p, 5)).toBe('exactly 5 calls');
  });

  it('-c 4 -n 1 -qps 0 makes 4 calls', () => {
    expect(buildPlan(opts({ threads: 4, qps: 0, exactly: 1 })).plannedCalls).toBe(4);
  });

  it('normalises -c: 0 → 4, negative → 1 (the raw value is what "plus N warmup" shows)', () => {
    const a = buildPlan(opts({ threads: 0, qps: 0, durationNs: S }));
    expect([a.threads, a.warmupThreads, a.reportedWarmup]).toEqual([4, 4, 0]);
    const b = buildPlan(opts({ threads: -3, qps: 0, durationNs: S }));
    expect([b.threads, b.warmupThreads, b.reportedWarmup]).toEqual([1, 1, -3]);
  });
});

describe('buildPlan: QPS mode (§2.1, §2.2)', () => {
  it('-qps 10 -n 5 -c 4 → 2 threads, 3 + 2, lowering warning', () => {
    const p = buildPlan(opts({ threads: 4, qps: 10, exactly: 5 }));
    expect(p.threads).toBe(2);
    expect(p.warnings).toEqual(['Lowering number of threads - total call 5 -> lowering from 4 to 2 threads']);
    expect(p.callsPerThread).toEqual([3, 2]);
    expect([p.perThread, p.total, p.leftover]).toEqual([2, 4, 1]);
    expect(p.perThreadQps).toBe(5);
    expect(p.requestedQps).toBe('10');
    expect(p.requestedDuration).toBe('exactly 5 calls');
    expect(p.plannedCalls).toBe(5);
    expect(p.warmup).toBe(false);
  });

  it('-qps 10 -n 1 → minimum of 2 with 1 thread, "(total 2 + -1)", 1 call', () => {
    const p = buildPlan(opts({ qps: 10, exactly: 1 }));
    expect(p.warnings).toEqual(['Increasing the number of calls to the minimum of 2 with 1 thread. total duration will increase']);
    expect(p.threads).toBe(1);
    expect([p.perThread, p.total, p.leftover]).toEqual([2, 2, -1]);
    expect(p.callsPerThread).toEqual([1]);
    expect(p.plannedCalls).toBe(1);
  });

  it('-qps 10 -t 1s -c 3 → 3 calls each, total 9, remainder dropped', () => {
    const p = buildPlan(opts({ threads: 3, qps: 10, durationNs: S }));
    expect(p.threads).toBe(3);
    expect(p.callsPerThread).toEqual([3, 3, 3]);
    expect([p.perThread, p.total, p.leftover]).toEqual([3, 9, 0]);
    expect(p.mode).toBe('duration');
    expect(p.requestedDuration).toBe('1s');
    expect(p.warmup).toBe(true);
    expect(p.warmupThreads).toBe(3);
    expect(p.reportedWarmup).toBe(3);
    expect(p.plannedCalls).toBe(9);
  });

  it('-qps 1 -t 1s -c 4 → 1 thread, 2 calls, but 4 warmups', () => {
    const p = buildPlan(opts({ threads: 4, qps: 1, durationNs: S }));
    expect(p.warnings).toEqual(['Increasing the number of calls to the minimum of 2 with 1 thread. total duration will increase']);
    expect(p.threads).toBe(1);
    expect(p.callsPerThread).toEqual([2]);
    expect(p.total).toBe(2);
    expect(p.warmupThreads).toBe(4);
    expect(p.reportedWarmup).toBe(4);
  });

  it('defaults: -qps 8 -t 5s -c 4 → 10 calls each (total 40)', () => {
    const p = buildPlan(DEFAULT_RUN_OPTIONS);
    expect(p.callsPerThread).toEqual([10, 10, 10, 10]);
    expect(p.total).toBe(40);
    expect(p.requestedQps).toBe('8');
    expect(p.requestedDuration).toBe('5s');
    expect(p.perThreadQps).toBe(2);
  });

  it('lowers threads so each makes at least 2 calls: -qps 5 -t 1s -c 4', () => {
    const p = buildPlan(opts({ threads: 4, qps: 5, durationNs: S }));
    expect(p.warnings).toEqual(['Lowering number of threads - total call 5 -> lowering from 4 to 2 threads']);
    expect(p.callsPerThread).toEqual([2, 2]);
    expect(p.total).toBe(4);
  });
});

describe('buildPlan: RequestedDuration / RequestedQPS strings (§5.2)', () => {
  it.each([
    [{ qps: 0, durationNs: 0 }, 'max', ''],
    [{ qps: -1, durationNs: 5 * S }, 'max', '5s'],
    [{ qps: 0, durationNs: 60 * S }, 'max', '1m0s'],
    [{ qps: 8, durationNs: 0 }, '8', 'until stop'],
    [{ qps: 0.5, durationNs: 30 * S }, '0.5', '30s'],
    [{ qps: 1000, durationNs: 1.5 * S }, '1000', '1.5s'],
    [{ qps: 1 / 3, durationNs: 60 * S }, '0.333333333', '1m0s'],
    [{ qps: 0, exactly: 20 }, 'max', 'exactly 20 calls'],
    [{ qps: 10, exactly: 20, durationNs: 0 }, '10', 'exactly 20 calls'],
  ] as Array<[Partial<RunOptions>, string, string]>)('%o → %s / %s', (o, q, d) => {
    const p = buildPlan(opts(o));
    expect(p.requestedQps).toBe(q);
    expect(p.requestedDuration).toBe(d);
  });

  it('modes, and -uniform/-jitter/-nocatchup only in QPS mode', () => {
    expect(buildPlan(opts({ qps: 0, durationNs: 0 })).mode).toBe('until-interrupted');
    expect(buildPlan(opts({ qps: 8, durationNs: -1 })).mode).toBe('until-interrupted');
    const max = buildPlan(opts({ qps: 0, uniform: true, jitter: true, noCatchUp: true }));
    expect([max.uniform, max.jitter, max.noCatchUp]).toEqual([false, false, false]);
    const paced = buildPlan(opts({ qps: 8, uniform: true, jitter: true, noCatchUp: true }));
    expect([paced.uniform, paced.jitter, paced.noCatchUp]).toEqual([true, true, true]);
  });

  it('-r <= 0 falls back to 0.001; -offset passes through', () => {
    const p = buildPlan(opts({ resolution: 0, offset: 0.002 }));
    expect([p.resolution, p.offset]).toEqual([0.001, 0.002]);
  });

  it('Q × D truncates like Go (0.1 qps × 30 s = 3 calls)', () => {
    expect(buildPlan(opts({ threads: 1, qps: 0.1, durationNs: 30 * S })).total).toBe(3);
  });
});

describe('pacing (§2.4, §2.5)', () => {
  it('2 calls at 1 qps over 2 s: a single 2 s sleep', () => {
    expect(targetOffsetNs(1, 2, 1, true)).toBe(2 * S);
  });

  it('3 calls at 3 qps in 1 s: two sleeps of 0.5 s', () => {
    expect(targetOffsetNs(1, 3, 3, true)).toBe(0.5 * S);
    expect(targetOffsetNs(2, 3, 3, true)).toBe(1 * S);
  });

  it('-qps 10 -n 5 -c 4 (default -t 5s): T000 at 0.3/0.6 s, T001 at 0.4 s', () => {
    expect(targetOffsetNs(1, 3, 5, true)).toBe(0.3 * S);
    expect(targetOffsetNs(2, 3, 5, true)).toBe(0.6 * S);
    expect(targetOffsetNs(1, 2, 5, true)).toBe(0.4 * S);
  });

  it('until interrupted: k / pq', () => {
    expect(targetOffsetNs(1, 0, 4, false)).toBe(0.25 * S);
    expect(targetOffsetNs(7, 0, 4, false)).toBe(1.75 * S);
  });

  it('next slot: counted modes end at count; catch-up takes the next slot', () => {
    expect(nextCallIndex(2, 3, true, 10, true, 0, false)).toBe(3);
    expect(nextCallIndex(0, 0, false, 10, false, 5 * S, false)).toBe(1);
  });

  it('-nocatchup skips past slots (100 ms slots, 350 ms elapsed → slot 4)', () => {
    expect(nextCallIndex(0, 0, false, 10, false, 0.35 * S, true)).toBe(4);
    expect(nextCallIndex(0, 0, false, 10, false, 0.4 * S, true)).toBe(4); // sleep 0 is not skipped
    expect(nextCallIndex(0, 5, true, 10, false, 10 * S, true)).toBe(5); // skipping past the end ends the thread
  });

  it('-uniform: thread t waits t/Q', () => {
    for (let t = 0; t < 4; t++) expect(Math.abs(uniformDelayNs(t, 4, 10) - t * 0.1 * S)).toBeLessThanOrEqual(1);
    expect(uniformDelayNs(0, 4, 10)).toBe(0);
  });

  it('-jitter: ±10% integer ns of a positive sleep, none for a late one', () => {
    expect(jitterNs(1e8, () => 0)).toBe(-1e7);
    expect(jitterNs(1e8, () => 0.999999999)).toBe(1e7);
    expect(jitterNs(-5e6, () => 0.9)).toBe(0);
    expect(jitterNs(4, () => 0.99)).toBe(0);
    for (let k = 0; k < 100; k++) {
      const j = jitterNs(123_456_789);
      expect(Number.isInteger(j)).toBe(true);
      expect(Math.abs(j)).toBeLessThanOrEqual(12_345_679);
    }
  });

  it('stop at the duration: max qps at once; paced only after 2 calls and not before the last', () => {
    const max = buildPlan(opts({ qps: 0, durationNs: S }));
    expect(stopForDuration(max, 0, 0)).toBe(true);
    const paced = buildPlan(opts({ threads: 1, qps: 200, durationNs: S }));
    expect(stopForDuration(paced, 1, 200)).toBe(false);
    expect(stopForDuration(paced, 2, 200)).toBe(true);
    expect(stopForDuration(paced, 199, 200)).toBe(false);
    const exact = buildPlan(opts({ qps: 200, exactly: 50, durationNs: S }));
    expect(stopForDuration(exact, 10, 50)).toBe(false);
  });
});
