/**
 * Scenario results as Prometheus text exposition (format 0.0.4): what node_exporter's textfile
 * collector reads from `*.prom` files and what the Pushgateway accepts, so a scheduled chaos
 * check shows up on dashboards and can alert. One sample per series, no timestamps (the
 * collector and the Pushgateway refuse them); `tripbench_run_timestamp_seconds` says when.
 *
 * Verdicts are a state set: every expectation has one series per possible verdict, 1 for the
 * current one and 0 for the rest, so `tripbench_expectation_verdict{verdict="FAIL"} == 1` alerts
 * and a verdict change never leaves a stale 1 behind.
 */
import type { ExpectationResult, ScenarioResult, StepResult, Verdict } from '../scenario/results.js';
import { OUTCOMES, runExitCode, scenarioOutcome, type InconclusiveAs } from '../scenario/verdict.js';
import { pushAll } from '../shared/arrays.js';

export const VERDICTS: readonly Verdict[] = ['PASS', 'FAIL', 'INCONCLUSIVE', 'NOT RUN'];
/**
 * Quantiles exported as tripbench_latency_seconds (observed percentile keys are String(p)). A
 * `quantile` label is only legal on a summary, so the family is one, with `_sum` and `_count`
 * over the step's calls: `tripbench_latency_seconds{quantile="0.99"}` reads as before.
 */
const QUANTILES: readonly (readonly [string, string])[] = [
  ['50', '0.5'],
  ['90', '0.9'],
  ['99', '0.99'],
];

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
  /** a summary's `_sum` / `_count` lines belong to its family */
  suffix?: '_sum' | '_count';
}
interface Family {
  name: string;
  type: 'gauge' | 'counter' | 'summary';
  help: string;
  samples: Sample[];
}

/** Label values: backslash, double quote and line feed are escaped (exposition format rules). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go's strconv.FormatFloat(v, 'g', -1, 64) spellings for the specials, shortest digits otherwise. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatFamily(f: Family): string {
  if (f.samples.length === 0) return '';
  let s = `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
  for (const x of f.samples) {
    const ls = Object.entries(x.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
    s += `${f.name}${x.suffix ?? ''}${ls.length > 0 ? `{${ls.join(',')}}` : ''} ${formatValue(x.value)}\n`;
  }
  return s;
}

function stepLabels(sr: ScenarioResult, st: StepResult): Labels {
  return { scenario: sr.scenario, step: st.key };
}

function expectationSamples(sr: ScenarioResult, st: StepResult, e: ExpectationResult): { verdict: Sample[]; value: Sample[] } {
  const base = { ...stepLabels(sr, st), expectation: e.id };
  return {
    verdict: VERDICTS.map((v) => ({ labels: { ...base, verdict: v }, value: e.verdict === v ? 1 : 0 })),
    value: e.value !== undefined && Number.isFinite(e.value) ? [{ labels: base, value: e.value }] : [],
  };
}

/**
 * The step's observed codes plus every exact code its expectations name (`codes.503`,
 * `counts.-1`) at 0: a breaker that stops tripping must read as a 503 ratio of 0, not as a
 * series that vanishes, which no `< 0.25` alert would ever fire on.
 */
function codesWithExpected(st: StepResult, observed: Record<string, number>): Record<string, number> {
  const out = { ...observed };
  for (const e of st.results) {
    const m = /^(?:codes|counts)\.(-1|\d{3})$/.exec(e.id);
    if (m && out[m[1] as string] === undefined) out[m[1] as string] = 0;
  }
  return out;
}

