import { describe, expect, it } from 'vitest';
import { codeCount, evaluateExpectation, evaluateExpectations, notRunResults } from '../../src/scenario/expectEvaluate.js';
import { describeCondition, parseCondition, parseExpect } from '../../src/scenario/expectParse.js';
import type { Expectation, Metric, Policy } from '../../src/scenario/types.js';
import type { Observed } from '../../src/scenario/results.js';

const RATIO: Metric = { kind: 'ratio', code: '503' };
const COUNT: Metric = { kind: 'count', code: '503' };
const P99: Metric = { kind: 'percentile', p: 99 };
const QPS: Metric = { kind: 'qps' };
const ENVOY: Metric = { kind: 'envoy', stat: 'upstream_rq_pending_overflow' };

describe('parseCondition: the grammar', () => {
  it.each([
    [RATIO, 0, { kind: 'cmp', op: '==', value: 0 }],
    [RATIO, 1, { kind: 'cmp', op: '==', value: 1 }],
    [RATIO, [0.3, 0.7], { kind: 'range', lo: 0.3, hi: 0.7 }],
    [RATIO, '>= 0.95', { kind: 'cmp', op: '>=', value: 0.95 }],
    [RATIO, '<0.1', { kind: 'cmp', op: '<', value: 0.1 }],
    [RATIO, '  >  0 ', { kind: 'cmp', op: '>', value: 0 }],
    [RATIO, '== code 200 ratio', { kind: 'cmpRef', op: '==', ref: { ref: 'ratio', code: '200' } }],
    [COUNT, '>= 1', { kind: 'cmp', op: '>=', value: 1 }],
    [COUNT, [1, 5], { kind: 'range', lo: 1, hi: 5 }],
    [COUNT, '<= calls', { kind: 'cmpRef', op: '<=', ref: { ref: 'calls' } }],
    [ENVOY, '== code 503 count', { kind: 'cmpRef', op: '==', ref: { ref: 'count', code: '503' } }],
    [ENVOY, '> 0', { kind: 'cmp', op: '>', value: 0 }],
    [ENVOY, '== code 5xx count', { kind: 'cmpRef', op: '==', ref: { ref: 'count', code: '5xx' } }],
    [P99, '< 50ms', { kind: 'cmp', op: '<', value: 0.05 }],
    [P99, ['2.9s', '3.5s'], { kind: 'range', lo: 2.9, hi: 3.5 }],
    [P99, [0.5, '1s'], { kind: 'range', lo: 0.5, hi: 1 }],
    [P99, '> 0', { kind: 'cmp', op: '>', value: 0 }],
    [P99, '<= 300us', { kind: 'cmp', op: '<=', value: 0.0003 }],
    [P99, '< 1m', { kind: 'cmp', op: '<', value: 60 }],
    [QPS, '>= 100', { kind: 'cmp', op: '>=', value: 100 }],
    [QPS, 8, { kind: 'cmp', op: '==', value: 8 }],
  ] as [Metric, unknown, unknown][])('%o %j', (metric, raw, want) => {
    expect(parseCondition(raw, metric)).toEqual(want);
  });

  it.each([
    [RATIO, [0.7, 0.3], 'range min 0.7 > max 0.3'],
    [RATIO, 30, 'ratio 30 is outside [0, 1]'],
    [RATIO, '<= 1.5', 'ratio 1.5 is outside [0, 1]'],
    [RATIO, '<= 30%', 'write ratios as fractions'],
    [RATIO, [0, 1, 2], 'exactly 2 values'],
    [RATIO, -0.1, 'outside [0, 1]'],
    [RATIO, 'about half', 'is not an expectation'],
    [RATIO, '== code 503 count', 'compare against "code C ratio"'],
    [RATIO, '== code 600 ratio', 'unknown status code "600"'],
    [COUNT, '>= -1', 'negative'],
    [COUNT, '== code 503 ratio', 'compare against "code C count" or "calls"'],
    [P99, '< 50 ms', 'is not a duration'],
    [P99, '== calls', 'references are not allowed'],
    [P99, ['3s', '2s'], 'range min 3s > max 2s'],
    [P99, { lt: 1 }, 'got a mapping'],
    [QPS, '>= fast', 'is not a number'],
  ] as [Metric, unknown, string][])('%o %j is rejected', (metric, raw, msg) => {
    const r = parseCondition(raw, metric);
    expect(r).toHaveProperty('error');
    expect((r as { error: string }).error).toContain(msg);
  });

  it('points at the bad element of a range', () => {
    expect(parseCondition([0, 1.5], RATIO)).toMatchObject({ index: 1 });
    expect(parseCondition(['x', 1], RATIO)).toMatchObject({ index: 0 });
  });
});

