/**
 * One step of a scenario (or one point of a sweep): run its load in batches, snapshot the Envoy
 * stats around each batch, pool the batches and judge them after each one, until the policy
 * says stop. A batch cut short by Ctrl-C is never judged: verdicts come from whole batches only.
 */
import type { EngineProgress } from '../engine/index.js';
import type { RunPlan } from '../engine/schedule.js';
import type { EngineResults } from '../engine/results.js';
import { checkTarget, runLoad, type LoadRequest } from '../load/runLoad.js';
import { netLoadOptions, runNetLoad } from '../load/runNetLoad.js';
import { grpcLoadOptions, grpcMetadata, runGrpcLoad } from '../load/runGrpcLoad.js';
import { applyShard } from '../load/shard.js';
import { netScheme } from '../http/urlScheme.js';
import type { Shard } from '../load/shard.js';
import { mergeResults } from '../merge/mergeResults.js';
import type { FortioResult } from '../report/fortioResult.js';
import { errorMessage } from '../shared/errors.js';
import type { Level } from '../shared/log.js';
import { fetchEnvoyStats, type StatsFormat } from './envoyAdmin.js';
import { addDeltas, envoyObserved, envoyStatNames, statDeltas, type StatMap } from './envoyStats.js';
import { evaluateExpectations, notRunResults } from './expectEvaluate.js';
import { loadRequestFor, type StepLoadRequest } from './loadRequest.js';
import { neededPercentiles, observe } from './observe.js';
import { stepUrl } from './plan.js';
import type { Scenario, StepRun } from './types.js';
import type { EnvoyObserved, ExpectationResult, StepResult } from './results.js';
import { repeatDecision, type RepeatDecision } from './verdict.js';

/** The load results of one step, for the report files and the HTML page. */
export interface StepLoads {
  /** whole batches, in order: the verdicts are judged on these */
  batches: FortioResult[];
  /** a batch cut short by an interrupt or a failure: written out, never judged */
  partial?: FortioResult;
  /** the whole batches as one result (exact merge), or the only batch; absent when the merge failed (StepResult.error says why) */
  pooled?: FortioResult | undefined;
  /** the Envoy stat deltas over the whole batches (or why they could not be read): what a shard hands to the merge */
  envoy?: EnvoyObserved;
}

export interface StepContext {
  scenario: Scenario;
  run: StepRun;
  url: string;
  /** 1-based */
  batch: number;
  request: StepLoadRequest;
}

export interface StepEvents {
  onBatchStart?(ctx: StepContext): void;
  /** the plan is final: the moment `tripbench load` prints `Starting at …` */
  onLoadStart?(ctx: StepContext, plan: RunPlan, workers: number): void;
  onProgress?(ctx: StepContext, p: EngineProgress): void;
  onBatchEnd?(ctx: StepContext, result: FortioResult): void;
}

export interface StepEnv extends StepEvents {
  scenario: Scenario;
  /** the target URL whose path a step may replace */
  base: string;
  /** where `/stats` is read; undefined = nowhere (Envoy expectations become INCONCLUSIVE) */
  envoyAdmin?: string;
  cluster?: string;
  statsFormat?: StatsFormat;
  signal?: AbortSignal;
  forceSignal?: AbortSignal;
  log?: { level?: Level; json?: boolean };
  logErrors?: boolean;
  /**
   * `run --shard i/N`: this process makes its share of every batch and judges nothing; the
   * merge (shards.ts) judges all shards' calls together. The step then runs its `repeat`
   * batches: until-conclusive cannot add batches when no shard sees the whole.
   */
  shard?: Shard;
  /** `-start-at`, epoch ms: the first batch's timed run begins then (engine/startAt.ts) */
  startAtMs?: number;
  /** a local rehearsal's interception: connect to its sidecar (host:port) and trust its CA (PEM) */
  intercept?: { connectTo: string; caCert: string };
}

/** A shard's step: measured, judged only once every shard's calls are merged. */
export const SHARD_NOT_JUDGED = 'a shard only measures: the merge of all shards judges this step';

export interface StepOutcome {
  step: StepResult;
  loads: StepLoads;
  /** the run was stopped during this step */
  interrupted: boolean;
}

export function baseOf(run: StepRun): Pick<StepResult, 'step' | 'key' | 'label' | 'policy' | 'point'> {
  return { step: run.step, key: run.key, label: run.label, policy: run.policy, ...(run.point ? { point: run.point } : {}) };
}

/** A step that never ran: every expectation NOT RUN, with the reason. */
export function notRunStep(run: StepRun, reason: string): StepResult {
  return { ...baseOf(run), status: 'not-run', results: notRunResults(run.expectations, reason) };
}

function stopped(r: { engine: { stopReason: string } }): boolean {
  return r.engine.stopReason === 'stopped' || r.engine.stopReason === 'forced';
}

