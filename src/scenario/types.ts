/**
 * Scenario files (one experiment each) after loading and validation, the expectation AST, and
 * the plain-data results the renderers print. Everything here is structured-clone/JSON safe.
 * The published shape of the YAML is schema/scenario.schema.json; docs/scenarios.md explains it.
 */

/** How a ratio expectation turns an observed k/n into a verdict (docs/scenarios.md §Policies). */
export type Policy = 'strict' | 'confident' | 'until-conclusive';
export const POLICIES: readonly Policy[] = ['strict', 'confident', 'until-conclusive'];
export const DEFAULT_POLICY: Policy = 'confident';

/** NOT RUN: the step never ran (interrupted run, or an earlier fatal error). */
export type Verdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'NOT RUN';

/**
 * The knobs of `tripbench load` for one step, named like the YAML keys. Durations are
 * nanoseconds (Go time.Duration, as RunOptions.durationNs); absent = the load command's default.
 */
export interface LoadSpec {
  c?: number;
  n?: number;
  qps?: number;
  t?: number;
  timeout?: number;
  /** Path (and query) appended to the target's origin; default: the target URL's own path. */
  path?: string;
  method?: string;
  headers?: string[];
  payload?: string;
  contentType?: string;
  keepalive?: boolean;
  http10?: boolean;
  h2?: boolean;
  stdclient?: boolean;
  uniform?: boolean;
  jitter?: boolean;
  nocatchup?: boolean;
  allowInitialErrors?: boolean;
  abortOn?: number;
  /** "min:max" as fortio's -connection-reuse */
  connectionReuse?: string;
  /** -p */
  percentiles?: number[];
  /** -r, seconds */
  resolution?: number;
  workers?: number;
  insecure?: boolean;
}

/** until-conclusive stops repeating a step when any limit is reached. */
export interface Budget {
  calls?: number;
  /** ns */
  time?: number;
  batches?: number;
}
/** Used when a until-conclusive step names no budget. */
export const DEFAULT_BUDGET: Readonly<Budget> = Object.freeze({ batches: 10 });

export interface Sweep {
  knob: 'c';
  values: number[];
  /** When set, each point runs n = nPerC × c calls (Istio's task: -c 2 -n 20, -c 3 -n 30). */
  nPerC?: number;
}

// ---- expectations ----

/** A status code selector as written: "-1", "503", or a class "5xx" (never matches -1). */
export type CodeSel = string;

export type Ref = { ref: 'count'; code: CodeSel } | { ref: 'ratio'; code: CodeSel } | { ref: 'calls' };

export type CmpOp = '<' | '<=' | '>' | '>=' | '==';

export type Condition =
  | { kind: 'cmp'; op: CmpOp; value: number }
  | { kind: 'cmpRef'; op: CmpOp; ref: Ref }
  /** inclusive, lo <= hi */
  | { kind: 'range'; lo: number; hi: number };

export type Metric =
  | { kind: 'ratio'; code: CodeSel }
  | { kind: 'count'; code: CodeSel }
  | { kind: 'latency'; stat: 'min' | 'max' | 'avg' }
  /** 0 < p < 100 */
  | { kind: 'percentile'; p: number }
  | { kind: 'sockets' }
  | { kind: 'qps' }
  | { kind: 'calls' }
  /** Stat name relative to `cluster.<cluster>.`, or an absolute stat name. */
  | { kind: 'envoy'; stat: string };

export interface Expectation {
  /** Stable key: "codes.503", "counts.5xx", "latency.p99", "sockets", "envoy.upstream_cx_overflow". */
  id: string;
  /** For people: "503 ratio", "p99 latency", "envoy upstream_cx_overflow delta". */
  label: string;
  metric: Metric;
  cond: Condition;
}

// ---- the scenario ----

/** One Istio resource, verbatim (the rehearsal parses them; reports print them). */
export interface MeshResource {
  apiVersion: string;
  kind: 'DestinationRule' | 'VirtualService' | 'ServiceEntry' | 'Sidecar';
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  spec: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Upstream {
  /** fortio echo syntax: "2ms" or "1ms:50,5ms:10" */
  delay?: string;
  /** fortio echo syntax: "503" or "503:20,429:5" */
  status?: string;
  endpoints?: number;
  endpointOverrides?: { delay?: string; status?: string }[];
}

export interface RehearsalKnobs {
  concurrency?: number;
  /** ns */
  mtlsHandshake?: number;
  istioVersion?: string;
  /** meshConfig.outboundTrafficPolicy.mode; undefined = the Istio version's default */
  outboundTrafficPolicy?: 'REGISTRY_ONLY' | 'ALLOW_ANY';
}

export interface Step {
  name: string;
  description?: string;
  /** Merged over `defaults.load`. */
  load: LoadSpec;
  policy: Policy;
  /** Loads run and pooled before the first evaluation (>= 1). */
  repeat: number;
  /** Only for until-conclusive (defaulted to DEFAULT_BUDGET). */
  budget?: Budget;
  sweep?: Sweep;
  expect: Expectation[];
  /** Sweep value → the full list for that point (step `expect` with the point's entries replacing same ids). */
  expectAt: Record<string, Expectation[]>;
}

export interface Scenario {
  /** Path as given to the loader, used in messages. */
  file: string;
  /** The file's text as loaded and validated: the run folder's scenario.yaml, whatever the file says by then. */
  source: string;
  name: string;
  description: string;
  target: string;
  envoyAdmin?: string;
  /** Explicit, or derived from the mesh host and the target port (rehearsal/istio.ts targetClusterName). */
  cluster?: string;
  mesh: MeshResource[];
  /** The mesh resources as multi-document YAML, for reports and `kubectl apply -f -`. */
  meshYaml: string;
  upstream?: Upstream;
  rehearsal?: RehearsalKnobs;
  steps: Step[];
}

/** One thing to run: a step, or one point of a sweep step. */
export interface StepRun {
  step: string;
  /** Unique in the scenario and file-name safe: "c2", or "sweep.c3" for a sweep point. */
  key: string;
  /** For people: "c2", "sweep c=3". */
  label: string;
  point?: { knob: 'c'; value: number };
  load: LoadSpec;
  policy: Policy;
  repeat: number;
  budget?: Budget;
  expectations: Expectation[];
}

// ---- observations and results ----

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
