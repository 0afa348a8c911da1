/**
 * Terminal tables (cli-table3): the verdict of every expectation, the trip-ratio curve of a
 * sweep, and the `--dry-run` plan. Plain text without colour codes, so the same string can go
 * to a terminal, a log file or a test assertion.
 */
import Table from 'cli-table3';
import { codeCount } from '../expectEvaluate.js';
import { describeCondition } from '../expectParse.js';
import { wilson } from '../wilson.js';
import { formatInterval, formatRatio } from '../format.js';
import { loadCommand, stepUrl } from '../plan.js';
import { type InconclusiveAs, exitCodeFor, outcomeOf, tally } from '../verdict.js';
import type { StepRun } from '../types.js';
import type { ExpectationResult, StepResult } from '../results.js';

const PLAIN = { head: [] as string[], border: [] as string[] };
// One line per row: verdict tables get long, and their cells never wrap.
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function table(head: string[], opts: { colAligns?: ('left' | 'right' | 'center')[]; compact?: boolean } = {}): Table.Table {
  const { compact = true, ...rest } = opts;
  return new Table({ head, style: PLAIN, ...(compact ? { chars: COMPACT } : {}), ...rest });
}

/** A compact table still gets a rule under its (one-line) header. */
function render(t: Table.Table): string {
  const lines = t.toString().split('\n');
  const top = lines[0];
  if (top === undefined || lines.length < 3 || lines[2]?.startsWith('├')) return lines.join('\n');
  lines.splice(2, 0, top.replace('┌', '├').replace(/┬/g, '┼').replace('┐', '┤'));
  return lines.join('\n');
}

/** Why rows are undecided, one line each (one per step when the whole step did not run). */
function notes(steps: readonly StepResult[]): string[] {
  const out: string[] = [];
  for (const s of steps) {
    const notRun = s.results.find((r) => r.verdict === 'NOT RUN');
    if (s.status !== 'completed' && notRun?.reason) out.push(`  ${s.label}: ${notRun.reason}`);
    if (s.error) out.push(`  ${s.label}: ${s.error}`);
    for (const r of s.results) if (r.verdict === 'INCONCLUSIVE' && r.reason) out.push(`  ${s.label} ${r.label}: ${r.reason}`);
  }
  return out;
}

/** One row per expectation (the step label on its first row), then why undecided rows are undecided. */
export function renderVerdictTable(steps: readonly StepResult[]): string {
  const t = table(['Step', 'Expectation', 'Expected', 'Observed', '95 % interval', 'Verdict']);
  for (const s of steps) {
    const head = s.status === 'completed' ? s.label : `${s.label} (${s.status})`;
    if (s.results.length === 0) t.push([head, '(none)', '', '', '', '']);
    s.results.forEach((r, i) => {
      t.push([i === 0 ? head : '', r.label, r.expected, r.observed, r.interval ? formatInterval(r.interval) : '', r.verdict]);
    });
  }
  const n = notes(steps);
  return n.length === 0 ? render(t) : `${render(t)}\nNotes:\n${n.join('\n')}`;
}

/** "PASS 5, FAIL 1, INCONCLUSIVE 2, NOT RUN 0 → FAIL (exit 1)" */
export function renderOutcomeLine(results: readonly ExpectationResult[], inconclusiveAs: InconclusiveAs = 'inconclusive'): string {
  const c = tally(results);
  const o = outcomeOf(results, inconclusiveAs);
  return `PASS ${c.PASS}, FAIL ${c.FAIL}, INCONCLUSIVE ${c.INCONCLUSIVE}, NOT RUN ${c['NOT RUN']} → ${o} (exit ${exitCodeFor(o)})`;
}

// ---- sweep curve ----

export interface CurvePoint {
  c: number;
  calls: number;
  /** calls with the code */
  k: number;
  ratio?: number;
  interval?: [number, number];
  status: StepResult['status'];
}

/** The ratio of `code` (default 503, the breaker's answer) at each point of a sweep step. */
export function sweepCurve(steps: readonly StepResult[], step: string, code = '503'): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (const s of steps) {
    if (s.step !== step || !s.point) continue;
    const calls = s.observed?.calls ?? 0;
    const k = s.observed ? codeCount(s.observed.codes, code) : 0;
    const p: CurvePoint = { c: s.point.value, calls, k, status: s.status };
    const iv = wilson(k, calls);
    if (iv) {
      p.ratio = k / calls;
      p.interval = iv;
    }
    out.push(p);
  }
  return out;
}

/**
 * `#` fills up to the observed ratio, `[` and `]` mark the 95 % interval, over 0..1 in `width`
 * cells: "###[##]......" reads as "about 0.2, somewhere between 0.1 and 0.25".
 */
export function ratioBar(ratio: number, interval: readonly [number, number], width = 30): string {
  const cell = (x: number): number => Math.min(width - 1, Math.max(0, Math.floor(x * width)));
  const bar: string[] = Array.from({ length: width }, (_, i) => ((i + 0.5) / width <= ratio ? '#' : '.'));
  bar[cell(interval[0])] = '[';
  bar[cell(interval[1])] = ']';
  return bar.join('');
}

export function renderSweepCurve(points: readonly CurvePoint[], code = '503', width = 30): string {
  const t = table(['c', 'calls', `${code} ratio`, '95 % interval', `0 ${'-'.repeat(Math.max(0, width - 4))} 1`], {
    colAligns: ['right', 'right', 'right', 'left', 'left'],
  });
  for (const p of points) {
    if (p.ratio === undefined || !p.interval) {
      t.push([String(p.c), String(p.calls), '—', '', p.status === 'completed' ? 'no calls' : p.status]);
      continue;
    }
    t.push([String(p.c), String(p.calls), `${formatRatio(p.ratio)} (${p.k}/${p.calls})`, formatInterval(p.interval), ratioBar(p.ratio, p.interval, width)]);
  }
  return render(t);
}

// ---- dry run ----

/** What `--dry-run` prints: each run's command line, policy and expectations. */
export function renderPlanTable(runs: readonly StepRun[], target: string): string {
  const t = table(['Step', 'Load', 'Policy', 'Expectations'], { compact: false });
  for (const r of runs) {
    let policy: string = r.policy;
    if (r.repeat > 1) policy += `, repeat ${r.repeat}`;
    if (r.budget) {
      const b = r.budget;
      const parts = [b.calls !== undefined ? `${b.calls} calls` : '', b.time !== undefined ? `${b.time / 1e9}s` : '', b.batches !== undefined ? `${b.batches} batches` : ''];
      policy += `\nbudget ${parts.filter(Boolean).join(', ')}`;
    }
    const exps = r.expectations.map((e) => `${e.label} ${describeCondition(e)}`).join('\n');
    t.push([r.label, loadCommand(r.load, stepUrl(target, r.load)), policy, exps === '' ? '(none)' : exps]);
  }
  return t.toString();
}