describe('parseExpect', () => {
  it('builds one expectation per entry with stable ids and labels', () => {
    const { expectations, issues } = parseExpect({
      codes: { 200: '>= 0.5', 503: [0.05, 0.5], '-1': 0, '5xx': '< 1' },
      counts: { 503: '>= 1' },
      latency: { p50: '< 50ms', 'p99.9': '< 4s', min: '> 0', max: '< 4s', avg: '< 1s' },
      sockets: '<= 30',
      qps: '>= 100',
      calls: 20,
      envoy: { upstream_rq_pending_overflow: '== code 503 count', 'circuit_breakers.default.rq_pending_open': 0 },
    });
    expect(issues).toEqual([]);
    expect(expectations.map((e) => [e.id, e.label])).toEqual([
      ['codes.200', '200 ratio'],
      ['codes.503', '503 ratio'],
      ['codes.-1', '-1 ratio'],
      ['codes.5xx', '5xx ratio'],
      ['counts.503', '503 count'],
      ['latency.p50', 'p50 latency'],
      ['latency.p99.9', 'p99.9 latency'],
      ['latency.min', 'min latency'],
      ['latency.max', 'max latency'],
      ['latency.avg', 'avg latency'],
      ['sockets', 'sockets used'],
      ['qps', 'actual qps'],
      ['calls', 'calls'],
      ['envoy.upstream_rq_pending_overflow', 'envoy upstream_rq_pending_overflow'],
      ['envoy.circuit_breakers.default.rq_pending_open', 'envoy circuit_breakers.default.rq_pending_open'],
    ]);
  });

  it('reports every bad entry with its path and keeps the good ones', () => {
    const { expectations, issues } = parseExpect({
      codes: { 600: 0, '1xx': 0, 503: [0.7, 0.3], 200: 1 },
      latency: { p0: '< 1s', p100: '< 1s', median: '< 1s' },
      bogus: 1,
    });
    expect(expectations.map((e) => e.id)).toEqual(['codes.200']);
    expect(issues.map((i) => [i.path, i.at ?? 'value'])).toEqual([
      [['codes', '503'], 'value'],
      [['codes', '600'], 'key'],
      [['codes', '1xx'], 'key'],
      [['latency', 'p0'], 'key'],
      [['latency', 'p100'], 'key'],
      [['latency', 'median'], 'key'],
      [['bogus'], 'key'],
    ]);
  });

  it('describes conditions in the words of the verdict table', () => {
    const e = (raw: unknown, metric: Metric): Expectation => ({ id: 'x', label: 'x', metric, cond: parseCondition(raw, metric) as Expectation['cond'] });
    expect(describeCondition(e([0.3, 0.7], RATIO))).toBe('in [0.3, 0.7]');
    expect(describeCondition(e(['2.9s', '3.5s'], P99))).toBe('in [2.9s, 3.5s]');
    expect(describeCondition(e('< 0.05', P99))).toBe('< 50ms');
    expect(describeCondition(e('== code 503 count', ENVOY), 21)).toBe('== code 503 count (21)');
  });
});