function sortedCodes(codes: Record<string, number>): string[] {
  return Object.keys(codes).sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export interface ExpositionOptions {
  /** how INCONCLUSIVE counts in tripbench_scenario_outcome (as `tripbench run --inconclusive-as`) */
  inconclusiveAs?: InconclusiveAs;
}

/** The text exposition of every scenario's result; empty input gives an empty string. */
export function renderPrometheus(results: readonly ScenarioResult[], opts: ExpositionOptions = {}): string {
  const fam = (name: string, type: Family['type'], help: string): Family => ({ name, type, help, samples: [] });
  const outcome = fam('tripbench_scenario_outcome', 'gauge', 'Outcome of the scenario run: 1 for the current outcome, 0 for the others.');
  const runTs = fam('tripbench_run_timestamp_seconds', 'gauge', 'When the scenario run finished, in seconds since the epoch.');
  const runDur = fam('tripbench_run_duration_seconds', 'gauge', 'Wall time of the scenario run.');
  const verdict = fam('tripbench_expectation_verdict', 'gauge', 'Verdict of each expectation: 1 for the current verdict, 0 for the others.');
  const value = fam('tripbench_expectation_observed', 'gauge', 'The observed number each expectation was judged on (ratio, count, seconds, qps).');
  const ratio = fam('tripbench_observed_ratio', 'gauge', 'Share of the step\'s calls that got each status code (-1 = transport error).');
  const exit = fam('tripbench_run_exit_code', 'gauge', 'Exit code tripbench run gives for this scenario: 0 PASS, 1 FAIL, 3 INCONCLUSIVE, 4 UNREACHABLE.');
  const latency = fam('tripbench_latency_seconds', 'summary', 'Latency percentiles of the step\'s calls.');
  const calls = fam('tripbench_calls_total', 'counter', 'Calls the step made (over every batch).');
  const codes = fam('tripbench_codes_total', 'counter', 'Calls of the step by status code (-1 = transport error).');
  const envoy = fam('tripbench_envoy_stat_delta', 'gauge', 'Change of an Envoy cluster stat over the step (after - before).');

  for (const sr of results) {
    const ia = opts.inconclusiveAs ?? 'inconclusive';
    const o = scenarioOutcome(sr, ia);
    for (const x of OUTCOMES) outcome.samples.push({ labels: { scenario: sr.scenario, outcome: x }, value: o === x ? 1 : 0 });
    exit.samples.push({ labels: { scenario: sr.scenario }, value: runExitCode([sr], ia) });
    const end = Date.parse(sr.finishedAt);
    const start = Date.parse(sr.startedAt);
    if (Number.isFinite(end)) runTs.samples.push({ labels: { scenario: sr.scenario }, value: end / 1000 });
    if (Number.isFinite(end) && Number.isFinite(start)) runDur.samples.push({ labels: { scenario: sr.scenario }, value: (end - start) / 1000 });
    for (const st of sr.steps) {
      const sl = stepLabels(sr, st);
      for (const e of st.results) {
        const s = expectationSamples(sr, st, e);
        pushAll(verdict.samples, s.verdict);
        pushAll(value.samples, s.value);
      }
      const ob = st.observed;
      if (!ob) continue;
      calls.samples.push({ labels: sl, value: ob.calls });
      const stepCodes = codesWithExpected(st, ob.codes);
      for (const c of sortedCodes(stepCodes)) {
        const n = stepCodes[c] as number;
        codes.samples.push({ labels: { ...sl, code: c }, value: n });
        if (ob.calls > 0) ratio.samples.push({ labels: { ...sl, code: c }, value: n / ob.calls });
      }
      const lat = ob.latency;
      if (lat && ob.calls > 0) {
        for (const [key, q] of QUANTILES) {
          const v = lat.percentiles[key];
          if (v !== undefined && Number.isFinite(v)) latency.samples.push({ labels: { ...sl, quantile: q }, value: v });
        }
        latency.samples.push({ labels: sl, value: lat.avg * ob.calls, suffix: '_sum' }, { labels: sl, value: ob.calls, suffix: '_count' });
      }
      if (ob.envoy && 'deltas' in ob.envoy) {
        for (const stat of Object.keys(ob.envoy.deltas).sort()) {
          envoy.samples.push({ labels: { ...sl, cluster: ob.envoy.cluster, stat }, value: ob.envoy.deltas[stat] as number });
        }
      }
    }
  }
  return [outcome, exit, runTs, runDur, verdict, value, ratio, latency, calls, codes, envoy].map(formatFamily).join('');
}
