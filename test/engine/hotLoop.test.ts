/** The max-rate hot loop (engine/hotLoop.ts): it spins only at -qps 0, and stops by itself. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { runEngine } from '../../src/engine/index.js';
import { hotLoopState, keepHot } from '../../src/engine/hotLoop.js';
import { noopEngineSpec } from '../helpers/noopEngine.js';

async function untilIdle(): Promise<void> {
  while (hotLoopState().spinning) await nextTurn();
}

describe('hot loop', () => {
  it('spins after a call event and stops on its own once calls stop', async () => {
    await untilIdle();
    const before = hotLoopState().starts;
    const t0 = performance.now();
    keepHot(t0);
    expect(hotLoopState()).toEqual({ spinning: true, starts: before + 1 });
    keepHot(performance.now()); // a second event while spinning starts no second spin
    expect(hotLoopState().starts).toBe(before + 1);
    await untilIdle();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1);
  });

  it('a max-rate run on this thread spins, a paced one never does', async () => {
    await untilIdle();
    const s0 = hotLoopState().starts;
    const paced = await runEngine(noopEngineSpec({ threads: 2, qps: 200, exactly: 6, workers: 1 }, { delayMs: 1 }, [], { inline: true }));
    expect(paced.duration.counter.count).toBe(6);
    expect(hotLoopState().starts).toBe(s0);
    const max = await runEngine(noopEngineSpec({ threads: 2, qps: 0, exactly: 6, workers: 1 }, { delayMs: 1 }, [], { inline: true }));
    expect(max.duration.counter.count).toBe(6);
    expect(hotLoopState().starts).toBeGreaterThan(s0);
    await untilIdle();
  });
});
