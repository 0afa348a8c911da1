import { describe, expect, it } from 'vitest';
import { loadArgs, loadCommand, planScenario, stepUrl } from '../../src/scenario/plan.js';
import { UsageError } from '../../src/shared/errors.js';
import { fixtureScenario } from './helpers.js';

describe('planScenario', () => {
  const s = fixtureScenario();

  it('expands a sweep into one run per value with n = nPerC × c and per-point expectations', () => {
    const runs = planScenario(s);
    expect(runs.map((r) => r.key)).toEqual(['c1', 'c2', 'c3', 'sweep.c1', 'sweep.c2', 'sweep.c3', 'sweep.c4']);
    const c3 = runs.find((r) => r.key === 'sweep.c3');
    expect(c3).toMatchObject({ step: 'sweep', label: 'sweep c=3', point: { knob: 'c', value: 3 }, load: { c: 3, n: 30, qps: 0 } });
    expect(c3?.expectations.map((e) => e.id)).toEqual(['codes.-1', 'codes.503']);
    expect(runs.find((r) => r.key === 'sweep.c2')?.expectations.map((e) => e.id)).toEqual(['codes.-1']);
    expect(runs.find((r) => r.key === 'c3')?.budget).toEqual({ calls: 300, time: 60e9 });
  });

  it('keeps only the steps named by --only, and refuses unknown names', () => {
    expect(planScenario(s, ['c2', 'sweep']).map((r) => r.key)).toEqual(['c2', 'sweep.c1', 'sweep.c2', 'sweep.c3', 'sweep.c4']);
    expect(() => planScenario(s, ['c9'])).toThrow(UsageError);
    expect(() => planScenario(s, ['c9'])).toThrow('--only c9: no such step in scenarios/istio-circuit-breaking.yaml (steps: c1, c2, c3, sweep)');
  });
});

describe('load command lines', () => {
  it('uses fortio flag names and syntax', () => {
    expect(
      loadArgs(
        { c: 2, qps: 0, n: 20, t: 5e9, timeout: 500e6, headers: ['x-a: 1'], method: 'PUT', keepalive: false, jitter: true, percentiles: [50, 99.9], connectionReuse: '1:5' },
        'http://h:1/p',
      ),
    ).toEqual(['-c', '2', '-qps', '0', '-n', '20', '-t', '5s', '-timeout', '500ms', '-X', 'PUT', '-H', 'x-a: 1', '-keepalive=false', '-jitter', '-connection-reuse', '1:5', '-p', '50,99.9', 'http://h:1/p']);
  });

  it('quotes for the shell and swaps the path', () => {
    expect(stepUrl('http://httpbin:8000/get', { path: '/status/503?x=1' })).toBe('http://httpbin:8000/status/503?x=1');
    expect(stepUrl('http://httpbin:8000/get', {})).toBe('http://httpbin:8000/get');
    expect(loadCommand({ c: 1, headers: ["it's: x"] }, 'http://a/b?c=1&d=2')).toBe(`tripbench load -c 1 -H 'it'\\''s: x' 'http://a/b?c=1&d=2'`);
  });
});
