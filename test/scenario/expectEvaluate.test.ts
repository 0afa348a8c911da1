import { describe, expect, it } from 'vitest';
import { codeCount, evaluateExpectation, evaluateExpectations, notRunResults } from '../../src/scenario/expectEvaluate.js';
import { parseExpect } from '../../src/scenario/expectParse.js';
import type { Expectation, Policy } from '../../src/scenario/types.js';
import type { Observed } from '../../src/scenario/results.js';

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
