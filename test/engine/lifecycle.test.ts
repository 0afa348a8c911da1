/**
 * Engine lifecycle with real workers: warmup, stop signals, -abort-on, crashes, and the
 * paced-mode options that change timing (-nocatchup, -uniform).
 */
import { describe, expect, it } from 'vitest';
import { type EngineResults, runEngine } from '../../src/engine/index.js';
import type { NoopOptions, NoopSnapshot } from '../../src/engine/noopRunnable.js';
import { StartError } from '../../src/shared/errors.js';
import { noopEngineSpec } from '../helpers/noopEngine.js';

const S = 1e9;

const snaps = (r: EngineResults): NoopSnapshot[] => r.threads.map((t) => t.protocol as NoopSnapshot);

describe('warmup', () => {
  it('one warmup per thread without -n, none with -n', async () => {
    const r = await runEngine(noopEngineSpec({ threads: 3, qps: 0, durationNs: 0.2 * S }, { delayMs: 1 }));
    expect(snaps(r).map((s) => s.warmups)).toEqual([1, 1, 1]);
    expect(r.warmupCalls).toBe(3);
    const n = await runEngine(noopEngineSpec({ threads: 3, qps: 0, exactly: 9 }, {}));
    expect(snaps(n).map((s) => s.warmups)).toEqual([0, 0, 0]);
    expect(n.warmupCalls).toBe(0);
  });

  it('warms up every -c thread before lowering, then runs only the first T', async () => {
    const lines: string[] = [];
    let started: number | undefined;
    const r = await runEngine(
      noopEngineSpec({ threads: 4, qps: 4, durationNs: 0.5 * S }, {}, lines, { onStart: (p) => (started = p.threads) }),
    );
    expect(started).toBe(1);
    expect(r.warmupCalls).toBe(4);
    expect(r.threads).toHaveLength(1);
    expect(r.duration.counter.count).toBe(2);
    expect(lines.some((l) => l.includes('[WRN] Lowering number of threads - total call 2 -> lowering from 4 to 1 threads'))).toBe(true);
  });

  it('a failed warmup rejects with fortio abort message unless allowInitialErrors', async () => {
    const noop: NoopOptions = { warmupCodes: { '1': 503 } };
    const p = runEngine(noopEngineSpec({ threads: 3, qps: 0, durationNs: 0.2 * S, workers: 2 }, noop));
    await expect(p).rejects.toBeInstanceOf(StartError);
    await expect(p).rejects.toThrow('Aborting because of error 503 for http://x.test/ (0 bytes)');
    const ok = await runEngine(noopEngineSpec({ threads: 3, qps: 0, durationNs: 0.2 * S, allowInitialErrors: true }, { ...noop, delayMs: 1 }));
    expect(ok.duration.counter.count).toBeGreaterThan(0);
  });

  it('sequential warmup runs one thread after another across workers; parallel overlaps', async () => {
    const o = { threads: 4, qps: 0, exactly: 0, durationNs: 0.1 * S, workers: 2 };
    const seq = snaps(await runEngine(noopEngineSpec({ ...o, sequentialWarmup: true }, { warmupDelayMs: 30, delayMs: 1 })));
    for (let i = 1; i < 4; i++) {
      const prevEnd = (seq[i - 1]?.warmupTimes[0] as [number, number])[1];
      const start = (seq[i]?.warmupTimes[0] as [number, number])[0];
      expect(start).toBeGreaterThanOrEqual(prevEnd);
    }
    const par = snaps(await runEngine(noopEngineSpec(o, { warmupDelayMs: 30, delayMs: 1 })));
    const latestStart = Math.max(...par.map((s) => (s.warmupTimes[0] as [number, number])[0]));
    const earliestEnd = Math.min(...par.map((s) => (s.warmupTimes[0] as [number, number])[1]));
    expect(latestStart).toBeLessThan(earliestEnd);
  });
});

