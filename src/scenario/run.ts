/**
 * `tripbench run` as a library: one scenario → a local rehearsal (or `--target`) → its steps in
 * order → a ScenarioResult plus every step's load results. Returns data; the caller prints and
 * writes files through the events. Never throws for what a run can meet (unreachable target,
 * unreadable admin endpoint, failed load, Ctrl-C): those become verdicts with reasons.
 */
import { connect } from 'node:net';
import { DEFAULT_TIMEOUT_MS } from '../http/options.js';
import { netScheme } from '../http/urlScheme.js';
import { grpcDestination } from '../grpc/options.js';
import { parseNetDestination } from '../netload/options.js';
import { curl } from '../http/curl.js';
import { checkTarget } from '../load/runLoad.js';
import { errorMessage } from '../shared/errors.js';
import type { Shard } from '../load/shard.js';
import type { StatsFormat } from './envoyAdmin.js';
import { loadRequestFor } from './loadRequest.js';
import { planScenario, stepUrl } from './plan.js';
import { NOT_MODELLED } from '../rehearsal/index.js';
import { startRehearsal, type Rehearsal } from './rehearsalRig.js';
import { notRunStep, runStep, type StepEnv, type StepEvents, type StepLoads } from './stepRunner.js';
import type { Scenario, StepRun } from './types.js';
import type { ScenarioResult, StepResult } from './results.js';

export interface ScenarioRun {
  scenario: Scenario;
  result: ScenarioResult;
  /** by StepResult.key */
  loads: Record<string, StepLoads>;
  /** why the target could not be reached before the first step (exit 4) */
  unreachable?: string;
}

export interface RunEvents extends StepEvents {
  /** the rehearsal is listening (local runs only) */
  onRehearsal?(scenario: Scenario, rig: Rehearsal): void;
  onStepStart?(scenario: Scenario, run: StepRun, url: string): void;
  /** after each step, before the next one starts: a good moment to write its files */
  onStepEnd?(scenario: Scenario, step: StepResult, loads: StepLoads): void | Promise<void>;
}

export interface RunScenarioOptions extends RunEvents {
  /** `--target`: run against this URL (or SCENARIO_TARGET: the scenario's own) instead of a local rehearsal */
  target?: string;
  /** `--only`: step names (already checked against the scenario) */
  only?: readonly string[];
  /** `--envoy-admin`: a URL, or false for none; undefined = the rehearsal's, else the scenario's */
  envoyAdmin?: string | false;
  statsFormat?: StatsFormat;
  signal?: AbortSignal;
  forceSignal?: AbortSignal;
  log?: StepEnv['log'];
  logErrors?: boolean;
  /** seeds the rehearsal (0 / undefined = random) */
  seed?: number;
  /** ms to wait for the reachability probe; default: the first step's -timeout */
  probeTimeoutMs?: number;
  /** `--shard i/N`: measure this share of every step, judge nothing (StepEnv.shard) */
  shard?: Shard;
  /** `-start-at`, epoch ms: the first step's timed run begins then; later steps follow on */
  startAtMs?: number;
}

/** `--target scenario`: each scenario's own `target` URL, as written (inside a cluster). */
export const SCENARIO_TARGET = 'scenario';

/**
 * `--target URL` replaces the scenario's target. A URL without a path (`http://host:8000`)
 * keeps the scenario's path and query, so one `--target` can serve a directory of scenarios;
 * `--target scenario` keeps each scenario's target as it is.
 */
export function effectiveTarget(scenarioTarget: string, override: string): string {
  if (override === SCENARIO_TARGET) return scenarioTarget;
  const o = new URL(override);
  if (o.pathname === '/' && o.search === '') {
    const s = new URL(scenarioTarget);
    return `${o.origin}${s.pathname}${s.search}`;
  }
  return override;
}

/**
 * One curl-like request: a transport failure (refused, DNS, timeout) means nothing can run; any
 * HTTP status, even a 503, is an answer, and what the scenario is about.
 */
export async function probeTarget(url: string, run: StepRun, timeoutMs?: number): Promise<string | undefined> {
  const net = netScheme(url);
  // UDP has no connection to probe: its first echo (or timeout) is the answer.
  if (net === 'udp') return undefined;
  if (net === 'tcp') return probeTcp(url, timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    const req = loadRequestFor(run.load, url, { logErrors: false });
    // a gRPC server answers when it accepts a connection: an HTTP/1.1 request would say nothing of it
    if (req.grpc.grpc) return await probeTcp(`tcp://${grpcDestination(url)}`, timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const p = await checkTarget({ options: { ...req.http, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }, warnings: req.warnings });
    const r = await curl(p.options);
    if (r.code === -1) return `${url}: ${r.error !== '' ? r.error : (r.errorKind ?? 'no answer')}`;
    return undefined;
  } catch (e) {
    return `${url}: ${errorMessage(e)}`;
  }
}

/** A tcp:// target answers when it accepts a connection (fortio's tcp runner connects first). */
function probeTcp(url: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let d;
    try {
      d = parseNetDestination(url);
    } catch (e) {
      resolve(`${url}: ${errorMessage(e)}`);
      return;
    }
    const s = connect({ host: d.host, port: d.port });
    const done = (why: string | undefined): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(why === undefined ? undefined : `${url}: ${why}`);
    };
    const timer = setTimeout(() => done(`no connection after ${timeoutMs}ms`), timeoutMs);
    s.once('connect', () => done(undefined));
    s.once('error', (e) => done(errorMessage(e)));
  });
}

