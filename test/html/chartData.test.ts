import { describe, expect, it } from 'vitest';
import {
  PERCENTILE_X,
  codesChart,
  histogramChart,
  latencyAt,
  percentileChart,
  percentileCurve,
  lastResolvedPercentile,
  percentileOfX,
  percentileRatioChart,
  qpsChart,
  sortedCodes,
} from '../../src/html/chartData.js';
import { escapeHtml, jsonForScript, slug } from '../../src/html/escape.js';
import { expectedRange } from '../../src/html/gauge.js';
import { compareRows, formatCompareText, resultSummary } from '../../src/html/summary.js';
import { parseFortioJson } from '../../src/report/fortioJson.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { calcPercentile, exportHistogram, newFortioHistogram, recordValue } from '../../src/stats/fortioHistogram.js';
import { encodeHdr, newHdr, recordNs } from '../../src/stats/hdr.js';
import { readFileSync } from 'node:fs';

function result(latencies: number[], codes: Record<string, number>, hdr = true, extra: Record<string, unknown> = {}): FortioResult {
  const h = newFortioHistogram(0, 0.001);
  const hd = newHdr();
  for (const s of latencies) {
    recordValue(h, s);
    recordNs(hd, s * 1e9);
  }
  return parseFortioJson(
    JSON.stringify({
      DurationHistogram: exportHistogram(h),
      RetCodes: codes,
      ActualDuration: 1e9,
      ActualQPS: latencies.length,
      Tripbench: { Version: 'x', ...(hdr ? { DurationHdr: encodeHdr(hd) } : {}), ...extra },
    }),
  );
}

const sample = (name: string): FortioResult =>
  parseFortioJson(readFileSync(new URL(`../report/fixtures/fortio-1.33/${name}.json`, import.meta.url), 'utf8'), name);

describe('histogramChart', () => {
  it("keeps fortio's buckets as steps on their edges, with zero in the gaps", () => {
    const r = sample('fortio-load-p-custom-503');
    const c = histogramChart([{ label: 'all', color: '#000', data: r.DurationHistogram }], 'calls', { cumulative: true });
    expect(c).toBeDefined();
    const chart = c!;
    const data = r.DurationHistogram.Data!;
    // every bucket starts on an x with its count; x is ascending
    for (const b of data) {
      const i = chart.x.findIndex((x) => Math.abs(x - b.Start * 1000) < 1e-9);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(chart.series[0]!.values[i]).toBe(b.Count);
    }
    expect([...chart.x].sort((a, b) => a - b)).toEqual(chart.x);
    // the 4..7 ms gap has no bucket
    const gap = chart.x.findIndex((x) => Math.abs(x - 4) < 1e-9);
    expect(chart.series[0]!.values[gap]).toBe(0);
    expect(chart.series[0]!.values.at(-1)).toBe(0);
    // cumulative %: 0 at the start, 100 at the end, fortio's percent at each bucket end
    expect(chart.cumulative![0]).toBe(0);
    expect(chart.cumulative!.at(-1)).toBeCloseTo(100, 9);
    for (const b of data) {
      const i = chart.x.findIndex((x) => Math.abs(x - b.End * 1000) < 1e-9);
      expect(chart.cumulative![i]).toBeCloseTo(b.Percent, 6);
    }
  });

  it('widens a bucket of one value so it shows, and is undefined without data', () => {
    const one = result([0.0042], { '200': 1 });
    const c = histogramChart([{ label: 'one', color: '#000', data: one.DurationHistogram }], 'calls')!;
    expect(c.x).toHaveLength(2);
    expect(c.x[1]! - c.x[0]!).toBeGreaterThan(0);
    expect(c.x[0]).toBeLessThanOrEqual(4.2);
    expect(c.x[1]).toBeGreaterThanOrEqual(4.2);
    expect(c.series[0]!.values).toEqual([1, 0]);
    const empty = result([], {});
    expect(histogramChart([{ label: 'none', color: '#000', data: empty.DurationHistogram }], 'calls')).toBeUndefined();
  });

  it('normalises overlaid runs to % and switches to a log axis over two decades', () => {
    const a = result([0.001, 0.002, 0.002, 0.003], { '200': 4 });
    const b = result([0.001, 0.5], { '200': 2 });
    const c = histogramChart(
      [
        { label: 'a', color: '#000', data: a.DurationHistogram },
        { label: 'b', color: '#111', data: b.DurationHistogram },
      ],
      '%',
    )!;
    // each bucket holds its share of its own run at every x inside it, b's edges splitting a's buckets
    for (const [k, r] of [a, b].entries()) {
      for (const bucket of r.DurationHistogram.Data!.filter((d) => d.End > d.Start)) {
        const i = c.x.findIndex((x) => Math.abs(x - bucket.Start * 1000) < 1e-9);
        expect(c.series[k]!.values[i]).toBeCloseTo((100 * bucket.Count) / r.DurationHistogram.Count, 9);
      }
    }
    // a's first bucket (every value 1 ms, on an edge) is widened to the left, not over (1, 2] ms
    const at1 = c.x.indexOf(1);
    expect(c.series[0]!.values[at1]).toBeCloseTo(50, 9);
    expect(c.series[0]!.values[at1 - 1]).toBeCloseTo(25, 9);
    expect(c.logX).toBe(true);
    expect(c.cumulative).toBeUndefined();
  });
});