describe('stopping', () => {
  it('-abort-on stops every thread in every worker', async () => {
    // only T000 (worker 0) sees the 503: worker 1's threads must be stopped through main
    const r = await runEngine(
      noopEngineSpec({ threads: 4, qps: 0, durationNs: 3 * S, abortOn: 503, workers: 2 }, { failEvery: 20, failThreads: [0], delayMs: 1 }),
    );
    expect(r.abortedOn).toBe(503);
    expect(r.stopReason).toBe('abort-on');
    expect(r.interrupted).toBe(true);
    expect(r.codes['503']).toBe(1);
    expect(r.threads[0]?.calls).toBe(20);
    expect(r.actualDurationNs / S).toBeLessThan(1);
    for (const t of r.threads) expect(t.calls).toBeLessThan(100);
    expect(r.requestedDuration).toBe('3s');
  });

  it('-abort-on -1 (socket error)', async () => {
    const r = await runEngine(noopEngineSpec({ threads: 2, qps: 0, durationNs: 0, abortOn: -1 }, { failEvery: 5, failCode: -1 }));
    expect(r.abortedOn).toBe(-1);
    expect(r.codes['-1']).toBeGreaterThanOrEqual(1);
  });

  it('graceful stop halfway through a -t 0 run returns complete results', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const r = await runEngine(noopEngineSpec({ threads: 2, qps: 100, durationNs: 0, workers: 2 }, {}, [], { signal: ac.signal }));
    expect(r.interrupted).toBe(true);
    expect(r.stopReason).toBe('stopped');
    const calls = r.duration.counter.count;
    expect(calls).toBeGreaterThan(25);
    expect(calls).toBeLessThan(80);
    expect(r.threads.reduce((a, t) => a + t.calls, 0)).toBe(calls);
    expect(snaps(r).reduce((a, s) => a + s.calls, 0)).toBe(calls);
    expect(r.sleep.counter.count).toBe(calls); // an interrupted -t 0 run records one sleep per call
    expect(r.requestedDuration).toBe('until stop');
  });

  it('forced stop while a call hangs returns promptly', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 200);
    const r = await runEngine(noopEngineSpec({ threads: 2, qps: 0, exactly: 100 }, { hangOnCall: 3 }, [], { forceSignal: ac.signal }));
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(r.stopReason).toBe('forced');
    expect(r.duration.counter.count).toBe(4); // the hung calls are discarded
    expect(snaps(r).every((s) => s.aborted >= 1)).toBe(true);
    expect(r.requestedDuration).toBe('exactly 100 calls, interrupted after 4');
  });

  it('forced stop during a slow warmup returns promptly without running', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 100);
    const r = await runEngine(noopEngineSpec({ threads: 2, qps: 0, durationNs: S }, { warmupDelayMs: 5000 }, [], { forceSignal: ac.signal }));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.stopReason).toBe('forced');
    expect(r.duration.counter.count).toBe(0);
  });

  it('a stop before the start skips the run', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await runEngine(noopEngineSpec({ threads: 2, qps: 0, durationNs: S }, {}, [], { signal: ac.signal }));
    expect(r.interrupted).toBe(true);
    expect(r.duration.counter.count).toBe(0);
  });

  it('a worker crash rejects with its message instead of hanging', async () => {
    const p = runEngine(noopEngineSpec({ threads: 2, qps: 0, durationNs: 0, workers: 2 }, { crashOnCall: 5 }));
    await expect(p).rejects.toThrow(/engine worker 0 crashed: noop runnable crash on call 5/);
  });

  it('a module without createRunnable rejects', async () => {
    const p = runEngine({ ...noopEngineSpec({ threads: 1, qps: 0, exactly: 1 }, {}), runnableUrl: new URL('data:text/javascript,export const x = 1;') });
    await expect(p).rejects.toThrow(/does not export createRunnable/);
  });
});

describe('paced options', () => {
  it('-nocatchup skips slots instead of bursting', async () => {
    const lines: string[] = [];
    const r = await runEngine(noopEngineSpec({ threads: 1, qps: 100, durationNs: 0.6 * S, noCatchUp: true }, { delayMs: 25 }, lines));
    const calls = r.duration.counter.count;
    expect(calls).toBeGreaterThan(8);
    expect(calls).toBeLessThan(40);
    expect(r.sleep.counter.min).toBeGreaterThanOrEqual(0);
    expect(r.sleep.counter.count).toBeLessThanOrEqual(calls);
    expect(lines.some((l) => l.includes('warning only did'))).toBe(false);
  });

  it('-uniform staggers thread starts by t/Q', async () => {
    const o = { threads: 4, qps: 20, exactly: 8, durationNs: 0, workers: 2 };
    const firstCalls = (r: EngineResults): number[] => snaps(r).map((s) => (s.callTimes[0] as number) - r.startEpochMs);
    const uni = firstCalls(await runEngine(noopEngineSpec({ ...o, uniform: true }, { recordTimes: 4 })));
    for (let t = 1; t < 4; t++) {
      const gap = (uni[t] as number) - (uni[t - 1] as number);
      expect(gap).toBeGreaterThan(35);
      expect(gap).toBeLessThan(65);
    }
    const flat = firstCalls(await runEngine(noopEngineSpec(o, { recordTimes: 4 })));
    expect(Math.max(...flat) - Math.min(...flat)).toBeLessThan(30);
  });
});
