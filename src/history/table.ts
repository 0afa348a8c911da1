/**
 * The `tripbench history` table: one row per past run (oldest first), one column per step with
 * its trip ratio and p99, and a last row with each step's range over the runs, so a scheduled
 * check's drift (a breaker tripping more often, latency creeping up) shows at a glance.
 */
import Table from 'cli-table3';
import { formatSeconds } from '../scenario/format.js';
import { formatRatioChange, ratioChange } from '../scenario/newcombe.js';
import type { HistoryRun, HistoryStep } from './readRuns.js';
import { maxOf, minOf } from '../shared/arrays.js';

export interface HistoryTableOptions {
  /** the trip code shown, for the header line */
  code: string;
  /** only these steps (a key, or a sweep step's name for all its points) */
  steps?: readonly string[];
}

const PLAIN = { head: [] as string[], border: [] as string[] };
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function pct(r: number): string {
  return `${(100 * r).toFixed(1)}%`;
}

function stepCell(s: HistoryStep | undefined): string {
  if (!s) return '';
  if (s.status === 'not-run') return 'not run';
  const parts = [s.tripRatio === undefined ? 'no calls' : pct(s.tripRatio)];
  if (s.p99 !== undefined) parts.push(formatSeconds(s.p99));
  if (s.outcome === 'FAIL') parts.push('FAIL');
  else if (s.outcome === 'INCONCLUSIVE') parts.push('INC');
  if (s.status === 'interrupted') parts.push('(interrupted)');
  return parts.join(' ');
}

function verdictCell(r: HistoryRun): string {
  const c = r.counts;
  if (!c) return '';
  const parts = [`${c.PASS} pass`];
  if (c.FAIL > 0) parts.push(`${c.FAIL} fail`);
  if (c.INCONCLUSIVE > 0) parts.push(`${c.INCONCLUSIVE} inc`);
  if (c['NOT RUN'] > 0) parts.push(`${c['NOT RUN']} not run`);
  return parts.join(', ');
}

/** "2026-11-25 17:28:22Z" from the ISO start, else the folder name. */
function when(r: HistoryRun): string {
  const t = r.startedAt ? Date.parse(r.startedAt) : NaN;
  if (Number.isNaN(t)) return r.id;
  return new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function wanted(key: string, filter: readonly string[] | undefined): boolean {
  return !filter || filter.length === 0 || filter.some((f) => key === f || key.startsWith(`${f}.`));
}

function range(xs: readonly number[], fmt: (x: number) => string): string {
  if (xs.length === 0) return '';
  const lo = minOf(xs);
  const hi = maxOf(xs);
  return lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`;
}

/** The newest run's trip ratio against the oldest's, among the runs where the step made calls. */
function changeCell(runs: readonly HistoryRun[], key: string): string {
  const steps = runs.flatMap((r) => r.steps.filter((s) => s.key === key && s.status !== 'not-run' && s.calls > 0));
  const first = steps[0];
  const last = steps.at(-1);
  if (!first || !last || first === last) return '';
  const c = ratioChange(first.tripped, first.calls, last.tripped, last.calls);
  return c ? formatRatioChange(c) : '';
}

export function renderHistoryTable(runs: readonly HistoryRun[], opts: HistoryTableOptions): string {
  const keys: string[] = [];
  const labels = new Map<string, string>();
  for (const r of runs) {
    for (const s of r.steps) {
      if (!wanted(s.key, opts.steps) || labels.has(s.key)) continue;
      keys.push(s.key);
      labels.set(s.key, s.label);
    }
  }
  const head = ['Run', 'Outcome', 'Verdicts', ...keys.map((k) => labels.get(k) as string)];
  const t = new Table({ head, style: PLAIN, chars: COMPACT });
  for (const r of runs) {
    if (r.error) {
      t.push([r.id, { colSpan: head.length - 1, content: r.error }]);
      continue;
    }
    const outcome = `${r.outcome ?? ''}${r.interrupted ? ' (interrupted)' : ''}`;
    t.push([when(r), outcome, verdictCell(r), ...keys.map((k) => stepCell(r.steps.find((s) => s.key === k)))]);
  }
  if (runs.filter((r) => !r.error).length > 1 && keys.length > 0) {
    const cells = keys.map((k) => {
      const steps = runs.flatMap((r) => r.steps.filter((s) => s.key === k && s.status !== 'not-run'));
      const ratios = steps.flatMap((s) => (s.tripRatio === undefined ? [] : [s.tripRatio]));
      const p99s = steps.flatMap((s) => (s.p99 === undefined ? [] : [s.p99]));
      return [range(ratios, pct), range(p99s, formatSeconds)].filter((x) => x !== '').join(' ');
    });
    const runsWith = runs.filter((r) => !r.error);
    const fails = runsWith.filter((r) => r.outcome === 'FAIL').length;
    const dead = runsWith.filter((r) => r.outcome === 'UNREACHABLE').length;
    t.push(['range', `${fails}/${runsWith.length} FAIL${dead > 0 ? `, ${dead} UNREACHABLE` : ''}`, '', ...cells]);
    t.push(['change', 'newest − oldest', '', ...keys.map((k) => changeCell(runs, k))]);
  }
  const lines = t.toString().split('\n');
  // A compact table still gets a rule under its header, and one above the range row.
  const top = lines[0] ?? '';
  const rule = top.replace('┌', '├').replace(/┬/g, '┼').replace('┐', '┤');
  if (lines.length >= 3) lines.splice(2, 0, rule);
  const summary = runs.filter((r) => !r.error).length > 1 && keys.length > 0;
  // above the range row (the change row and the bottom border follow it)
  if (summary) lines.splice(lines.length - 3, 0, rule);
  const n = runs.length;
  const caption = `${n} run${n === 1 ? '' : 's'}, oldest first. Each step: share of calls answered ${opts.code}, p99 latency; FAIL/INC when an expectation of the step failed / stayed inconclusive.`;
  const after = summary
    ? `p99: HDR histogram, or fortio's buckets for results without HDR data. change: the newest run's share minus the oldest's, with its 95 % interval (Newcombe); "changed" only when the interval excludes 0.\n`
    : '';
  return `${caption}\n${lines.join('\n')}\n${after}`;
}