describe('percentile curves', () => {
  it('spans p0 to p99.99 on a log grid shared by every run', () => {
    expect(PERCENTILE_X[0]).toBe(1);
    expect(PERCENTILE_X.at(-1)).toBeCloseTo(10_000, 6);
    expect(percentileOfX(10)).toBeCloseTo(90, 9);
    expect(percentileOfX(10_000)).toBeCloseTo(99.99, 9);
  });

  it('reads the HDR histogram when there is one, else interpolates in the buckets', () => {
    const lat = Array.from({ length: 1000 }, (_, i) => 0.001 + i * 0.00001);
    const withHdr = percentileCurve(result(lat, { '200': 1000 }))!;
    expect(withHdr.source).toBe('hdr');
    // p0 ≈ 1 ms, p99.9 ≈ 11 ms, monotone; 1000 calls resolve no further than p99.9 (x = 1000)
    expect(withHdr.calls).toBe(1000);
    expect(withHdr.values[0]).toBeCloseTo(1, 2);
    const drawn = withHdr.values.filter((v): v is number => v !== null);
    expect(PERCENTILE_X[drawn.length - 1]).toBeCloseTo(1000, 6);
    expect(drawn.at(-1)).toBeCloseTo(10.99, 1);
    expect(withHdr.values.slice(drawn.length).every((v) => v === null)).toBe(true);
    for (let i = 1; i < drawn.length; i++) expect(drawn[i]!).toBeGreaterThanOrEqual(drawn[i - 1]!);

    const old = sample('fortio-load-multibucket-c4-n200');
    const fallback = percentileCurve(old)!;
    expect(fallback.source).toBe('histogram');
    const i90 = PERCENTILE_X.findIndex((x) => Math.abs(x - 10) < 1e-9);
    expect(fallback.values[i90]).toBeCloseTo(calcPercentile(old.DurationHistogram, 90) * 1000, 9);
  });

  it('falls back to the buckets when the HDR string is damaged, and gives nothing without calls', () => {
    const r = result([0.002, 0.004], { '200': 2 });
    r.Tripbench!.DurationHdr = 'not base64 at all!';
    expect(latencyAt(r, [50])?.source).toBe('histogram');
    expect(percentileCurve(result([], {}))).toBeUndefined();
  });

  it('ends each curve, and the x axis, where its calls stop resolving percentiles: about p(1 − 1/n)', () => {
    for (const [n, end] of [
      [20, 94.75],
      [30, 96.37],
      [200, 99.48],
      [12_000, 99.99],
    ] as const) {
      const c = percentileCurve(result(Array.from({ length: n }, (_, i) => 0.001 + i * 1e-5), { '200': n }))!;
      const last = c.values.findLastIndex((v) => v !== null);
      expect(percentileOfX(PERCENTILE_X[last]!), `n = ${n}`).toBeCloseTo(end, 1);
      expect(lastResolvedPercentile(n)).toBeCloseTo(end, 1);
      // x never beyond n: a percentile above p(1 − 1/n) would be the largest call repeated
      expect(PERCENTILE_X[last]!).toBeLessThanOrEqual(n);
      const chart = percentileChart([{ label: 'r', color: '#000', curve: c }])!;
      expect(chart.xMax).toBe(Math.max(10, PERCENTILE_X[last]!));
    }
    // overlaid runs: the axis goes as far as the larger run; the smaller one stops on its own
    const small = percentileCurve(result([0.001, 0.002], { '200': 2 }))!;
    const big = percentileCurve(result(Array.from({ length: 300 }, () => 0.001), { '200': 300 }))!;
    const both = percentileChart([
      { label: 's', color: '#000', curve: small },
      { label: 'b', color: '#111', curve: big },
    ])!;
    expect(percentileOfX(both.xMax)).toBeCloseTo(99.64, 1);
    expect(both.series[0]!.values.filter((v) => v !== null).length).toBeLessThan(10);
    // a single call is one point at p0, on an axis that still reaches p90
    const one = percentileChart([{ label: 'one', color: '#000', curve: percentileCurve(result([0.003], { '200': 1 }))! }])!;
    const pts = one.series[0]!.values.filter((v) => v !== null);
    expect(pts).toHaveLength(1);
    expect(pts[0]).toBeCloseTo(3, 2);
    expect(one.xMax).toBe(10);
  });

  it('uses a log latency axis when the tail is 100× the head, and divides runs for the ratio chart', () => {
    const fast = percentileCurve(result([...Array.from({ length: 98 }, () => 0.001), 0.002, 0.002], { '200': 100 }))!;
    const stalled = percentileCurve(result([...Array.from({ length: 98 }, () => 0.001), 2, 2], { '200': 100 }))!;
    expect(percentileChart([{ label: 'f', color: '#000', curve: fast }])!.logY).toBe(false);
    expect(percentileChart([{ label: 's', color: '#000', curve: stalled }])!.logY).toBe(true);
    const ratio = percentileRatioChart([
      { label: 'f', color: '#000', curve: fast },
      { label: 's', color: '#111', curve: stalled },
    ])!;
    expect(ratio.unit).toBe('×');
    expect(ratio.series[0]!.label).toBe('s / f');
    expect(ratio.series[0]!.values[0]).toBeCloseTo(1, 2);
    expect(ratio.series[0]!.values.findLast((v) => v !== null)!).toBeGreaterThan(500);
    expect(ratio.series[0]!.values.at(-1)).toBeNull();
  });
});

