/**
 * A sharded scenario: `run --shard i/N` processes each make their share of every step's calls
 * and judge nothing; their records (one per shard and scenario) are merged here and judged once,
 * on the merged result, exactly as one process judges its own calls: per batch the shards'
 * results are merged (mergeResults: counts exact, HDR histograms exact), the Envoy stat deltas
 * of the shards' sidecars are summed, then observe + evaluateExpectations + repeatDecision as in
 * stepRunner.ts. A merge that lacks a shard is refused: a partial merge is never a verdict.
 */
import { mergeResults } from '../merge/mergeResults.js';
import type { Shard } from '../load/shard.js';
import { encodeFortioJson, parseFortioJson } from '../report/fortioJson.js';
import type { FortioResult } from '../report/fortioResult.js';
import { UsageError, errorMessage } from '../shared/errors.js';
import { maxOf, minOf } from '../shared/arrays.js';
import { addDeltas } from './envoyStats.js';
import { evaluateExpectations } from './expectEvaluate.js';
import { loadRequestFor } from './loadRequest.js';
import { observe } from './observe.js';
import { planScenario } from './plan.js';
import type { ScenarioRun } from './run.js';
import { baseOf, judgedPercentiles, notRunStep, poolBatches, type StepLoads } from './stepRunner.js';
import type { EnvoyObserved, ScenarioResult, StepResult, StepStatus } from './results.js';
import type { Scenario, StepRun } from './types.js';
import { repeatDecision } from './verdict.js';

export const SHARD_FORMAT = 'tripbench-shard/1';

export interface ShardStep {
  key: string;
  status: StepStatus;
  /** whole batches, in order */
  batches: FortioResult[];
  /** this shard's sidecar: the stat deltas over the batches, or why they could not be read */
  envoy?: EnvoyObserved;
}

export interface ShardRecord {
  format: typeof SHARD_FORMAT;
  scenario: string;
  file: string;
  /** "i/N" */
  shard: string;
  target: string;
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  unreachable?: string;
  steps: ShardStep[];
}

/** `<scenario>/shard-<i>-of-<N>.json`, under the shard's --reports folder. */
export function shardFileName(scenario: string, shard: Shard): string {
  return `${scenario}/shard-${shard.index}-of-${shard.count}.json`;
}

export function shardRecord(run: ScenarioRun, shard: Shard): ShardRecord {
  const r = run.result;
  return {
    format: SHARD_FORMAT,
    scenario: r.scenario,
    file: r.file,
    shard: `${shard.index}/${shard.count}`,
    target: r.target,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    interrupted: r.interrupted,
    ...(r.unreachable !== undefined ? { unreachable: r.unreachable } : {}),
    steps: r.steps.map((st) => {
      const loads = run.loads[st.key];
      return { key: st.key, status: st.status, batches: loads?.batches ?? [], ...(loads?.envoy ? { envoy: loads.envoy } : {}) };
    }),
  };
}

export function renderShardRecord(rec: ShardRecord): string {
  // Each batch exactly as `tripbench load -json` writes it, so it reads back through the same parser.
  const steps = rec.steps.map((st) => ({ ...st, batches: st.batches.map((b) => JSON.parse(encodeFortioJson(b)) as unknown) }));
  return `${JSON.stringify({ ...rec, steps }, null, 2)}\n`;
}

export function parseShardRecord(text: string, source: string): ShardRecord {
  let doc: ShardRecord;
  try {
    doc = JSON.parse(text) as ShardRecord;
  } catch (e) {
    throw new UsageError(`${source}: not JSON: ${errorMessage(e)}`);
  }
  if (doc?.format !== SHARD_FORMAT) throw new UsageError(`${source}: not a shard record (format ${JSON.stringify(doc?.format)}, want ${SHARD_FORMAT})`);
  if (!/^\d+\/\d+$/.test(String(doc.shard)) || !Array.isArray(doc.steps)) throw new UsageError(`${source}: shard record without "shard" or "steps"`);
  const steps = doc.steps.map((st, k) => ({
    ...st,
    batches: (st.batches ?? []).map((b, i) => parseFortioJson(JSON.stringify(b), `${source}: steps[${k}].batches[${i}]`)),
  }));
  return { ...doc, steps };
}

function shardOf(rec: ShardRecord): Shard {
  const [index, count] = rec.shard.split('/').map(Number) as [number, number];
  return { index, count };
}

/** Every shard 0..N-1 exactly once, of one scenario; else why not (a partial merge is refused). */
export function checkShards(records: readonly ShardRecord[], scenario: string, expected?: number): void {
  if (records.length === 0) throw new UsageError(`${scenario}: no shard records to merge`);
  const counts = [...new Set(records.map((r) => shardOf(r).count))];
  if (counts.length > 1) throw new UsageError(`${scenario}: shards of different splits: ${records.map((r) => r.shard).join(', ')}`);
  const n = counts[0] as number;
  if (expected !== undefined && n !== expected) throw new UsageError(`${scenario}: the shards were split ${n} ways, ${expected} were expected`);
  const seen = records.map((r) => shardOf(r).index);
  const dup = seen.filter((i, k) => seen.indexOf(i) !== k);
  if (dup.length > 0) throw new UsageError(`${scenario}: shard ${dup.map((i) => `${i}/${n}`).join(', ')} given more than once`);
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.includes(i));
  if (missing.length > 0) throw new UsageError(`${scenario}: shard ${missing.map((i) => `${i}/${n}`).join(', ')} missing: a partial merge is not judged`);
  const other = records.find((r) => r.scenario !== scenario);
  if (other) throw new UsageError(`${scenario}: shard ${other.shard} is of scenario ${other.scenario}`);
}

