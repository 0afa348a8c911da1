/**
 * What a scenario run produced, as plain data: observations, expectation results with their
 * verdicts, step and scenario results. The renderers (render/, html/, metrics/) print these and
 * verdicts.json stores them, so everything here is structured-clone/JSON safe. The input a run
 * starts from is types.ts.
 */
import type { Metric, Policy } from './types.js';

/** NOT RUN: the step never ran (interrupted run, or an earlier fatal error). */
export type Verdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'NOT RUN';

export interface LatencyObserved {
  /** seconds */
  min: number;
  max: number;
  avg: number;
  /** key: String(p) ("99", "99.9"); seconds */
  percentiles: Record<string, number>;
  /** hdr, or histogram (fortio's buckets) for results without HDR data: src/report/latencyPercentiles.ts */
  percentileSource: Record<string, 'hdr' | 'histogram'>;
}

export type EnvoyObserved = { cluster: string; deltas: Record<string, number> } | { error: string };

/** The numbers a step produced, pooled over its batches. */
export interface Observed {
  calls: number;
  batches: number;
  /** RetCodes summed over batches, keys as fortio writes them ("200", "-1") */
  codes: Record<string, number>;
  sockets?: number;
  qps?: number;
  /** seconds, summed over batches */
  duration: number;
  /** absent when no call was made */
  latency?: LatencyObserved;
  /** why a percentile could not be computed (e.g. pooled fortio JSON without HDR data) */
  latencyNote?: string;
  /** absent: stats were not read for this step */
  envoy?: EnvoyObserved;
}

export interface ExpectationResult {
  id: string;
  label: string;
  /** the metric kind, so a renderer or the repeat loop can pick out ratio checks */
  kind: Metric['kind'];
  /** "in [0.3, 0.7]", ">= 0.95", "== code 503 count (21)" */
  expected: string;
  /** "0.15 (3/20)", "2.31ms", "—" */
  observed: string;
  /** the observed number, when there is one */
  value?: number;
  /** ratio checks: successes (calls with the code) and trials (all calls) */
  k?: number;
  n?: number;
  /** ratio checks: 95 % Wilson score interval */
  interval?: [number, number];
  /**
   * The accepted set as numbers (a reference resolved to its observed value), for charts and
   * gauges; absent when the bound could not be resolved.
   */
  bounds?: Bounds;
  verdict: Verdict;
  /** how the verdict was reached: point estimate, interval, exact count, plain value */
  basis: 'point' | 'interval' | 'exact' | 'value' | 'none';
  /** why INCONCLUSIVE / NOT RUN, in words */
  reason?: string;
  /** one line: "expected 503 ratio in [0.3, 0.7], observed 0.0 (0/30)" (+ interval / reason) */
  message: string;
}

/** An accepted interval: a missing end is unbounded; "== v" is lo = hi = v, both inclusive. */
export interface Bounds {
  lo?: number;
  hi?: number;
  loInclusive: boolean;
  hiInclusive: boolean;
}

export type StepStatus = 'completed' | 'interrupted' | 'not-run';

export interface StepResult {
  step: string;
  key: string;
  label: string;
  point?: { knob: 'c'; value: number };
  policy: Policy;
  status: StepStatus;
  /** until-conclusive: true when the budget ran out before every ratio check was conclusive */
  budgetSpent?: boolean;
  observed?: Observed;
  results: ExpectationResult[];
  /** report files written for this step, relative to the run directory */
  files?: string[];
  /** something that went wrong beside the verdicts (e.g. the batches could not be pooled into one file) */
  error?: string;
}

export interface ScenarioResult {
  scenario: string;
  description: string;
  file: string;
  target: string;
  cluster?: string;
  meshYaml: string;
  /** ISO 8601 */
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  /** the Envoy admin endpoint the stats were read from, when there was one */
  envoyAdmin?: string;
  /** set for a local rehearsal: where its emulated sidecar listened, what it emulated and what it does not model */
  rehearsal?: { url: string; envoyAdmin: string; istioVersion?: string; envoyVersion?: string; notModelled?: string[] };
  /** why the target (or the local rehearsal) could not be reached before the first step: nothing ran, exit 4 */
  unreachable?: string;
  steps: StepResult[];
}
