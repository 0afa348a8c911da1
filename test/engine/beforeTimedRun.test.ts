/**
 * The engine's beforeTimedRun hook: the instant between the warmup and the timed run where a
 * caller reads outside counters (Envoy's) so they cover the timed calls only.
 */
import { describe, expect, it } from 'vitest';
import { runEngine } from '../../src/engine/index.js';
import type { NoopSnapshot } from '../../src/engine/noopRunnable.js';
import { noopEngineSpec } from '../helpers/noopEngine.js';

const S = 1e9;

describe('beforeTimedRun', () => {
  it('is awaited after every warmup call ended and before the first timed call', async () => {
    let hookAt = Number.NaN;
    let hookDoneAt = Number.NaN;
    const r = await runEngine(
      noopEngineSpec({ threads: 3, qps: 0, durationNs: 0.1 * S, workers: 2 }, { warmupDelayMs: 5, recordTimes: 1 }, undefined, {
        beforeTimedRun: async () => {
          hookAt = performance.timeOrigin + performance.now();
          // a slow reader (an admin endpoint far away): the timed run must wait for it
          await new Promise((resolve) => setTimeout(resolve, 50));
          hookDoneAt = performance.timeOrigin + performance.now();
        },
      }),
    );
    const snaps = r.threads.map((t) => t.protocol as NoopSnapshot);
    expect(r.warmupCalls).toBe(3);
    const warmupEnd = Math.max(...snaps.flatMap((s) => s.warmupTimes.map(([, end]) => end)));
    const firstCall = Math.min(...snaps.flatMap((s) => s.callTimes));
    expect(hookAt).toBeGreaterThanOrEqual(warmupEnd);
    expect(firstCall).toBeGreaterThanOrEqual(hookDoneAt);
  });

  it('runs without warmup too (-n), and a rejection fails the run', async () => {
    let called = 0;
    const r = await runEngine(noopEngineSpec({ threads: 2, qps: 0, exactly: 4 }, {}, undefined, { beforeTimedRun: async () => void called++ }));
    expect(called).toBe(1);
    expect(r.duration.counter.count).toBe(4);
    const failing = runEngine(
      noopEngineSpec({ threads: 2, qps: 0, exactly: 4 }, {}, undefined, {
        beforeTimedRun: () => Promise.reject(new Error('stats endpoint gone')),
      }),
    );
    await expect(failing).rejects.toThrow('stats endpoint gone');
  });
});