describe('codes and qps', () => {
  it('orders -1 first, then numerically, and drops zero counts', () => {
    expect(sortedCodes({ '503': 1, '200': 2, '-1': 3, x: 1 })).toEqual(['-1', '200', '503', 'x']);
    const c = codesChart(result([0.001], { '503': 4, '200': 6, '429': 0 }))!;
    expect(c.codes).toEqual(['200', '503']);
    expect(c.counts).toEqual([6, 4]);
    expect(c.total).toBe(10);
    expect(new Set(c.colors).size).toBe(2);
    expect(codesChart(result([], {}))).toBeUndefined();
  });

  it('draws qps over time only when the run recorded it, dropping malformed points', () => {
    expect(qpsChart(result([0.001], { '200': 1 }))).toBeUndefined();
    const r = result([0.001], { '200': 1 }, true, { QpsOverTime: [{ t: 2, qps: 9 }, { t: 1, qps: 10 }, { t: 'x', qps: 1 }, null] });
    expect(qpsChart(r)).toEqual({ kind: 'qps', t: [1, 2], qps: [10, 9] });
  });
});

describe('expectedRange', () => {
  const r = (expected: string) => expectedRange({ kind: 'ratio', expected });
  it('reads back the accepted range of a ratio check', () => {
    expect(r('in [0.25, 1]')).toEqual([0.25, 1]);
    expect(r('>= 0.95')).toEqual([0.95, 1]);
    expect(r('< 0.4')).toEqual([0, 0.4]);
    expect(r('== 0')).toEqual([0, 0]);
    expect(r('== code 503 ratio (0.15)')).toEqual([0.15, 0.15]);
    expect(r('== code 503 ratio')).toBeUndefined();
    expect(expectedRange({ kind: 'count', expected: '>= 1' })).toBeUndefined();
  });

  it('prefers the numeric bounds a result carries over its text', () => {
    const b = (bounds: { lo?: number; hi?: number }) => expectedRange({ kind: 'ratio', expected: 'whatever', bounds: { ...bounds, loInclusive: true, hiInclusive: true } });
    expect(b({ lo: 0.25, hi: 1 })).toEqual([0.25, 1]);
    expect(b({ hi: 0.4 })).toEqual([0, 0.4]);
    expect(b({ lo: 0.95 })).toEqual([0.95, 1]);
    expect(b({ lo: 0.15, hi: 0.15 })).toEqual([0.15, 0.15]);
  });
});