/** The shards' sidecars together: deltas summed; one unreadable sidecar makes the whole unreadable. */
function sumEnvoy(steps: readonly { shard: string; step: ShardStep }[]): EnvoyObserved | undefined {
  const read = steps.filter((s) => s.step.envoy !== undefined);
  if (read.length === 0) return undefined;
  if (read.length < steps.length) return { error: `shard ${steps.filter((s) => !s.step.envoy).map((s) => s.shard).join(', ')} read no Envoy stats` };
  let cluster = '';
  let deltas: Record<string, number> = {};
  for (const { shard, step } of read) {
    const e = step.envoy as EnvoyObserved;
    if ('error' in e) return { error: `shard ${shard}: ${e.error}` };
    cluster = e.cluster;
    deltas = addDeltas(deltas, e.deltas);
  }
  return { cluster, deltas };
}

function judgeStep(run: StepRun, records: readonly ShardRecord[]): { step: StepResult; loads: StepLoads } {
  const steps = records.map((r) => ({ shard: r.shard, step: r.steps.find((st) => st.key === run.key) }));
  const absent = steps.find((s) => s.step === undefined || s.step.status !== 'completed');
  if (absent) {
    const why = absent.step ? `shard ${absent.shard} did not complete this step (${absent.step.status})` : `shard ${absent.shard} has no record of this step`;
    return { step: notRunStep(run, why), loads: { batches: [] } };
  }
  const done = steps as { shard: string; step: ShardStep }[];
  const percentiles = judgedPercentiles(run, loadRequestFor(run.load, 'http://shards.invalid/'));
  const nBatches = minOf(done.map((s) => s.step.batches.length));
  const batches: FortioResult[] = [];
  for (let b = 0; b < nBatches; b++) {
    batches.push(mergeResults(done.map((s) => ({ source: `shard ${s.shard} batch ${b + 1}`, result: s.step.batches[b] as FortioResult })), {
      percentiles,
      // Shards of one step: the same load by construction; URLs differ only when each shard ran its own local rehearsal.
      force: true,
    }).result);
  }
  const envoy = sumEnvoy(done);
  const obs = observe(batches, { percentiles, ...(envoy ? { envoy } : {}) });
  let results = evaluateExpectations(run.expectations, obs, run.policy);
  const used = { calls: obs.calls, elapsedNs: obs.duration * 1e9, batches: batches.length };
  const decision = repeatDecision(run, results, used);
  if (decision === 'budget-spent') {
    results = evaluateExpectations(run.expectations, obs, run.policy, { undecidedReason: `budget spent after ${used.calls} calls in ${used.batches} batches; the 95% interval still straddles the bound` });
  } else if (decision === 'continue') {
    results = evaluateExpectations(run.expectations, obs, run.policy, {
      undecidedReason: `the shards ran ${used.batches} batch(es) and no shard can add one for the whole (until-conclusive across shards); the 95% interval still straddles the bound`,
    });
  }
  const loads: StepLoads = { batches };
  const pooled = poolBatches(batches, loadRequestFor(run.load, 'http://shards.invalid/').run.percentiles);
  if (pooled.pooled) loads.pooled = pooled.pooled;
  if (envoy) loads.envoy = envoy;
  const step: StepResult = { ...baseOf(run), status: 'completed', observed: obs, results, ...(pooled.error ? { error: pooled.error } : {}) };
  if (decision === 'budget-spent') step.budgetSpent = true;
  return { step, loads };
}

/** The scenario's verdicts, judged once on every shard's calls merged. */
export function judgeShards(s: Scenario, records: readonly ShardRecord[], opts: { only?: readonly string[]; shards?: number } = {}): ScenarioRun {
  checkShards(records, s.name, opts.shards);
  const sorted = [...records].sort((a, b) => shardOf(a).index - shardOf(b).index);
  const first = sorted[0] as ShardRecord;
  const result: ScenarioResult = {
    scenario: s.name,
    description: s.description,
    file: s.file,
    target: first.target,
    ...(s.cluster !== undefined ? { cluster: s.cluster } : {}),
    meshYaml: s.meshYaml,
    startedAt: new Date(minOf(sorted.map((r) => Date.parse(r.startedAt)))).toISOString(),
    finishedAt: new Date(maxOf(sorted.map((r) => Date.parse(r.finishedAt)))).toISOString(),
    interrupted: sorted.some((r) => r.interrupted),
    steps: [],
  };
  const unreachable = sorted.find((r) => r.unreachable !== undefined);
  if (unreachable) result.unreachable = `shard ${unreachable.shard}: ${unreachable.unreachable as string}`;
  const loads: Record<string, StepLoads> = {};
  for (const run of planScenario(s, opts.only ?? [])) {
    const j = judgeStep(run, sorted);
    result.steps.push(j.step);
    loads[run.key] = j.loads;
  }
  return { scenario: s, result, loads, ...(result.unreachable !== undefined ? { unreachable: result.unreachable } : {}) };
}
