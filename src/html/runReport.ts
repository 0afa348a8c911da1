/**
 * The page of a `tripbench run`: per scenario the outcome, the verdict table with each ratio
 * drawn against its accepted range, the trip-ratio curve of sweeps, the Istio resources under
 * test; then every step's load charts. Pure: results in, one HTML string out.
 */
import type { FortioResult } from '../report/fortioResult.js';
import { formatInterval } from '../scenario/format.js';
import { sweepCurve } from '../scenario/render/table.js';
import type { ScenarioResult, StepResult, Verdict } from '../scenario/results.js';
import { type InconclusiveAs, type Outcome, RunExit, allResults, combineOutcomes, countsAsFailure, scenarioOutcome, tally } from '../scenario/verdict.js';
import { type SweepChart, paletteColor, percentileChart, percentileCurve } from './chartData.js';
import { escapeHtml, slug } from './escape.js';
import { titleAttr } from './labels.js';
import { expectedRange, ratioGauge } from './gauge.js';
import { ChartSet, renderPage } from './page.js';
import { compareBlock } from './resultReport.js';
import { resultSection } from './sections.js';

export interface RunHtmlInput {
  scenarios: readonly ScenarioResult[];
  /**
   * Each step's load result by `StepResult.key` ("c2", "sweep.c3"). With several scenarios in one
   * run, `stepResultKey(scenario, key)` is looked up first. Steps without an entry show no charts.
   */
  steps: Readonly<Record<string, FortioResult>>;
  /**
   * Per scenario (same index as `scenarios`), its steps' load results by `StepResult.key`, looked
   * up before `steps`: two runs of one scenario (`tripbench report RUN_A RUN_B`) have the same
   * scenario and step names, so only their position tells their results apart.
   */
  scenarioSteps?: readonly (Readonly<Record<string, FortioResult>> | undefined)[];
  /** names of the scenario runs (run folder names), for the comparison of runs of one scenario */
  runLabels?: readonly string[];
  /** the full name (path) of each run, shown on hover where its short label stands */
  runSources?: readonly string[];
  /** `--inconclusive`: what INCONCLUSIVE and NOT RUN count as (default 'inconclusive') */
  inconclusiveAs?: InconclusiveAs;
  /** the code whose ratio the sweep curves show (default 503, the breaker's answer) */
  curveCode?: string;
  title?: string;
  /** tripbench version for the footer */
  version?: string;
}

export function stepResultKey(scenario: string, key: string): string {
  return `${scenario}/${key}`;
}

function verdictClass(v: Verdict | Outcome): string {
  return v.replace(/ /g, '-');
}

function verdictBadge(v: Verdict | Outcome, extra = ''): string {
  return `<span class="verdict v-${verdictClass(v)}">${escapeHtml(v)}${escapeHtml(extra)}</span>`;
}