describe('summary and comparison', () => {
  it('summarises calls, codes and latency', () => {
    const s = resultSummary(result([0.001, 0.003], { '200': 1, '503': 1 }));
    expect(s.calls).toBe(2);
    expect(s.codes).toEqual([
      { code: '200', count: 1, ratio: 0.5 },
      { code: '503', count: 1, ratio: 0.5 },
    ]);
    expect(s.latency?.source).toBe('hdr');
    expect(resultSummary(result([], {})).latency).toBeUndefined();
  });

  it('compares each run with the first: × for magnitudes, difference for code ratios', () => {
    const a = result([0.001, 0.001], { '200': 2 });
    const b = result([0.002, 0.002, 0.002, 0.002], { '200': 3, '503': 1 });
    const rows = compareRows([a, b]);
    const by = (m: string) => rows.find((r) => r.metric === m)!;
    expect(by('calls')).toEqual({ metric: 'calls', values: ['2', '4'], change: ['×2'] });
    expect(by('p50 (HDR)').change[0]).toMatch(/^×2(\.\d+)?$/);
    expect(by('code 503 ratio').values).toEqual(['0.0 (0/2)', '0.25 (1/4)']);
    // 0/2 → 1/4 is no evidence of a change: the 95 % interval of the difference holds 0
    expect(by('code 503 ratio').change[0]).toMatch(/^\+0\.250 \[−0\.\d{3}, \+0\.\d{3}\]$/);
    const many = compareRows([result([0.001], { '200': 40 }), result([0.001], { '200': 20, '503': 20 })]);
    expect(many.find((r) => r.metric === 'code 503 ratio')?.change).toEqual(['+0.500 [+0.328, +0.648] changed']);
    const text = formatCompareText(['a', 'b'], rows);
    expect(text.split('\n')[0]).toMatch(/^\s+a\s+b\s+change$/);
    expect(text).toContain('code 503 ratio');
  });
});

describe('escaping', () => {
  it('escapes HTML and keeps script blocks closed', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const j = jsonForScript({ s: '</script><!-- \u2028 &' });
    expect(j).not.toMatch(/<|>|&|\u2028/);
    expect(JSON.parse(j)).toEqual({ s: '</script><!-- \u2028 &' });
    expect(slug('sweep.c3 / x')).toBe('sweep-c3-x');
    expect(slug('///')).toBe('x');
  });
});
