/**
 * Engine lifecycle with real workers: warmup, stop signals, -abort-on, crashes, and the
 * paced-mode options that change timing (-nocatchup, -uniform).
 */
import { describe, expect, it } from 'vitest';
import { type EngineProgress, type EngineResults, runEngine } from '../../src/engine/index.js';
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
    // long enough that the second worker starts its warmups before the first worker's end on a busy machine
    const par = snaps(await runEngine(noopEngineSpec(o, { warmupDelayMs: 400, delayMs: 1 })));
    const latestStart = Math.max(...par.map((s) => (s.warmupTimes[0] as [number, number])[0]));
    const earliestEnd = Math.min(...par.map((s) => (s.warmupTimes[0] as [number, number])[1]));
    expect(latestStart).toBeLessThan(earliestEnd);
  });
});

describe('stopping', () => {
  it('-abort-on stops every thread in every worker', async () => {
    // only T000 (worker 0) sees the 503: worker 1's threads must be stopped through main
    const r = await runEngine(
      noopEngineSpec({ threads: 4, qps: 0, durationNs: 20 * S, abortOn: 503, workers: 2 }, { failEvery: 20, failThreads: [0], delayMs: 1 }),
    );
    expect(r.abortedOn).toBe(503);
    expect(r.stopReason).toBe('abort-on');
    expect(r.interrupted).toBe(true);
    expect(r.codes['503']).toBe(1);
    expect(r.threads[0]?.calls).toBe(20);
    // every thread stopped soon after T000's 20th call, far short of the 20 s asked for
    expect(r.actualDurationNs / S).toBeLessThan(10);
    for (const t of r.threads) expect(t.elapsedNs / S).toBeLessThan(10);
    expect(r.requestedDuration).toBe('20s');
  });

  it('-abort-on -1 (socket error)', async () => {
    const r = await runEngine(noopEngineSpec({ threads: 2, qps: 0, durationNs: 0, abortOn: -1 }, { failEvery: 5, failCode: -1 }));
    expect(r.abortedOn).toBe(-1);
    expect(r.codes['-1']).toBeGreaterThanOrEqual(1);
  });

  it('graceful stop halfway through a -t 0 run returns complete results', async () => {
    const ac = new AbortController();
    let atStop = 0;
    // stop once the workers have reported calls, however long they took to start
    const onProgress = (p: EngineProgress): void => {
      if (p.calls >= 25 && !ac.signal.aborted) {
        atStop = p.calls;
        ac.abort();
      }
    };
    const r = await runEngine(
      noopEngineSpec({ threads: 2, qps: 100, durationNs: 0, workers: 2 }, {}, [], { signal: ac.signal, onProgress, progressIntervalMs: 50 }),
    );
    expect(r.interrupted).toBe(true);
    expect(r.stopReason).toBe('stopped');
    const calls = r.duration.counter.count;
    expect(calls).toBeGreaterThanOrEqual(atStop);
    expect(atStop).toBeGreaterThanOrEqual(25);
    // threads end after their current call: at 100 qps, 200 more calls would be 2 s of ignoring the stop
    expect(calls).toBeLessThan(atStop + 200);
    expect(r.threads.reduce((a, t) => a + t.calls, 0)).toBe(calls);
    expect(snaps(r).reduce((a, s) => a + s.calls, 0)).toBe(calls);
    expect(r.sleep.counter.count).toBe(calls); // an interrupted -t 0 run records one sleep per call
    expect(r.requestedDuration).toBe('until stop');
  });

  it('forced stop while a call hangs returns promptly', async () => {
    const ac = new AbortController();
    let t0 = 0;
    // force the stop once both threads made their 2 calls and hang on the third
    const onProgress = (p: EngineProgress): void => {
      if (p.calls >= 4 && !ac.signal.aborted) {
        t0 = performance.now();
        ac.abort();
      }
    };
    const r = await runEngine(
      noopEngineSpec({ threads: 2, qps: 0, exactly: 100 }, { hangOnCall: 3 }, [], { forceSignal: ac.signal, onProgress, progressIntervalMs: 50 }),
    );
    expect(t0).toBeGreaterThan(0);
    // the hung calls are aborted, not waited for (they never end on their own)
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(r.stopReason).toBe('forced');
    expect(r.duration.counter.count).toBe(4); // the hung calls are discarded
    expect(snaps(r).every((s) => s.aborted >= 1)).toBe(true);
    expect(r.requestedDuration).toBe('exactly 100 calls, interrupted after 4');
  });

  it('forced stop during a slow warmup returns promptly without running', async () => {
    const ac = new AbortController();
    let t0 = 0;
    setTimeout(() => {
      t0 = performance.now();
      ac.abort();
    }, 300);
    const r = await runEngine(noopEngineSpec({ threads: 2, qps: 0, durationNs: S }, { warmupDelayMs: 20_000 }, [], { forceSignal: ac.signal }));
    // the 20 s warmups are abandoned: within the engine's 3 s bound for wedged workers, plus slack
    expect(performance.now() - t0).toBeLessThan(6000);
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
    // at 25 ms a call, at most 24 fit in 0.6 s; a loaded machine makes fewer, never a burst
    expect(calls).toBeGreaterThan(2);
    expect(calls).toBeLessThanOrEqual(24);
    expect(r.sleep.counter.min).toBeGreaterThanOrEqual(0);
    expect(r.sleep.counter.count).toBeLessThanOrEqual(calls);
    // Slots skipped still count as slots: a thread late for its last slot on a busy machine may say
    // "only did K out of 60", but K is the slot the clock reached (about 60), not the calls it made.
    const slotsReached = lines.map((l) => /warning only did (\d+) out of 60 /.exec(l)?.[1]).filter((k) => k !== undefined);
    for (const k of slotsReached) expect(Number(k)).toBeGreaterThan(40);
  });

  it('-uniform staggers thread starts by t/Q', async () => {
    // t/Q = 200 ms: thread t's first call is never before t × 200 ms, and a busy machine's timer
    // lateness (well under 300 ms) cannot fake the stagger: without it, T003 would start before 300 ms
    const o = { threads: 4, qps: 5, exactly: 8, durationNs: 0, workers: 2 };
    const firstCalls = (r: EngineResults): number[] => snaps(r).map((s) => (s.callTimes[0] as number) - r.startEpochMs);
    const uni = firstCalls(await runEngine(noopEngineSpec({ ...o, uniform: true }, { recordTimes: 1 })));
    expect(uni).toHaveLength(4);
    for (let t = 0; t < 4; t++) {
      expect(uni[t]).toBeGreaterThanOrEqual(200 * t - 2);
      expect(uni[t]).toBeLessThan(200 * t + 300);
    }
    const flat = firstCalls(await runEngine(noopEngineSpec(o, { recordTimes: 1 })));
    expect(flat).toHaveLength(4);
    expect(Math.max(...flat)).toBeLessThan(300);
  });
});