function emptyResult(s: Scenario, target: string, startedAt: Date): ScenarioResult {
  return {
    scenario: s.name,
    description: s.description,
    file: s.file,
    target,
    ...(s.cluster !== undefined ? { cluster: s.cluster } : {}),
    meshYaml: s.meshYaml,
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    interrupted: false,
    steps: [],
  };
}

/** Every step NOT RUN: the target was unreachable, the run was stopped first, or the rig failed. */
function allNotRun(s: Scenario, runs: readonly StepRun[], target: string, startedAt: Date, reason: string): ScenarioResult {
  const r = emptyResult(s, target, startedAt);
  r.steps = runs.map((run) => notRunStep(run, reason));
  r.finishedAt = new Date().toISOString();
  return r;
}

export async function runScenario(s: Scenario, opts: RunScenarioOptions = {}): Promise<ScenarioRun> {
  const runs = planScenario(s, opts.only ?? []);
  const startedAt = new Date();
  const local = opts.target === undefined;
  if (opts.signal?.aborted) {
    return { scenario: s, result: allNotRun(s, runs, s.target, startedAt, 'the run was interrupted before this scenario started'), loads: {} };
  }

  let rig: Rehearsal | undefined;
  let base: string;
  if (local) {
    try {
      rig = await startRehearsal(s, opts.seed ? { seed: opts.seed } : {});
    } catch (e) {
      const why = `the local rehearsal could not start: ${errorMessage(e)}`;
      return { scenario: s, result: { ...allNotRun(s, runs, s.target, startedAt, why), unreachable: why }, loads: {}, unreachable: why };
    }
    opts.onRehearsal?.(s, rig);
    // As in a pod: the URL, Host header and SNI stay the scenario's; the connection goes to the sidecar.
    base = s.target;
  } else {
    base = effectiveTarget(s.target, opts.target as string);
  }

  try {
    const result = emptyResult(s, local ? s.target : base, startedAt);
    if (rig) {
      result.rehearsal = { url: rig.url, envoyAdmin: rig.adminUrl, istioVersion: rig.version.istio.label, envoyVersion: rig.version.envoy.label, notModelled: [...NOT_MODELLED] };
    }
    const envoyAdmin = opts.envoyAdmin === false ? undefined : (opts.envoyAdmin ?? rig?.adminUrl ?? s.envoyAdmin);
    if (envoyAdmin !== undefined) result.envoyAdmin = envoyAdmin;

    const first = runs[0];
    if (!local && first) {
      const why = await probeTarget(stepUrl(base, first.load), first, opts.probeTimeoutMs);
      if (why !== undefined) {
        const reason = `target unreachable: ${why}`;
        return { scenario: s, result: { ...allNotRun(s, runs, result.target, startedAt, reason), unreachable: reason }, loads: {}, unreachable: reason };
      }
    }

    const env: StepEnv = {
      scenario: s,
      base,
      ...(envoyAdmin !== undefined ? { envoyAdmin } : {}),
      ...(rig ? { cluster: rig.clusterName } : s.cluster !== undefined ? { cluster: s.cluster } : {}),
      ...(opts.statsFormat ? { statsFormat: opts.statsFormat } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.forceSignal ? { forceSignal: opts.forceSignal } : {}),
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.logErrors !== undefined ? { logErrors: opts.logErrors } : {}),
      ...(rig ? { intercept: { connectTo: rig.connectTo, caCert: rig.caPem } } : {}),
      ...(opts.onBatchStart ? { onBatchStart: opts.onBatchStart } : {}),
      ...(opts.onLoadStart ? { onLoadStart: opts.onLoadStart } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onBatchEnd ? { onBatchEnd: opts.onBatchEnd } : {}),
      ...(opts.shard ? { shard: opts.shard } : {}),
    };
    const loads: Record<string, StepLoads> = {};
    let interrupted = false;
    for (const run of runs) {
      if (interrupted || opts.signal?.aborted) {
        interrupted = true;
        result.steps.push(notRunStep(run, 'the run was interrupted before this step'));
        continue;
      }
      opts.onStepStart?.(s, run, stepUrl(base, run.load));
      const first = run === runs[0] && opts.startAtMs !== undefined ? { startAtMs: opts.startAtMs } : {};
      const out = await runStep({ ...env, ...first }, run);
      loads[run.key] = out.loads;
      result.steps.push(out.step);
      interrupted = out.interrupted;
      await opts.onStepEnd?.(s, out.step, out.loads);
    }
    result.interrupted = interrupted;
    result.finishedAt = new Date().toISOString();
    return { scenario: s, result, loads };
  } finally {
    await rig?.close();
  }
}
