import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { neededPercentiles, observe } from '../../src/scenario/observe.js';
import { parseExpect } from '../../src/scenario/expectParse.js';
import { calcPercentile } from '../../src/stats/fortioHistogram.js';
import { encodeHdr, newHdr, recordNs } from '../../src/stats/hdr.js';

function sample(name: string): FortioResult {
  return JSON.parse(readFileSync(new URL(`./fixtures/fortio/${name}.json`, import.meta.url), 'utf8')) as FortioResult;
}

function withHdr(r: FortioResult, valuesSec: readonly number[]): FortioResult {
  const h = newHdr();
  for (const v of valuesSec) recordNs(h, v * 1e9);
  const out = structuredClone(r);
  out.Tripbench = { ...(out.Tripbench ?? ({} as NonNullable<FortioResult['Tripbench']>)), DurationHdr: encodeHdr(h) };
  // the calls the HDR holds are the result's calls: same extremes
  out.DurationHistogram = { ...out.DurationHistogram, Min: Math.min(...valuesSec), Max: Math.max(...valuesSec) };
  h.destroy();
  return out;
}

describe('observe one result', () => {
  const r = sample('fortio-load-p-custom-503'); // -c 3 -n 90 -p 10,50,99.99, 16 × 503

  it('takes counts, sockets and qps from fortio JSON', () => {
    const o = observe(r);
    expect(o).toMatchObject({ calls: 90, batches: 1, codes: { '200': 74, '503': 16 }, sockets: 19, qps: r.ActualQPS });
    expect(o.duration).toBeCloseTo(r.ActualDuration / 1e9, 12);
    expect(o.latency).toMatchObject({ min: r.DurationHistogram.Min, max: r.DurationHistogram.Max });
    expect(o.latency?.avg).toBeCloseTo(r.DurationHistogram.Avg, 15);
  });

  it("without HDR data (fortio's own JSON) takes every percentile from fortio's buckets, as fortio listed them", () => {
    const o = observe(r, { percentiles: [50, 90, 99.99] });
    const listed = r.DurationHistogram.Percentiles ?? [];
    expect(o.latency?.percentiles['50']).toBeCloseTo(listed.find((p) => p.Percentile === 50)?.Value as number, 12);
    expect(o.latency?.percentiles['99.99']).toBeCloseTo(listed.find((p) => p.Percentile === 99.99)?.Value as number, 12);
    expect(o.latency?.percentiles['90']).toBe(calcPercentile(r.DurationHistogram, 90));
    expect(o.latency?.percentileSource).toEqual({ '50': 'histogram', '90': 'histogram', '99.99': 'histogram' });
  });

  it('uses the HDR histogram when the result has one', () => {
    const values = Array.from({ length: 100 }, (_, i) => (i + 1) / 1000); // 1..100 ms
    const o = observe(withHdr(r, values), { percentiles: [90] });
    expect(o.latency?.percentileSource['90']).toBe('hdr');
    expect(o.latency?.percentiles['90']).toBeCloseTo(0.09, 4);
  });

  it('has no latency and no ratios to speak of without calls', () => {
    const empty = structuredClone(r);
    empty.RetCodes = {};
    empty.DurationHistogram = { Count: 0, Min: 0, Max: 0, Sum: 0, Avg: 0, StdDev: 0, Data: null };
    const o = observe(empty, { percentiles: [99] });
    expect(o.calls).toBe(0);
    expect(o.latency).toBeUndefined();
  });

  it('passes Envoy deltas through', () => {
    const o = observe(r, { envoy: { cluster: 'c', deltas: { 'cluster.c.upstream_rq_pending_overflow': 16 } } });
    expect(o.envoy).toEqual({ cluster: 'c', deltas: { 'cluster.c.upstream_rq_pending_overflow': 16 } });
  });

  it('lists the percentiles expectations ask for', () => {
    const es = parseExpect({ latency: { p50: '< 1s', 'p99.9': '< 1s', max: '< 1s' } }).expectations;
    expect(neededPercentiles(es)).toEqual([50, 99.9]);
  });
});

describe('observe pooled batches', () => {
  const m = sample('fortio-load-multibucket-c4-n200');

  it('adds counts and recomputes qps and percentiles', () => {
    const o = observe([m, m], { percentiles: [50, 90] });
    expect(o).toMatchObject({ calls: 400, batches: 2, codes: { '200': 400 }, sockets: 8 });
    expect(o.qps).toBeCloseTo(400 / ((2 * m.ActualDuration) / 1e9), 9);
    // the same histogram twice has the same percentiles as once
    expect(o.latency?.percentiles['50']).toBeCloseTo(calcPercentile(m.DurationHistogram, 50), 12);
    expect(o.latency?.percentiles['90']).toBeCloseTo(calcPercentile(m.DurationHistogram, 90), 12);
    expect(o.latency?.percentileSource['50']).toBe('histogram');
  });

  it('pools different batches: min of mins, max of maxes, weighted average', () => {
    const a = sample('fortio-load-p-custom-503');
    const b = sample('fortio-load-timeouts-mixed');
    const o = observe([a, b]);
    expect(o.codes).toEqual({ '200': 104, '503': 21, '-1': 5 });
    expect(o.calls).toBe(130);
    expect(o.latency?.min).toBe(Math.min(a.DurationHistogram.Min, b.DurationHistogram.Min));
    expect(o.latency?.max).toBe(Math.max(a.DurationHistogram.Max, b.DurationHistogram.Max));
    expect(o.latency?.avg).toBeCloseTo((a.DurationHistogram.Sum + b.DurationHistogram.Sum) / 130, 12);
  });

  it('prefers merged HDR histograms when every batch has one', () => {
    const lo = withHdr(m, Array.from({ length: 100 }, () => 0.001));
    const hi = withHdr(m, Array.from({ length: 100 }, () => 0.1));
    const o = observe([lo, hi], { percentiles: [25, 75] });
    expect(o.latency?.percentileSource).toEqual({ '25': 'hdr', '75': 'hdr' });
    expect(o.latency?.percentiles['25']).toBeCloseTo(0.001, 5);
    expect(o.latency?.percentiles['75']).toBeCloseTo(0.1, 3);
  });

  it('says why pooled percentiles are missing when the resolution is unknown', () => {
    const fine = sample('fortio-load-r0.0001'); // -r 0.0001, which fortio 1.33 JSON does not record
    const o = observe([fine, fine], { percentiles: [50] });
    expect(o.latency?.percentiles['50']).toBeUndefined();
    expect(o.latencyNote).toMatch(/resolution/);
    const told = { ...fine, Resolution: 0.0001 } as FortioResult;
    const o2 = observe([told, told], { percentiles: [50] });
    expect(o2.latency?.percentiles['50']).toBeCloseTo(calcPercentile(fine.DurationHistogram, 50), 12);
  });
});