/** Deltas worth keeping: what the expectations read, and every stat that moved. */
function keptDeltas(all: Record<string, number>, cluster: string, asked: readonly string[]): Record<string, number> {
  const wanted = new Set(asked.flatMap((n) => [n, `cluster.${cluster}.${n}`]));
  return Object.fromEntries(Object.entries(all).filter(([k, v]) => v !== 0 || wanted.has(k)));
}

/**
 * The whole batches as one result, for `<key>.json`. A merge that fails (batches that disagree
 * on what mergeResults requires to agree) is reported, never dropped: the verdicts do not depend
 * on it (observe() pools counts and histograms itself), but the files and the reader must say so.
 */
export function poolBatches(batches: readonly FortioResult[], percentiles: readonly number[]): { pooled?: FortioResult; error?: string } {
  if (batches.length <= 1) return batches[0] ? { pooled: batches[0] } : {};
  try {
    return { pooled: mergeResults(batches.map((result, i) => ({ source: `batch${i + 1}`, result })), { percentiles }).result };
  } catch (e) {
    return { error: `the ${batches.length} batches could not be pooled into one result (${errorMessage(e)}); the verdicts were judged on the batches, whose files are kept` };
  }
}

/** The percentiles a step is judged and reported on: the expectations' and the run's -p list (so verdicts.json carries p50…p99.9 for history and metrics). */
export function judgedPercentiles(run: StepRun, request: StepLoadRequest): number[] {
  return [...new Set([...request.run.percentiles, ...neededPercentiles(run.expectations)])];
}

/** What one batch needs besides the step's request: the hooks and the per-batch run options. */
type BatchRequest = Pick<LoadRequest, 'run' | 'shard' | 'labels' | 'signal' | 'forceSignal' | 'onStart' | 'beforeTimedRun' | 'onProgress' | 'log'>;
type BatchRunner = (b: BatchRequest) => Promise<{ result: FortioResult; engine: EngineResults }>;

/**
 * The step's load as fortio_main.go dispatches it: fortio's gRPC runner for a `grpc` load, its
 * tcp/udp echo runner for a tcp:// or udp:// target, else its HTTP runner. The echo result keeps
 * its own shape (fortio's TCP/UDP JSON); what the verdicts read of it (RetCodes, the histograms,
 * SocketCount, ActualDuration) has the same names and meaning as in an HTTP result.
 */
async function batchRunner(request: StepLoadRequest, url: string): Promise<BatchRunner> {
  if (request.grpc.grpc) {
    // The rehearsal's CA is for an https:// target: a plaintext gRPC target stays h2c through the sidecar.
    const http = url.startsWith('https://') ? request.http : { ...request.http, caCert: '' };
    const grpc = grpcLoadOptions(url, request.grpc, http, request.run);
    const metadata = grpcMetadata(http);
    return async (b) => {
      const { shard, ...rest } = b;
      const outcome = await runGrpcLoad({ ...rest, run: applyShard(b.run, shard ?? null), grpc, metadata });
      return { result: outcome.result as unknown as FortioResult, engine: outcome.engine };
    };
  }
  if (netScheme(url) !== undefined) {
    const net = netLoadOptions(url, request.http);
    return async (b) => {
      const { shard, ...rest } = b;
      const outcome = await runNetLoad({ ...rest, run: applyShard(b.run, shard ?? null), net });
      return { result: outcome.result as unknown as FortioResult, engine: outcome.engine };
    };
  }
  const prepared = await checkTarget({ options: request.http, warnings: request.warnings });
  return (b) => runLoad({ ...b, http: request.http, urlTyped: url }, prepared);
}

