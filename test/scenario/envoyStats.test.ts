import { describe, expect, it } from 'vitest';
import { parseExpect } from '../../src/scenario/expectParse.js';
import { addDeltas, envoyStatNames, envoyObserved, parseStats, parseStatsJson, parseStatsText, statDeltas } from '../../src/scenario/envoyStats.js';

const C = 'outbound|8000||httpbin.default.svc.cluster.local';

const TEXT = `cluster.${C}.circuit_breakers.default.remaining_pending: 1
cluster.${C}.circuit_breakers.default.rq_pending_open: 0
cluster.${C}.upstream_cx_length_ms: P0(nan,0) P25(nan,1.025) P50(nan,1.05) P100(nan,3.1)
cluster.${C}.upstream_rq_pending_active: 0
cluster.${C}.upstream_rq_pending_overflow: 21
cluster.${C}.upstream_rq_pending_total: 29
cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_pending_overflow: 4
cluster_manager.cluster_added: 14
server.version: "1.30.1/Clean/RELEASE"
http.inbound_0.0.0.0_8080.rq_time: No recorded values
`;

const JSON_BODY = JSON.stringify({
  stats: [
    { name: `cluster.${C}.upstream_rq_pending_overflow`, value: 21 },
    { name: `cluster.${C}.upstream_rq_pending_total`, value: 29 },
    { name: 'server.version', value: '1.30.1/Clean/RELEASE' },
    { name: 'cluster_manager.cluster_added', value: 14 },
    {
      histograms: {
        supported_quantiles: [0, 25, 50, 75, 90, 95, 99, 99.9, 100],
        computed_quantiles: [{ name: `cluster.${C}.upstream_cx_length_ms`, values: [{ interval: null, cumulative: 1 }] }],
      },
    },
  ],
});

describe('Envoy /stats parsing', () => {
  it('reads the text format, skipping histograms and text readouts', () => {
    const m = parseStatsText(TEXT);
    expect(m.get(`cluster.${C}.upstream_rq_pending_overflow`)).toBe(21);
    expect(m.get(`cluster.${C}.circuit_breakers.default.remaining_pending`)).toBe(1);
    expect(m.get('cluster_manager.cluster_added')).toBe(14);
    expect(m.has(`cluster.${C}.upstream_cx_length_ms`)).toBe(false);
    expect(m.has('server.version')).toBe(false);
    expect(m.has('http.inbound_0.0.0.0_8080.rq_time')).toBe(false);
    expect(m.size).toBe(7);
  });

  it('reads ?format=json, skipping the histograms entry and non-numeric values', () => {
    const m = parseStatsJson(JSON_BODY);
    expect([...m.entries()]).toEqual([
      [`cluster.${C}.upstream_rq_pending_overflow`, 21],
      [`cluster.${C}.upstream_rq_pending_total`, 29],
      ['cluster_manager.cluster_added', 14],
    ]);
    expect(() => parseStatsJson('{"nope":1}')).toThrow(/no "stats" list/);
  });

  it('tells the formats apart', () => {
    expect(parseStats(JSON_BODY).get(`cluster.${C}.upstream_rq_pending_total`)).toBe(29);
    expect(parseStats(TEXT).get(`cluster.${C}.upstream_rq_pending_total`)).toBe(29);
    expect(parseStats('').size).toBe(0);
  });
});

describe('deltas', () => {
  const before = parseStatsText(`cluster.${C}.upstream_rq_pending_overflow: 12\ncluster.${C}.upstream_rq_pending_total: 39\ncluster_manager.cluster_added: 14\n`);
  const after = parseStatsText(TEXT);

  it('subtracts per stat under the cluster prefix; stats first seen after count from 0', () => {
    const d = statDeltas(before, after, C);
    expect(d[`cluster.${C}.upstream_rq_pending_overflow`]).toBe(9);
    expect(d[`cluster.${C}.upstream_rq_pending_total`]).toBe(-10);
    expect(d[`cluster.${C}.circuit_breakers.default.remaining_pending`]).toBe(1);
    expect(Object.keys(d).some((k) => k.includes('reviews'))).toBe(false);
    expect(d['cluster_manager.cluster_added']).toBeUndefined();
    const names = envoyStatNames(parseExpect({ envoy: { 'cluster_manager.cluster_added': 0, upstream_cx_overflow: '> 0' }, calls: 1 }).expectations);
    expect(names).toEqual(['cluster_manager.cluster_added', 'upstream_cx_overflow']);
    expect(statDeltas(before, after, C, names)['cluster_manager.cluster_added']).toBe(0);
  });

  it('pools batches and wraps errors for observe()', () => {
    expect(addDeltas({ a: 1, b: 2 }, { b: 3, c: 4 })).toEqual({ a: 1, b: 5, c: 4 });
    expect(envoyObserved(C, { a: 1 })).toEqual({ cluster: C, deltas: { a: 1 } });
    expect(envoyObserved(C, new Error('connect ECONNREFUSED'))).toEqual({ error: 'connect ECONNREFUSED' });
  });
});
