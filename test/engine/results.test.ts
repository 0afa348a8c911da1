import { describe, expect, it } from 'vitest';
import { exportHistogram, newFortioHistogram, recordValue } from '../../src/stats/fortioHistogram.js';
import { decodeHdr, encodeHdr, newHdr, recordNs } from '../../src/stats/hdr.js';
import { type WorkerPart, mergeWorkerParts } from '../../src/engine/results.js';

const PCTS = [50, 75, 90, 99, 99.9];

function lognormal(seed: number, n: number): number[] {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s + 1) / 2147483649;
  };
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
    out.push(Math.round(Math.exp(Math.log(2e6) + 0.8 * z))); // ns around 2 ms
  }
  return out;
}

function part(index: number, valuesNs: number[], codes: Array<[number, number]>): WorkerPart {
  const duration = newFortioHistogram(0, 0.001);
  const errors = newFortioHistogram(0, 0.001);
  const sleep = newFortioHistogram(-0.001, 0.001);
  const h = newHdr();
  const e = newHdr();
  for (const ns of valuesNs) {
    recordValue(duration, ns / 1e9);
    recordNs(h, ns);
  }
  return {
    index,
    threads: [{ id: index, calls: valuesNs.length, elapsedNs: 1e9, protocol: null }],
    duration,
    errors,
    sleep,
    durationHdr: encodeHdr(h),
    errorsHdr: encodeHdr(e),
    codes,
    endEpochMs: 1000 + index,
  };
}

describe('mergeWorkerParts', () => {
  it('merged percentiles (fortio export and HDR) equal one histogram fed all values', () => {
    const a = lognormal(1, 3000);
    const b = lognormal(2, 1700);
    const c = lognormal(3, 5);
    const merged = mergeWorkerParts(
      [part(1, b, [[503, 2], [200, 10]]), part(0, a, [[200, 5], [-1, 1]]), part(2, c, [])],
      {
        duration: newFortioHistogram(0, 0.001),
        errors: newFortioHistogram(0, 0.001),
        sleep: newFortioHistogram(-0.001, 0.001),
      },
    );
    const one = newFortioHistogram(0, 0.001);
    const oneHdr = newHdr();
    for (const ns of [...a, ...b, ...c]) {
      recordValue(one, ns / 1e9);
      recordNs(oneHdr, ns);
    }
    const got = exportHistogram(merged.duration, PCTS);
    const want = exportHistogram(one, PCTS);
    expect(got.Count).toBe(4705);
    expect(got.Data).toEqual(want.Data);
    expect(got.Percentiles).toEqual(want.Percentiles);
    expect([got.Min, got.Max]).toEqual([want.Min, want.Max]);
    expect(got.Sum).toBeCloseTo(want.Sum, 9);
    const mh = decodeHdr(merged.durationHdr ?? '');
    expect(mh.totalCount).toBe(4705);
    for (const p of PCTS) expect(mh.getValueAtPercentile(p)).toBe(oneHdr.getValueAtPercentile(p));
    expect(merged.codes).toEqual({ '-1': 1, '200': 15, '503': 2 });
    expect(merged.threads.map((t) => t.id)).toEqual([0, 1, 2]);
    expect(merged.workers.map((w) => [w.index, w.calls])).toEqual([
      [0, 3000],
      [1, 1700],
      [2, 5],
    ]);
    expect(merged.endEpochMs).toBe(1002);
  });
});
