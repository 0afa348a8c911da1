/**
 * Scenario files (one experiment each) after loading and validation: the input AST, with the
 * load of a step and the expectation AST. What a run produced is results.ts. Everything here is
 * structured-clone/JSON safe. The published shape of the YAML is schema/scenario.schema.json;
 * docs/scenarios.md explains it.
 */
import type { LoadSpecYaml } from '../load/loadSpec.js';

/** How a ratio expectation turns an observed k/n into a verdict (docs/scenarios.md §Policies). */
export type Policy = 'strict' | 'confident' | 'until-conclusive';
export const POLICIES: readonly Policy[] = ['strict', 'confident', 'until-conclusive'];
export const DEFAULT_POLICY: Policy = 'confident';

/**
 * The knobs of `tripbench load` for one step, keyed as the YAML spells them (LOAD_KNOBS in
 * src/load/loadSpec.ts gives each its flag, kind and default). Durations are nanoseconds (Go
 * time.Duration, as RunOptions.durationNs); absent = the load command's default.
 */
export type LoadSpec = LoadSpecYaml & {
  /** Path (and query) appended to the target's origin; default: the target URL's own path. */
  path?: string;
};

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
  /** Explicit, or derived from the mesh host and the target port (istio/naming.ts targetClusterName). */
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
