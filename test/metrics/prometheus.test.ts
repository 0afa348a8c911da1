import { describe, expect, it } from 'vitest';
import { escapeLabelValue, formatValue, renderPrometheus, VERDICTS } from '../../src/metrics/prometheus.js';
import type { ScenarioResult } from '../../src/scenario/results.js';
import { istioRun, unreachableRun } from '../scenario/helpers.js';
import { readExposition, sample } from './exposition.js';

const C = 'outbound|8000||httpbin.default.svc.cluster.local';

describe('renderPrometheus', () => {
  const sr = istioRun();
  const text = renderPrometheus([sr]);
  const e = readExposition(text);

  it('is valid text exposition with HELP and TYPE for every family', () => {
    expect([...e.families.keys()]).toEqual([
      'tripbench_scenario_outcome',
      'tripbench_run_exit_code',
      'tripbench_run_timestamp_seconds',
      'tripbench_run_duration_seconds',
      'tripbench_expectation_verdict',
      'tripbench_expectation_observed',
      'tripbench_observed_ratio',
      'tripbench_latency_seconds',
      'tripbench_calls_total',
      'tripbench_codes_total',
      'tripbench_envoy_stat_delta',
    ]);
    expect(e.families.get('tripbench_calls_total')?.type).toBe('counter');
    expect(e.families.get('tripbench_expectation_verdict')?.type).toBe('gauge');
    // a quantile label is only legal on a summary (promtool: "non-summary metrics should not have quantile")
    expect(e.families.get('tripbench_latency_seconds')?.type).toBe('summary');
    for (const f of e.families.values()) expect(f.help.length).toBeGreaterThan(10);
  });

  it('has one verdict series per possible verdict, 1 for the current one', () => {
    let checked = 0;
    for (const st of sr.steps) {
      for (const r of st.results) {
        for (const v of VERDICTS) {
          const got = sample(e, 'tripbench_expectation_verdict', { scenario: sr.scenario, step: st.key, expectation: r.id, verdict: v });
          expect(got).toBe(r.verdict === v ? 1 : 0);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
    // NOT RUN steps (the interrupted sweep point) are there too, with their verdict.
    const notRun = sr.steps.find((s) => s.status === 'not-run');
    expect(notRun).toBeDefined();
    const first = notRun?.results[0];
    if (notRun && first) {
      expect(sample(e, 'tripbench_expectation_verdict', { scenario: sr.scenario, step: notRun.key, expectation: first.id, verdict: 'NOT RUN' })).toBe(1);
    }
  });

  it('exports calls, codes, ratios, latency quantiles and envoy deltas per step', () => {
    const c2 = { scenario: 'istio-circuit-breaking', step: 'c2' };
    expect(sample(e, 'tripbench_calls_total', c2)).toBe(20);
    expect(sample(e, 'tripbench_codes_total', { ...c2, code: '503' })).toBe(3);
    expect(sample(e, 'tripbench_codes_total', { ...c2, code: '200' })).toBe(17);
    expect(sample(e, 'tripbench_observed_ratio', { ...c2, code: '503' })).toBeCloseTo(0.15, 12);
    expect(sample(e, 'tripbench_latency_seconds', { ...c2, quantile: '0.5' })).toBe(0.004);
    expect(sample(e, 'tripbench_latency_seconds', { ...c2, quantile: '0.99' })).toBeCloseTo(0.0076, 12);
    // the summary's _count and _sum cover the step's calls, the ones its quantiles describe
    const lat = sr.steps.find((s) => s.key === 'c2')?.observed?.latency;
    expect(sample(e, 'tripbench_latency_seconds_count', c2)).toBe(20);
    expect(sample(e, 'tripbench_latency_seconds_sum', c2)).toBeCloseTo((lat?.avg ?? NaN) * 20, 12);
    expect(sample(e, 'tripbench_envoy_stat_delta', { ...c2, cluster: C, stat: `cluster.${C}.upstream_rq_pending_overflow` })).toBe(3);
    const ratio503 = sr.steps.find((s) => s.key === 'c3')?.results.find((r) => r.id === 'codes.503');
    expect(sample(e, 'tripbench_expectation_observed', { scenario: sr.scenario, step: 'c3', expectation: 'codes.503' })).toBe(ratio503?.value);
  });

  it('exports the codes the expectations name at 0 when no call got them, so alerts on them still see a value', () => {
    // c1 expects no 503 and no -1, c3 expects 503s: none came back in c1, and in this run none in c3.
    const quiet: ScenarioResult = {
      ...sr,
      steps: sr.steps.map((s) => (s.key === 'c3' && s.observed ? { ...s, observed: { ...s.observed, codes: { '200': 30 } } } : s)),
    };
    const q = readExposition(renderPrometheus([quiet]));
    const c1 = { scenario: sr.scenario, step: 'c1' };
    const c3 = { scenario: sr.scenario, step: 'c3' };
    expect(sample(q, 'tripbench_codes_total', { ...c1, code: '-1' })).toBe(0);
    expect(sample(q, 'tripbench_observed_ratio', { ...c1, code: '-1' })).toBe(0);
    expect(sample(q, 'tripbench_codes_total', { ...c3, code: '503' })).toBe(0);
    expect(sample(q, 'tripbench_observed_ratio', { ...c3, code: '503' })).toBe(0);
    expect(sample(q, 'tripbench_observed_ratio', { ...c3, code: '200' })).toBe(1);
    // classes (5xx) are not codes: no series invented for them
    expect(q.series.some((x) => x.labels['code'] === '5xx')).toBe(false);
  });

  it('says when the run happened and how it ended', () => {
    const s = { scenario: sr.scenario };
    expect(sample(e, 'tripbench_run_timestamp_seconds', s)).toBe(Date.parse(sr.finishedAt) / 1000);
    expect(sample(e, 'tripbench_run_duration_seconds', s)).toBeCloseTo(39.503, 9);
    const outcomes = ['PASS', 'FAIL', 'INCONCLUSIVE', 'UNREACHABLE'].map((o) => sample(e, 'tripbench_scenario_outcome', { ...s, outcome: o }));
    expect(outcomes).toEqual([0, 0, 1, 0]);
    expect(sample(e, 'tripbench_run_exit_code', s)).toBe(3);
  });

  it('a dead target is outcome UNREACHABLE with exit code 4, whatever --inconclusive says', () => {
    const dead = unreachableRun();
    for (const ia of ['inconclusive', 'pass', 'fail'] as const) {
      const x = readExposition(renderPrometheus([dead], { inconclusiveAs: ia }));
      const s = { scenario: dead.scenario };
      const outcomes = ['PASS', 'FAIL', 'INCONCLUSIVE', 'UNREACHABLE'].map((o) => sample(x, 'tripbench_scenario_outcome', { ...s, outcome: o }));
      expect(outcomes, ia).toEqual([0, 0, 0, 1]);
      expect(sample(x, 'tripbench_run_exit_code', s)).toBe(4);
      // nothing was measured: no latency, calls or codes series at all
      expect(x.series.filter((y) => /latency|calls|codes/.test(y.name))).toEqual([]);
    }
  });

  it('escapes label values so any name survives the round trip', () => {
    const nasty = 'we"ird\\name\nline two';
    const r: ScenarioResult = {
      ...sr,
      scenario: nasty,
      steps: [
        {
          step: 's',
          key: 'step "1" \\ x',
          label: 's',
          policy: 'strict',
          status: 'completed',
          observed: { calls: 4, batches: 1, codes: { '200': 3, '-1': 1 }, duration: 0.1 },
          results: [],
        },
      ],
    };
    const x = readExposition(renderPrometheus([r]));
    expect(sample(x, 'tripbench_codes_total', { scenario: nasty, step: 'step "1" \\ x', code: '-1' })).toBe(1);
    expect(sample(x, 'tripbench_observed_ratio', { scenario: nasty, step: 'step "1" \\ x', code: '200' })).toBe(0.75);
    expect(escapeLabelValue(nasty)).toBe('we\\"ird\\\\name\\nline two');
  });

  it('renders several scenarios into one exposition, and nothing for none', () => {
    const other = { ...sr, scenario: 'second' };
    const both = readExposition(renderPrometheus([sr, other]));
    expect(sample(both, 'tripbench_calls_total', { scenario: 'second', step: 'c1' })).toBe(20);
    expect(sample(both, 'tripbench_calls_total', { scenario: sr.scenario, step: 'c1' })).toBe(20);
    expect(renderPrometheus([])).toBe('');
  });

  it('spells special values as Go does', () => {
    expect([NaN, Infinity, -Infinity, 0.5, 1e21, 2].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0.5', '1e+21', '2']);
  });
});

describe('the exposition checker itself', () => {
  const ok = '# HELP a_total x\n# TYPE a_total counter\na_total{l="v"} 1\n';
  it('accepts a valid exposition and refuses what Prometheus refuses', () => {
    expect(readExposition(ok).series).toHaveLength(1);
    expect(() => readExposition(ok + 'a_total{l="v"} 2\n')).toThrow(/duplicate series/);
    expect(() => readExposition(ok.replace('} 1', '} 1 1700000000000'))).toThrow(/timestamp/);
    expect(() => readExposition(ok.replace('} 1', '} one'))).toThrow(/sample/);
    expect(() => readExposition(ok.replace('{l="v"}', '{l=v}'))).toThrow();
    expect(() => readExposition(ok.replace('# HELP a_total x\n', ''))).toThrow(/HELP/);
    expect(() => readExposition(`${ok}# HELP b x\n# TYPE b gauge\nb 1\na_total{l="w"} 1\n`)).toThrow(/contiguous/);
    expect(() => readExposition(ok.slice(0, -1))).toThrow(/line feed/);
    // a summary's _sum and _count lines belong to its family, per label set
    const summary = '# HELP l x\n# TYPE l summary\nl{s="a",quantile="0.5"} 1\nl_sum{s="a"} 3\nl_count{s="a"} 2\nl{s="b",quantile="0.5"} 4\nl_sum{s="b"} 4\nl_count{s="b"} 1\n';
    const sx = readExposition(summary);
    expect(sample(sx, 'l', { s: 'b', quantile: '0.5' })).toBe(4);
    expect(sample(sx, 'l_count', { s: 'a' })).toBe(2);
  });
});
