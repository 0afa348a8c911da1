/**
 * Builds scenario results the way the orchestrator will: load → plan → (fake) fortio result per
 * run → observe → evaluate. The loads are fabricated; everything after them is the real code.
 */
import { readFileSync } from 'node:fs';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { evaluateExpectations, notRunResults } from '../../src/scenario/expectEvaluate.js';
import { neededPercentiles, observe } from '../../src/scenario/observe.js';
import { DEFAULT_PERCENTILES } from '../../src/report/fortioText.js';
import { planScenario } from '../../src/scenario/plan.js';
import { loadScenario } from '../../src/scenario/schema.js';
import type { Scenario } from '../../src/scenario/types.js';
import type { EnvoyObserved, ScenarioResult, StepResult } from '../../src/scenario/results.js';

export function fixtureScenario(): Scenario {
  const file = new URL('./fixtures/circuit-breaking.yaml', import.meta.url);
  return loadScenario(readFileSync(file, 'utf8'), 'scenarios/istio-circuit-breaking.yaml');
}

/** A fortio-shaped result with just what observe() reads. */
export function fakeResult(codes: Record<string, number>, opts: { sockets?: number; latency?: number; durationSec?: number } = {}): FortioResult {
  const count = Object.values(codes).reduce((a, b) => a + b, 0);
  const lat = opts.latency ?? 0.004;
  const d = opts.durationSec ?? 0.5;
  // Two buckets that fortio's interpolation reads as exactly the listed p50 = lat, p99 = 1.9·lat.
  const max = lat * (1 + 0.9 / 0.98);
  const low = Math.floor(count / 2);
  return {
    RetCodes: codes,
    ActualQPS: count / d,
    ActualDuration: d * 1e9,
    SocketCount: opts.sockets ?? 2,
    DurationHistogram: {
      Count: count,
      Min: lat / 2,
      Max: max,
      Sum: lat * count,
      Avg: lat,
      StdDev: 0,
      Data:
        count === 0
          ? null
          : [
              { Start: lat / 2, End: lat, Percent: 50, Count: low },
              { Start: lat, End: max, Percent: 100, Count: count - low },
            ],
      Percentiles: [
        { Percentile: 50, Value: lat },
        { Percentile: 99, Value: lat * 1.9 },
      ],
    },
  } as unknown as FortioResult;
}

export interface RunSpec {
  codes: Record<string, number>;
  sockets?: number;
  envoy?: EnvoyObserved;
}

/** Evaluates each run of the scenario on the given fake results; runs missing from `runs` are NOT RUN. */
export function scenarioResult(s: Scenario, runs: Record<string, RunSpec>, interrupted = false): ScenarioResult {
  const steps: StepResult[] = planScenario(s).map((r) => {
    const spec = runs[r.key];
    const base = { step: r.step, key: r.key, label: r.label, policy: r.policy, ...(r.point ? { point: r.point } : {}) };
    if (!spec) return { ...base, status: 'not-run', results: notRunResults(r.expectations, interrupted ? 'the run was interrupted' : 'not run') };
    const observed = observe(fakeResult(spec.codes, spec.sockets === undefined ? {} : { sockets: spec.sockets }), {
      // as the step runner asks: the run's -p list and the expectations' own
      percentiles: [...new Set([...DEFAULT_PERCENTILES, ...neededPercentiles(r.expectations)])],
      ...(spec.envoy ? { envoy: spec.envoy } : {}),
    });
    return { ...base, status: 'completed', observed, results: evaluateExpectations(r.expectations, observed, r.policy) };
  });
  return {
    scenario: s.name,
    description: s.description,
    file: s.file,
    target: s.target,
    ...(s.cluster ? { cluster: s.cluster } : {}),
    meshYaml: s.meshYaml,
    startedAt: '2026-11-25T17:28:22.597Z',
    finishedAt: '2026-11-25T17:29:02.100Z',
    interrupted,
    steps,
  };
}

const C = 'outbound|8000||httpbin.default.svc.cluster.local';

/** The Istio task's published figures, one run each; the sweep's c=4 point did not run. */
export function istioRun(): ScenarioResult {
  return scenarioResult(
    fixtureScenario(),
    {
      c1: { codes: { '200': 20 } },
      c2: { codes: { '200': 17, '503': 3 }, envoy: { cluster: C, deltas: { [`cluster.${C}.upstream_rq_pending_overflow`]: 3 } } },
      c3: { codes: { '200': 11, '503': 19 }, sockets: 20 },
      'sweep.c1': { codes: { '200': 10 } },
      'sweep.c2': { codes: { '200': 18, '503': 2 } },
      'sweep.c3': { codes: { '200': 8, '503': 22 } },
    },
    true,
  );
}

export const UNREACHABLE_REASON = 'target unreachable: http://127.0.0.1:9/get: connect ECONNREFUSED 127.0.0.1:9';

/** The fixture scenario against a dead target: every step NOT RUN with the reason, as run.ts builds it. */
export function unreachableRun(): ScenarioResult {
  const r = scenarioResult(fixtureScenario(), {});
  for (const s of r.steps) for (const e of s.results) e.reason = UNREACHABLE_REASON;
  return { ...r, unreachable: UNREACHABLE_REASON };
}
