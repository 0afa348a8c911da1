/**
 * The real engine: real worker_threads (compiled entry from dist/), real timers, the noop
 * runnable as protocol. Bounds are loose on purpose: these check behaviour, not speed.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { RunOptions } from '../../src/engine/options.js';
import { type EngineResults, type EngineSpec, runEngine } from '../../src/engine/index.js';
import type { NoopOptions, NoopSnapshot } from '../../src/engine/noopRunnable.js';
import { exportHistogram } from '../../src/stats/fortioHistogram.js';
import { decodeHdr } from '../../src/stats/hdr.js';
import { configureLog } from '../../src/shared/log.js';
import { noopEngineSpec } from '../helpers/noopEngine.js';

const S = 1e9;

interface Run {
  r: EngineResults;
  lines: string[];
  snaps: NoopSnapshot[];
  wallMs: number;
}

async function run(o: Partial<RunOptions>, noop: NoopOptions = {}, extra: Partial<EngineSpec> = {}): Promise<Run> {
  const lines: string[] = [];
  const t0 = performance.now();
  const r = await runEngine(noopEngineSpec(o, noop, lines, extra));
  return { r, lines, snaps: r.threads.map((t) => t.protocol as NoopSnapshot), wallMs: performance.now() - t0 };
}

/**
 * Each thread made its `perThread` calls, or fell behind on a busy machine, stopped at the
 * duration and said so in fortio's words with the number it did.
 */
function expectPlannedOrReported(r: EngineResults, lines: string[], perThread: number): void {
  r.threads.forEach((t, i) => {
    const id = `T${String(i).padStart(3, '0')}`;
    if (t.calls === perThread) return;
    expect(lines.some((l) => l.includes(`${id} warning only did ${t.calls} out of ${perThread} calls`)), `${id}: ${t.calls} calls`).toBe(true);
  });
}

function endedLines(lines: string[]): string[] {
  return lines.filter((l) => / T\d{3} ended after /.test(l));
}

