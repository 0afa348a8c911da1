/**
 * The GitHub-flavoured Markdown summary ($GITHUB_STEP_SUMMARY): outcome first, then one table
 * row per expectation, sweep curves, and the mesh policy folded away beside the results.
 */
import { formatInterval, formatRatio } from '../format.js';
import { type InconclusiveAs, RunExit, allResults, combineOutcomes, countsAsFailure, runExitCode, scenarioOutcome, tally } from '../verdict.js';
import type { Outcome } from '../verdict.js';
import type { ScenarioResult, Verdict } from '../results.js';
import { sweepCurve } from './table.js';
import { pushAll } from '../../shared/arrays.js';

export interface MarkdownOptions {
  inconclusiveAs?: InconclusiveAs;
  /** status code whose ratio the sweep curves show (default 503) */
  curveCode?: string;
}

const ICON: Record<Verdict | Outcome, string> = { PASS: '✅', FAIL: '❌', INCONCLUSIVE: '⚠️', 'NOT RUN': '⏭️', UNREACHABLE: '⛔' };

/** Table cells: pipes would split the cell (also inside code spans), newlines would end the row. */
export function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function code(s: string): string {
  return `\`${s.replace(/`/g, 'ˋ')}\``;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function verdictCell(v: Verdict, ia: InconclusiveAs): string {
  // Under --inconclusive fail an INCONCLUSIVE row is a failure for the gate; say so in the cell.
  const failing = v !== 'FAIL' && countsAsFailure(v, ia);
  return `${ICON[v]} ${v}${failing ? ' (counts as FAIL)' : ''}`;
}

function scenarioSection(sr: ScenarioResult, opts: MarkdownOptions): string[] {
  const ia = opts.inconclusiveAs ?? 'inconclusive';
  const outcome = scenarioOutcome(sr, ia);
  const t = tally(allResults(sr));
  const out: string[] = [`## ${ICON[outcome]} ${code(sr.scenario)}: ${outcome}`, ''];
  if (sr.description.trim() !== '') pushAll(out, sr.description.trim().split('\n').map((l) => `> ${l}`)).push('');
  const facts = [`target ${code(sr.target)}`];
  if (sr.cluster) facts.push(`cluster ${code(sr.cluster)}`);
  facts.push(`PASS ${t.PASS}`, `FAIL ${t.FAIL}`, `INCONCLUSIVE ${t.INCONCLUSIVE}`, `NOT RUN ${t['NOT RUN']}`);
  out.push(facts.join(' · '), '');
  // One line says why nothing ran; the rows below list what would have been judged, without repeating it.
  if (sr.unreachable !== undefined) out.push(`**Nothing ran** (exit ${RunExit.UNREACHABLE}): ${mdCell(sr.unreachable)}`, '');
  if (sr.interrupted) out.push('**The run was interrupted**: steps that did not finish are marked NOT RUN.', '');
  out.push(row(['Step', 'Expectation', 'Expected', 'Observed', '95 % interval', 'Verdict']), row(Array(6).fill('---')));
  for (const s of sr.steps) {
    const step = s.status === 'completed' ? s.label : `${s.label} (${s.status})`;
    if (s.results.length === 0) out.push(row([mdCell(step), '(none)', '', '', '', '']));
    for (const r of s.results) {
      const why = r.reason && r.verdict !== 'PASS' && r.verdict !== 'FAIL' && sr.unreachable === undefined;
      const obs = why ? `${r.observed} (${r.reason})` : r.observed;
      out.push(
        row([mdCell(step), mdCell(r.label), mdCell(r.expected), mdCell(obs), r.interval ? formatInterval(r.interval) : '', verdictCell(r.verdict, ia)]),
      );
    }
  }
  out.push('');
  const sweeps = [...new Set(sr.steps.filter((s) => s.point).map((s) => s.step))];
  const codeSel = opts.curveCode ?? '503';
  for (const name of sweeps) {
    out.push(`### Trip-ratio curve: ${code(name)} (${codeSel} ratio vs concurrency)`, '');
    out.push(row(['c', 'calls', `${codeSel} ratio`, '95 % interval']), row(['---:', '---:', '---:', '---']));
    for (const p of sweepCurve(sr.steps, name, codeSel)) {
      if (p.ratio === undefined || !p.interval) out.push(row([String(p.c), String(p.calls), '—', p.status === 'completed' ? 'no calls' : p.status]));
      else out.push(row([String(p.c), String(p.calls), `${formatRatio(p.ratio)} (${p.k}/${p.calls})`, formatInterval(p.interval)]));
    }
    out.push('');
  }
  if (sr.meshYaml.trim() !== '') {
    out.push('<details><summary>Mesh policy under test</summary>', '', '```yaml', sr.meshYaml.trimEnd(), '```', '', '</details>', '');
  }
  return out;
}

export function renderMarkdownSummary(scenarios: readonly ScenarioResult[], opts: MarkdownOptions = {}): string {
  const ia = opts.inconclusiveAs ?? 'inconclusive';
  const out: string[] = [];
  if (scenarios.length > 1) {
    const o = combineOutcomes(scenarios.map((s) => scenarioOutcome(s, ia)));
    const code = runExitCode(scenarios, ia);
    out.push(`# ${ICON[o]} tripbench: ${o} (exit ${code})`, '');
  }
  for (const s of scenarios) pushAll(out, scenarioSection(s, opts));
  return out.join('\n');
}