function obs(codes: Record<string, number>, extra: Partial<Observed> = {}): Observed {
  const calls = Object.values(codes).reduce((a, b) => a + b, 0);
  return { calls, batches: 1, codes, duration: 1, ...extra };
}

function one(section: string, key: string | undefined, raw: unknown): Expectation {
  const block = key === undefined ? { [section]: raw } : { [section]: { [key]: raw } };
  const { expectations, issues } = parseExpect(block);
  expect(issues).toEqual([]);
  return expectations[0] as Expectation;
}

describe('evaluateExpectation', () => {
  it('counts classes without -1 and codes by number', () => {
    const codes = { '200': 10, '503': 3, '504': 1, '-1': 2 };
    expect(codeCount(codes, '5xx')).toBe(4);
    expect(codeCount(codes, '-1')).toBe(2);
    expect(codeCount(codes, '2xx')).toBe(10);
    expect(codeCount(codes, '404')).toBe(0);
  });

  it('says expected vs observed in the failure message, with the interval', () => {
    const r = evaluateExpectation(one('codes', '503', [0.3, 0.7]), obs({ '200': 30 }), 'confident');
    expect(r.verdict).toBe('FAIL');
    expect(r.message).toBe('expected 503 ratio in [0.3, 0.7], observed 0.0 (0/30); 95% interval [0.000, 0.114]');
    expect(r).toMatchObject({ k: 0, n: 30, basis: 'interval', kind: 'ratio' });
  });

  it('decides the Istio c=2 figures per policy', () => {
    const e = one('codes', '503', '<= 0.1');
    const o = obs({ '200': 17, '503': 3 }); // 15 %: the current istio.io output
    const v = (p: Policy): string => evaluateExpectation(e, o, p).verdict;
    expect(v('strict')).toBe('FAIL');
    expect(v('confident')).toBe('INCONCLUSIVE'); // [0.052, 0.360] straddles 0.1
    expect(v('until-conclusive')).toBe('INCONCLUSIVE');
    const wide = one('codes', '503', [0, 0.4]);
    expect(evaluateExpectation(wide, o, 'confident').verdict).toBe('PASS');
  });

  it('judges exact ratios on the count under every policy', () => {
    for (const p of ['strict', 'confident', 'until-conclusive'] as Policy[]) {
      expect(evaluateExpectation(one('codes', '-1', 0), obs({ '200': 20 }), p)).toMatchObject({ verdict: 'PASS', basis: 'exact' });
      expect(evaluateExpectation(one('codes', '-1', 0), obs({ '200': 19, '-1': 1 }), p).verdict).toBe('FAIL');
      expect(evaluateExpectation(one('codes', '200', 1), obs({ '200': 20 }), p).verdict).toBe('PASS');
      expect(evaluateExpectation(one('codes', '503', [0.15, 0.15]), obs({ '200': 17, '503': 3 }), p).verdict).toBe('PASS');
    }
  });

  it('never passes without calls', () => {
    for (const [section, key, raw] of [
      ['codes', '-1', 0],
      ['codes', '503', [0, 1]],
      ['counts', '503', 0],
      ['latency', 'max', '< 1s'],
      ['envoy', 'upstream_rq_pending_overflow', '== code 503 count'],
      ['sockets', undefined, '<= 10'],
    ] as [string, string | undefined, unknown][]) {
      const r = evaluateExpectation(one(section, key, raw), obs({}, { sockets: 0 }), 'strict');
      expect(r.verdict, `${section}.${key ?? ''}`).toBe('INCONCLUSIVE');
      expect(r.reason).toBe('no calls were made');
    }
    expect(evaluateExpectation(one('calls', undefined, 20), obs({}), 'confident').verdict).toBe('FAIL');
  });

  it('compares plain values, references and latency', () => {
    const o = obs(
      { '200': 9, '503': 21 },
      {
        sockets: 20,
        qps: 120.5,
        latency: { min: 0.001, max: 3.2, avg: 0.4, percentiles: { '50': 0.004, '99': 3.1 }, percentileSource: { '50': 'histogram', '99': 'histogram' } },
        envoy: { cluster: 'outbound|8000||httpbin.default.svc.cluster.local', deltas: { 'cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_pending_overflow': 21 } },
      },
    );
    const v = (section: string, key: string | undefined, raw: unknown): string => evaluateExpectation(one(section, key, raw), o, 'confident').verdict;
    expect(v('sockets', undefined, '<= 30')).toBe('PASS');
    expect(v('sockets', undefined, '< 20')).toBe('FAIL');
    expect(v('qps', undefined, '>= 100')).toBe('PASS');
    expect(v('calls', undefined, 30)).toBe('PASS');
    expect(v('counts', '503', '>= 1')).toBe('PASS');
    expect(v('counts', '503', '== calls')).toBe('FAIL');
    expect(v('latency', 'p50', '< 50ms')).toBe('PASS');
    expect(v('latency', 'p99', ['2.9s', '3.5s'])).toBe('PASS');
    expect(v('latency', 'max', '< 3s')).toBe('FAIL');
    expect(v('latency', 'min', '> 0')).toBe('PASS');
    expect(v('envoy', 'upstream_rq_pending_overflow', '== code 503 count')).toBe('PASS');
    const r = evaluateExpectation(one('envoy', 'upstream_rq_pending_overflow', '== code 503 count'), o, 'strict');
    expect(r.expected).toBe('== code 503 count (21)');
    expect(r.observed).toBe('21');
  });

  it('turns missing data into INCONCLUSIVE with a reason', () => {
    const base = obs({ '200': 5 });
    const r1 = evaluateExpectation(one('envoy', 'upstream_cx_overflow', '> 0'), base, 'strict');
    expect(r1).toMatchObject({ verdict: 'INCONCLUSIVE', observed: '—' });
    expect(r1.reason).toMatch(/not read/);
    const r2 = evaluateExpectation(one('envoy', 'upstream_cx_overflow', '> 0'), { ...base, envoy: { error: 'connect ECONNREFUSED 127.0.0.1:15000' } }, 'strict');
    expect(r2.reason).toMatch(/unreachable: connect ECONNREFUSED/);
    const r3 = evaluateExpectation(one('envoy', 'upstream_cx_overflow', '> 0'), { ...base, envoy: { cluster: 'c', deltas: {} } }, 'strict');
    expect(r3.reason).toMatch(/cluster\.c\.upstream_cx_overflow not found.*statsInclusionPrefixes/);
    const r4 = evaluateExpectation(one('latency', 'p99', '< 1s'), base, 'strict');
    expect(r4).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'no latency data' });
    const r5 = evaluateExpectation(one('sockets', undefined, '< 1'), base, 'strict');
    expect(r5.verdict).toBe('INCONCLUSIVE');
  });

  it('reads absolute Envoy stat names too', () => {
    const e = one('envoy', 'cluster_manager.cluster_added', '== 0');
    const o = obs({ '200': 1 }, { envoy: { cluster: 'c', deltas: { 'cluster_manager.cluster_added': 0 } } });
    expect(evaluateExpectation(e, o, 'strict').verdict).toBe('PASS');
  });

  it('marks expectations of steps that never ran', () => {
    const es = parseExpect({ codes: { 503: [0.3, 0.7] }, calls: 30 }).expectations;
    const rs = notRunResults(es, 'interrupted');
    expect(rs.map((r) => r.verdict)).toEqual(['NOT RUN', 'NOT RUN']);
    expect(rs[0]?.message).toBe('expected 503 ratio in [0.3, 0.7], observed — (interrupted)');
    expect(evaluateExpectations(es, obs({ '503': 15, '200': 15 }), 'strict').map((r) => r.verdict)).toEqual(['PASS', 'PASS']);
  });
});