describe('runEngine: -n splits', () => {
  it('-c 3 -n 30: exactly 30 calls, 10 per thread', async () => {
    const { r, snaps, lines } = await run({ threads: 3, qps: 0, exactly: 30, workers: 2 });
    expect(r.duration.counter.count).toBe(30);
    expect(r.threads.map((t) => t.calls)).toEqual([10, 10, 10]);
    expect(snaps.map((s) => s.calls)).toEqual([10, 10, 10]);
    expect(snaps.map((s) => s.warmups)).toEqual([0, 0, 0]);
    expect(snaps.every((s) => s.closed)).toBe(true);
    expect(r.codes).toEqual({ '200': 30 });
    expect(r.requestedDuration).toBe('exactly 30 calls');
    expect(r.warmupCalls).toBe(0);
    expect(r.interrupted).toBe(false);
    expect(r.stopReason).toBe('completed');
    expect(r.workers.map((w) => w.threads)).toEqual([[0, 2], [1]]);
    expect(r.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/);
    expect(r.actualDurationNs).toBeGreaterThan(0);
    const ended = endedLines(lines);
    expect(ended).toHaveLength(3);
    for (const l of ended) expect(l).toMatch(/\[INF\] T00[0-2] ended after \d[\d.]*(ns|µs|ms|s) : 10 calls\. qps=[\d.e+]+\n$/);
  });

  it('threadGroup 3: consecutive threads share a worker (gRPC -s streams of one connection); no worker without threads', async () => {
    const { r } = await run({ threads: 6, qps: 0, exactly: 12, workers: 2 }, {}, { threadGroup: 3 });
    expect(r.workers.map((w) => w.threads)).toEqual([[0, 1, 2], [3, 4, 5]]);
    const few = await run({ threads: 4, qps: 0, exactly: 8, workers: 2 }, {}, { threadGroup: 4 });
    expect(few.r.workers.map((w) => w.threads)).toEqual([[0, 1, 2, 3]]);
    expect(few.r.duration.counter.count).toBe(8);
  });

  it('-c 4 -n 30: 9/7/7/7', async () => {
    const { r } = await run({ threads: 4, qps: 0, exactly: 30 });
    expect(r.threads.map((t) => t.calls)).toEqual([9, 7, 7, 7]);
    expect(r.duration.counter.count).toBe(30);
  });

  it('-c 10 -n 5 -qps 0 over-counts to 14 calls', async () => {
    const { r } = await run({ threads: 10, qps: 0, exactly: 5, workers: 3 });
    expect(r.threads.map((t) => t.calls)).toEqual([5, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(r.requestedDuration).toBe('exactly 5 calls, interrupted after 14');
  });

  it('-qps 10 -n 1 makes exactly 1 call; -qps 10 -n 5 -c 4 runs 2 threads 3 + 2 paced', async () => {
    const one = await run({ threads: 4, qps: 10, exactly: 1 });
    expect(one.r.duration.counter.count).toBe(1);
    const { r, lines } = await run({ threads: 4, qps: 10, exactly: 5, durationNs: 5 * S });
    expect(r.threads.map((t) => t.calls)).toEqual([3, 2]);
    // pacing of §2.4 with the default -t: T000 ends ≈ 0.6 s, T001 ≈ 0.4 s (never earlier; late by
    // what a busy machine's timers lose, far from the 5 s -t they would take if paced on it)
    expect((r.threads[0]?.elapsedNs ?? 0) / S).toBeGreaterThan(0.55);
    expect((r.threads[0]?.elapsedNs ?? 0) / S).toBeLessThan(1.5);
    expect((r.threads[1]?.elapsedNs ?? 0) / S).toBeGreaterThan(0.35);
    expect((r.threads[1]?.elapsedNs ?? 0) / S).toBeLessThan(1.3);
    expect(r.sleep.counter.count).toBe(3); // calls − threads
    expect(r.plan.warnings).toHaveLength(1);
  });
});

describe('runEngine: duration modes', () => {
  it('-qps 200 -t 2s -c 4 → 400 calls spread over ~2 s, one warmup per thread', async () => {
    const { r, snaps, lines } = await run({ threads: 4, qps: 200, durationNs: 2 * S, workers: 2 }, { recordTimes: 1000 });
    const calls = r.duration.counter.count;
    // 100 calls per thread; a thread a busy machine made late for its last slots stops at 2 s and
    // says how many it did, so every call is either made or reported missing
    expectPlannedOrReported(r, lines, 100);
    expect(calls).toBeGreaterThanOrEqual(300);
    expect(calls).toBeLessThanOrEqual(404);
    expect(snaps.map((s) => s.warmups)).toEqual([1, 1, 1, 1]);
    expect(r.warmupCalls).toBe(4);
    const times = snaps.flatMap((s) => s.callTimes).sort((a, b) => a - b);
    const first = (times[0] as number) - r.startEpochMs;
    const last = (times[times.length - 1] as number) - r.startEpochMs;
    expect(first).toBeGreaterThanOrEqual(-1);
    expect(first).toBeLessThan(500);
    expect(last).toBeGreaterThan(1900);
    expect(last).toBeLessThan(3000); // a 1.5x slower pacing would end at 3 s
    expect(r.actualDurationNs / S).toBeGreaterThan(1.9);
    // one sleep after every call but a thread's last; a thread that slept into the end of the
    // run and stopped short (reported above) recorded one more sleep with no call after it
    const short = r.threads.filter((t) => t.calls !== 100).length;
    expect(r.sleep.counter.count).toBeGreaterThanOrEqual(calls - 4);
    expect(r.sleep.counter.count).toBeLessThanOrEqual(calls - 4 + short);
    expect(r.requestedDuration).toBe('2s');
  });

  it('-qps 0 -t 1s stops at ~1 s', async () => {
    const { r, wallMs } = await run({ threads: 2, qps: 0, durationNs: S }, { delayMs: 1 });
    // the stop is checked before each call, so the run ends one (1 ms) call after 1 s, plus what
    // a busy machine delays the last timer; 2 s would be a run that missed the end
    expect(r.actualDurationNs / S).toBeGreaterThan(0.99);
    expect(r.actualDurationNs / S).toBeLessThan(2);
    expect(wallMs).toBeLessThan(15_000); // includes starting the workers
    expect(r.duration.counter.count).toBeGreaterThan(50);
    expect(r.sleep.counter.count).toBe(0);
  });

  it('a paced thread that falls behind stops at the duration with "warning only did"', async () => {
    const { r, lines } = await run({ threads: 1, qps: 200, durationNs: 0.5 * S }, { delayMs: 10 });
    const warnLine = lines.find((l) => l.includes('warning only did'));
    expect(warnLine).toMatch(/\[WRN\] T000 warning only did \d+ out of 100 calls before reaching 500ms\n$/);
    expect(r.duration.counter.count).toBeLessThan(100);
    expect(r.sleep.counter.min).toBeLessThan(0);
  });
});

describe('runEngine: workers and merge', () => {
  it('workers=1 and workers=2 give the same counts; merged fortio and HDR agree', async () => {
    const o = { threads: 4, qps: 0, exactly: 4000 };
    const one = await run({ ...o, workers: 1 }, { codes: [200, 200, 503] });
    const two = await run({ ...o, workers: 2 }, { codes: [200, 200, 503] });
    for (const { r } of [one, two]) {
      expect(r.duration.counter.count).toBe(4000);
      expect(r.threads.map((t) => t.calls)).toEqual([1000, 1000, 1000, 1000]);
      expect(r.codes).toEqual({ '200': 2668, '503': 1332 });
      expect(r.errors.counter.count).toBe(1332);
      expect(r.duration.hist.reduce((a, b) => a + b, 0)).toBe(4000);
      const hdr = decodeHdr(r.durationHdr ?? '');
      expect(hdr.totalCount).toBe(4000);
      expect(decodeHdr(r.errorsHdr ?? '').totalCount).toBe(1332);
      const exp = exportHistogram(r.duration, [50, 99]);
      expect(hdr.maxValue / S).toBeLessThanOrEqual(exp.Max * 1.001 + 1e-9);
      expect(hdr.minNonZeroValue / S).toBeGreaterThanOrEqual(exp.Min * 0.999 - 1e-9);
    }
    expect(one.r.workers).toHaveLength(1);
    expect(two.r.workers).toHaveLength(2);
    expect(two.r.workers.map((w) => w.calls)).toEqual([2000, 2000]);
  });

  it('hdr: false records no HDR histograms and counts the same, on a worker thread and inline', async () => {
    const o = { threads: 2, qps: 0, exactly: 200 };
    for (const extra of [{ hdr: false }, { hdr: false, inline: true }, { hdr: false, workers: 2 }]) {
      const { workers, ...spec } = { workers: 1, ...extra };
      const { r } = await run({ ...o, workers }, { codes: [200, 503] }, spec);
      expect(r.duration.counter.count).toBe(200);
      expect(r.errors.counter.count).toBe(100);
      expect(r.codes).toEqual({ '200': 100, '503': 100 });
      expect(r.durationHdr).toBeUndefined();
      expect(r.errorsHdr).toBeUndefined();
    }
  });

  it('inline: a one-worker run served on this thread counts what a worker counts; two workers stay workers', async () => {
    const o = { threads: 4, qps: 0, exactly: 400 };
    const mine: string[] = [];
    configureLog({ level: 2, json: false, write: (l) => mine.push(l) });
    const listeners = process.listenerCount('uncaughtException');
    try {
      const worker = await run({ ...o, workers: 1 }, { codes: [200, 503] });
      const inline = await run({ ...o, workers: 1 }, { codes: [200, 503] }, { inline: true });
      for (const { r } of [worker, inline]) {
        expect(r.duration.counter.count).toBe(400);
        expect(r.threads.map((t) => t.calls)).toEqual([100, 100, 100, 100]);
        expect(r.codes).toEqual({ '200': 200, '503': 200 });
        expect(decodeHdr(r.durationHdr ?? '').totalCount).toBe(400);
        expect(r.workers).toHaveLength(1);
      }
      expect(inline.snaps.every((s) => s.closed)).toBe(true);
      // inline, the threads' lines go through this thread's logger, which the caller configured
      expect(endedLines(worker.lines)).toHaveLength(4);
      expect(endedLines(inline.lines)).toHaveLength(0);
      expect(endedLines(mine)).toHaveLength(4);
      expect(process.listenerCount('uncaughtException')).toBe(listeners);
      const two = await run({ ...o, workers: 2 }, {}, { inline: true });
      expect(two.r.workers).toHaveLength(2);
      expect(endedLines(two.lines)).toHaveLength(4);
    } finally {
      configureLog({ level: 2, json: !process.stderr.isTTY, write: (l) => void process.stderr.write(l) });
    }
  });

  it('reports the workers it started, on onStart and on the result: never more than the threads', async () => {
    for (const [o, want] of [
      [{ threads: 4, workers: 2 }, 2],
      [{ threads: 1, workers: 3 }, 1],
      [{ threads: 3, workers: 0, reserveCores: 0 }, Math.min(3, availableParallelism())],
    ] as const) {
      let started = -1;
      const { r } = await run({ qps: 0, exactly: 8, ...o }, {}, { onStart: (_plan, workers) => (started = workers) });
      expect([started, r.workersStarted], JSON.stringify(o)).toEqual([want, want]);
    }
  });

  it('progress reports arrive during the run', async () => {
    const seen: number[] = [];
    const { r } = await run({ threads: 2, qps: 100, durationNs: 0.8 * S }, {}, { progressIntervalMs: 100, onProgress: (p) => seen.push(p.calls) });
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.some((n) => n > 0 && n < r.duration.counter.count)).toBe(true); // some arrived mid-run
    expect(seen[seen.length - 1]).toBe(r.duration.counter.count); // the last one is the final count
  });
});
