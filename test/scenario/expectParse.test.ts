import { describe, expect, it } from 'vitest';
import { describeCondition, parseCondition, parseExpect } from '../../src/scenario/expectParse.js';
import type { Expectation, Metric } from '../../src/scenario/types.js';

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