export async function runStep(env: StepEnv, run: StepRun): Promise<StepOutcome> {
  const url = stepUrl(env.base, run.load);
  const loads: StepLoads = { batches: [] };
  const asked = envoyStatNames(run.expectations);
  const cluster = env.cluster;
  const admin = env.envoyAdmin !== undefined && cluster !== undefined ? env.envoyAdmin : undefined;
  const snapshot = (): Promise<StatMap | Error> =>
    fetchEnvoyStats(admin as string, { format: env.statsFormat ?? 'text', cluster: cluster as string, names: asked });

  let request: StepLoadRequest;
  let runBatch: BatchRunner;
  try {
    request = loadRequestFor(run.load, url, env.logErrors === undefined ? {} : { logErrors: env.logErrors });
    if (env.intercept) request.http = { ...request.http, connectTo: env.intercept.connectTo, caCert: env.intercept.caCert };
    runBatch = await batchRunner(request, url);
  } catch (e) {
    return { step: notRunStep(run, `the load could not start: ${errorMessage(e)}`), loads, interrupted: false };
  }

  let deltas: Record<string, number> | Error = {};
  let results: ExpectationResult[] = [];
  let decision: RepeatDecision = 'continue';
  let interrupted = false;
  let failure: string | undefined;
  const t0 = performance.now();
  const envoyNow = (): EnvoyObserved | undefined =>
    admin === undefined ? undefined : deltas instanceof Error ? envoyObserved(cluster as string, deltas) : envoyObserved(cluster as string, keptDeltas(deltas, cluster as string, asked));
  const percentiles = judgedPercentiles(run, request);
  const judge = (reason?: string): ExpectationResult[] => {
    const envoy = envoyNow();
    const obs = observe(loads.batches, { percentiles, ...(envoy ? { envoy } : {}) });
    return evaluateExpectations(run.expectations, obs, run.policy, reason ? { undecidedReason: reason } : {});
  };

  while (decision === 'continue') {
    if (env.signal?.aborted) {
      interrupted = true;
      break;
    }
    const ctx: StepContext = { scenario: env.scenario, run, url, batch: loads.batches.length + 1, request };
    // Read at the timed run's start, after the warmup: fortio's counts leave warmup calls out.
    let before: StatMap | Error | undefined;
    const reading = admin !== undefined && !(deltas instanceof Error);
    env.onBatchStart?.(ctx);
    let outcome;
    try {
      outcome = await runBatch({
          run: env.startAtMs !== undefined && loads.batches.length === 0 ? { ...request.run, startAtMs: env.startAtMs } : request.run,
          ...(env.shard ? { shard: env.shard } : {}),
          labels: `${env.scenario.name} ${run.label}`,
          ...(env.signal ? { signal: env.signal } : {}),
          ...(env.forceSignal ? { forceSignal: env.forceSignal } : {}),
          onStart: (plan, workers) => env.onLoadStart?.(ctx, plan, workers),
          ...(reading
            ? {
                beforeTimedRun: async () => {
                  before = await snapshot();
                },
              }
            : {}),
          onProgress: (p) => env.onProgress?.(ctx, p),
          ...(env.log ? { log: env.log } : {}),
        });
    } catch (e) {
      failure = errorMessage(e);
      break;
    }
    env.onBatchEnd?.(ctx, outcome.result);
    if (stopped(outcome)) {
      loads.partial = outcome.result;
      interrupted = true;
      break;
    }
    // A whole batch whose start was never read (cannot happen unless the engine skips its hook): say so.
    if (reading && before === undefined) deltas = new Error('the Envoy stats were not read at the start of a batch');
    else if (before !== undefined) {
      const after: StatMap | Error = before instanceof Error ? before : await snapshot();
      if (after instanceof Error) deltas = after;
      else if (!(deltas instanceof Error)) deltas = addDeltas(deltas, statDeltas(before as StatMap, after, cluster as string, asked));
    }
    loads.batches.push(outcome.result);
    if (env.shard) {
      decision = loads.batches.length >= Math.max(1, run.repeat) ? 'done' : 'continue';
      continue;
    }
    results = judge();
    const used = { calls: loads.batches.reduce((a, r) => a + (r.DurationHistogram?.Count ?? 0), 0), elapsedNs: (performance.now() - t0) * 1e6, batches: loads.batches.length };
    decision = repeatDecision(run, results, used);
    if (decision === 'budget-spent') results = judge(`budget spent after ${used.calls} calls in ${used.batches} batches; the 95% interval still straddles the bound`);
  }

  const pooled = poolBatches(loads.batches, request.run.percentiles);
  if (pooled.pooled) loads.pooled = pooled.pooled;
  const base: Pick<StepResult, 'step' | 'key' | 'label' | 'policy' | 'point' | 'error'> = baseOf(run);
  if (pooled.error) base.error = pooled.error;
  const enough = loads.batches.length >= Math.max(1, run.repeat);
  if (!enough) {
    const reason = failure
      ? `the load failed: ${failure}`
      : loads.partial
        ? 'the run was interrupted during this step'
        : 'the run was interrupted before this step';
    const step: StepResult = { ...base, status: interrupted ? 'interrupted' : 'not-run', results: notRunResults(run.expectations, reason) };
    const partial = loads.partial ? observe(loads.partial, { percentiles }) : undefined;
    if (partial && partial.calls > 0) step.observed = partial;
    return { step, loads, interrupted };
  }
  const envoy = envoyNow();
  if (envoy) loads.envoy = envoy;
  if (env.shard) {
    const step: StepResult = { ...base, status: 'completed', observed: observe(loads.batches, { percentiles, ...(envoy ? { envoy } : {}) }), results: notRunResults(run.expectations, SHARD_NOT_JUDGED) };
    return { step, loads, interrupted };
  }
  if (decision === 'continue') {
    // Stopped between batches (or by a failure) with enough whole batches to judge.
    results = judge(failure ? `the step stopped early: ${failure}` : 'the run was interrupted before the step was conclusive');
  }
  const step: StepResult = {
    ...base,
    status: decision === 'continue' && interrupted ? 'interrupted' : 'completed',
    observed: observe(loads.batches, { percentiles, ...(envoy ? { envoy } : {}) }),
    results,
  };
  if (decision === 'budget-spent') step.budgetSpent = true;
  return { step, loads, interrupted };
}