function verdictTable(sr: ScenarioResult, ia: InconclusiveAs): string {
  const head = ['Step', 'Expectation', 'Expected', 'Observed', '95 % interval', 'Ratio vs accepted range', 'Verdict'];
  let html = `<table class="verdicts"><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  for (const s of sr.steps) {
    const step = s.status === 'completed' ? s.label : `${s.label} (${s.status})`;
    if (s.results.length === 0) html += `<tr><td>${escapeHtml(step)}</td><td colspan="6" class="muted">(no expectations)</td></tr>`;
    s.results.forEach((r, i) => {
      const reason = r.reason && r.verdict !== 'PASS' && r.verdict !== 'FAIL' ? `<br><span class="caption">${escapeHtml(r.reason)}</span>` : '';
      const failing = r.verdict !== 'FAIL' && countsAsFailure(r.verdict, ia) ? ' (counts as FAIL)' : '';
      html +=
        `<tr class="row-${verdictClass(r.verdict)}" data-step="${escapeHtml(s.key)}" data-expectation="${escapeHtml(r.id)}">` +
        `<td>${i === 0 ? escapeHtml(step) : ''}</td><td>${escapeHtml(r.label)}</td><td>${escapeHtml(r.expected)}</td>` +
        `<td>${escapeHtml(r.observed)}${reason}</td><td class="num">${r.interval ? escapeHtml(formatInterval(r.interval)) : ''}</td>` +
        `<td>${ratioGauge(r)}</td><td>${verdictBadge(r.verdict, failing)}</td></tr>`;
    });
  }
  html += '</table>';
  html +=
    '<p class="caption">Ratio column: green box = accepted range, whisker = 95 % Wilson interval of the observed ratio, dot = observed ratio (0 to 1).</p>';
  return html;
}

/**
 * An unreachable target: one banner says why, and the table lists what would have been judged
 * (no observed, interval or gauge columns: there is nothing to put in them).
 */
function unreachableBlock(sr: ScenarioResult, reason: string): string {
  let html = `<div class="banner unreachable" role="alert"><strong>UNREACHABLE: nothing ran (exit ${RunExit.UNREACHABLE}).</strong> ${escapeHtml(reason)}</div>`;
  html += `<table class="verdicts planned"><tr>${['Step', 'Expectation', 'Expected', 'Verdict'].map((h) => `<th>${h}</th>`).join('')}</tr>`;
  for (const s of sr.steps) {
    s.results.forEach((r, i) => {
      html +=
        `<tr class="row-${verdictClass(r.verdict)}" data-step="${escapeHtml(s.key)}" data-expectation="${escapeHtml(r.id)}">` +
        `<td>${i === 0 ? escapeHtml(s.label) : ''}</td><td>${escapeHtml(r.label)}</td><td>${escapeHtml(r.expected)}</td><td>${verdictBadge(r.verdict)}</td></tr>`;
    });
  }
  return `${html}</table>`;
}

/** The sweep's trip-ratio curve: observed ratio, its 95 % band, and accepted ranges per point. */
export function sweepChart(steps: readonly StepResult[], step: string, code: string): SweepChart | undefined {
  const pts = sweepCurve(steps, step, code);
  if (pts.length === 0) return undefined;
  const points = steps.filter((s) => s.step === step && s.point);
  return {
    kind: 'sweep',
    code,
    c: pts.map((p) => p.c),
    ratio: pts.map((p) => p.ratio ?? null),
    lo: pts.map((p) => p.interval?.[0] ?? null),
    hi: pts.map((p) => p.interval?.[1] ?? null),
    expected: pts.map((p) => {
      const s = points.find((x) => x.point?.value === p.c);
      const r = s?.results.find((e) => e.kind === 'ratio' && e.id === `codes.${code}`);
      return (r && expectedRange(r)) ?? null;
    }),
  };
}

function sweepSections(sr: ScenarioResult, code: string, charts: ChartSet, idHint: string): string {
  const names = [...new Set(sr.steps.filter((s) => s.point).map((s) => s.step))];
  return names
    .map((name) => {
      const spec = sweepChart(sr.steps, name, code);
      if (!spec) return '';
      const title = `Trip-ratio curve: ${name} (${code} ratio vs concurrency)`;
      const caption = 'line: observed ratio; shaded band: 95 % Wilson interval; green boxes: accepted range at that point';
      return `<div class="charts">${charts.add(spec, title, `${idHint}-sweep-${name}`, caption)}</div>`;
    })
    .join('\n');
}

function lookup(input: RunHtmlInput, index: number, s: StepResult): FortioResult | undefined {
  const sr = input.scenarios[index] as ScenarioResult;
  return input.scenarioSteps?.[index]?.[s.key] ?? input.steps[stepResultKey(sr.scenario, s.key)] ?? input.steps[s.key];
}

function latencyOverlay(input: RunHtmlInput, index: number, charts: ChartSet, idHint: string): string {
  const sr = input.scenarios[index] as ScenarioResult;
  const curves = sr.steps.flatMap((s, i) => {
    const r = lookup(input, index, s);
    const curve = r && percentileCurve(r);
    return curve ? [{ label: s.label, color: paletteColor(i), curve }] : [];
  });
  if (curves.length < 2) return '';
  const spec = percentileChart(curves);
  if (!spec) return '';
  const title = 'Latency by percentile, every step';
  return `<div class="charts">${charts.add(spec, title, `${idHint}-steps-pct`, 'a breaker that queues shows as a rising tail')}</div>`;
}

function stepSection(input: RunHtmlInput, index: number, s: StepResult, charts: ChartSet, idHint: string): string {
  const t = tally(s.results);
  const chips = (['PASS', 'FAIL', 'INCONCLUSIVE', 'NOT RUN'] as const)
    .filter((v) => t[v] > 0)
    .map((v) => verdictBadge(v, ` ${t[v]}`))
    .join(' ');
  const status = s.status === 'completed' ? '' : ` <span class="muted">(${escapeHtml(s.status)})</span>`;
  let html = `<section class="step" id="step-${slug(idHint)}"><h3>${escapeHtml(s.label)}${status} ${chips}</h3>`;
  if (s.budgetSpent) html += '<p class="note">The call budget ran out before every ratio check was decided.</p>';
  const r = lookup(input, index, s);
  if (r) html += resultSection(r, charts, idHint, s.label);
  else if (s.status === 'not-run') html += '<p class="no-data">This step did not run.</p>';
  else html += '<p class="no-data">No load result was given for this step.</p>';
  return `${html}</section>`;
}

function scenarioSection(input: RunHtmlInput, sr: ScenarioResult, index: number, charts: ChartSet): string {
  const ia = input.inconclusiveAs ?? 'inconclusive';
  const code = input.curveCode ?? '503';
  const outcome = scenarioOutcome(sr, ia);
  const t = tally(allResults(sr));
  const id = `s${index}-${sr.scenario}`;
  const run = runTag(input, index);
  let html = `<section class="scenario" id="scenario-${slug(id)}"><h2>${escapeHtml(sr.scenario)}${run} ${verdictBadge(outcome)}</h2>`;
  if (sr.description.trim() !== '') html += `<p>${escapeHtml(sr.description.trim()).replace(/\n/g, '<br>')}</p>`;
  const facts = [`target <code>${escapeHtml(sr.target)}</code>`];
  if (sr.cluster) facts.push(`cluster <code>${escapeHtml(sr.cluster)}</code>`);
  if (sr.file !== '') facts.push(`file <code>${escapeHtml(sr.file)}</code>`);
  facts.push(`ran <code>${escapeHtml(sr.startedAt)}</code> to <code>${escapeHtml(sr.finishedAt)}</code>`);
  facts.push(`PASS ${t.PASS} · FAIL ${t.FAIL} · INCONCLUSIVE ${t.INCONCLUSIVE} · NOT RUN ${t['NOT RUN']}`);
  html += `<p class="facts">${facts.join(' · ')}</p>`;
  const r = sr.rehearsal;
  if (r?.istioVersion !== undefined) {
    html += `<p class="note">Local rehearsal: emulated Istio <code>${escapeHtml(r.istioVersion)}</code> (Envoy <code>${escapeHtml(r.envoyVersion ?? '?')}</code>). Not modelled: ${escapeHtml((r.notModelled ?? []).join('; '))}.</p>`;
  }
  const mesh = sr.meshYaml.trim() === '' ? '' : `<details class="mesh" open><summary><strong>Istio resources under test</strong></summary><pre>${escapeHtml(sr.meshYaml.trimEnd())}</pre></details>`;
  // Nothing ran: no step sections, no charts, nothing that would only say "no data" again.
  if (sr.unreachable !== undefined) return `${html}${unreachableBlock(sr, sr.unreachable)}${mesh}</section>`;
  if (sr.interrupted) html += '<p class="note">The run was interrupted: steps that did not finish are marked NOT RUN.</p>';
  html += verdictTable(sr, ia);
  html += sweepSections(sr, code, charts, id);
  html += mesh;
  html += latencyOverlay(input, index, charts, id);
  html += `<h3>Steps</h3>`;
  html += sr.steps.map((s) => stepSection(input, index, s, charts, `${id}-${s.key}`)).join('\n');
  return `${html}</section>`;
}

/** The run's short label beside its scenario's name, the full path on hover. */
function runTag(input: RunHtmlInput, index: number): string {
  const label = input.runLabels?.[index];
  return label === undefined ? '' : ` <span class="muted"${titleAttr(label, input.runSources?.[index], escapeHtml)}>${escapeHtml(label)}</span>`;
}

/** A run's name in the comparison: its label, else when it started. */
function runLabel(input: RunHtmlInput, index: number): string {
  return input.runLabels?.[index] ?? input.scenarios[index]?.startedAt ?? `run ${index + 1}`;
}

/**
 * Runs of the same scenario compared step by step with the first of them (the baseline):
 * overlaid percentile curves, latency ratios and code ratios, as `report A.json B.json` does for
 * single results. Empty when no scenario appears twice.
 */
function runsComparison(input: RunHtmlInput, charts: ChartSet): string {
  const groups = new Map<string, number[]>();
  input.scenarios.forEach((sr, i) => groups.set(sr.scenario, [...(groups.get(sr.scenario) ?? []), i]));
  let html = '';
  for (const [name, idx] of groups) {
    if (idx.length < 2) continue;
    const keys: StepResult[] = [];
    for (const i of idx) for (const s of input.scenarios[i]?.steps ?? []) if (!keys.some((k) => k.key === s.key)) keys.push(s);
    for (const step of keys) {
      const have = idx.flatMap((i) => {
        const s = input.scenarios[i]?.steps.find((x) => x.key === step.key);
        const r = s && lookup(input, i, s);
        return r ? [{ r, label: runLabel(input, i), source: input.runSources?.[i] }] : [];
      });
      if (have.length < 2) continue;
      html += `<h3>${escapeHtml(name)} · ${escapeHtml(step.label)}</h3>`;
      html += compareBlock(have.map((h) => h.r), have.map((h) => h.label), charts, `cmp-${name}-${step.key}`, have.map((h) => h.source));
    }
  }
  return html === '' ? '' : `<section class="comparison"><h2>Comparison of runs</h2>${html}</section>`;
}

export function renderRunHtml(input: RunHtmlInput): string {
  const ia = input.inconclusiveAs ?? 'inconclusive';
  const charts = new ChartSet();
  const names = input.scenarios.map((s) => s.scenario);
  const title = input.title ?? `tripbench run: ${names.join(', ') || 'no scenario'}`;
  const overall = combineOutcomes(input.scenarios.map((s) => scenarioOutcome(s, ia)));
  let body = `<h1>${escapeHtml(title)} ${input.scenarios.length > 0 ? verdictBadge(overall) : ''}</h1>`;
  if (input.scenarios.length > 1) {
    body += '<ul>' + input.scenarios.map((s, i) => `<li><a href="#scenario-${slug(`s${i}-${s.scenario}`)}">${escapeHtml(s.scenario)}</a>${runTag(input, i)} ${verdictBadge(scenarioOutcome(s, ia))}</li>`).join('') + '</ul>';
  }
  body += runsComparison(input, charts);
  body += input.scenarios.map((sr, i) => scenarioSection(input, sr, i, charts)).join('\n');
  return renderPage({ title, body, charts, ...(input.version ? { version: input.version } : {}) });
}
