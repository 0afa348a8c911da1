/**
 * The numbers printed beside the charts (calls, qps, latency percentiles, code ratios) and the
 * comparison of several runs. Plain data with display strings, shared by the HTML page and the
 * text comparison of `tripbench report A B`.
 */
import type { FortioResult } from '../report/fortioResult.js';
import { SOURCE_LABEL } from '../report/latencyPercentiles.js';
import { formatNumber, formatRatio, formatSeconds } from '../scenario/format.js';
import { formatRatioChange, ratioChange } from '../scenario/newcombe.js';
import { type LatencySource, latencyAt, sortedCodes } from './chartData.js';
import { maxOf } from '../shared/arrays.js';

export const SUMMARY_PERCENTILES: readonly number[] = [50, 75, 90, 99, 99.9];

export interface CodeShare {
  code: string;
  count: number;
  /** of all calls */
  ratio: number;
}

export interface ResultSummary {
  calls: number;
  /** seconds */
  duration: number;
  qps: number;
  threads: number;
  sockets: number;
  codes: CodeShare[];
  /** transport failure kinds behind code -1 (tripbench results only) */
  errorKinds: Record<string, number>;
  latency?: {
    /** seconds */
    min: number;
    avg: number;
    max: number;
    percentiles: { p: number; seconds: number }[];
    source: LatencySource;
  };
  interrupted: boolean;
}

/** RetCodes is the denominator of every ratio; the histogram count covers files without it. */
export function callsOf(r: FortioResult): number {
  const byCode = Object.values(r.RetCodes).reduce((a, b) => a + b, 0);
  return byCode > 0 ? byCode : r.DurationHistogram.Count;
}

export function resultSummary(r: FortioResult): ResultSummary {
  const calls = callsOf(r);
  const codes = sortedCodes(r.RetCodes).map((code) => {
    const count = r.RetCodes[code] ?? 0;
    return { code, count, ratio: calls > 0 ? count / calls : 0 };
  });
  const s: ResultSummary = {
    calls,
    duration: r.ActualDuration / 1e9,
    qps: r.ActualQPS,
    threads: r.NumThreads,
    sockets: r.SocketCount,
    codes,
    errorKinds: { ...(r.Tripbench?.ErrorKinds ?? {}) },
    interrupted: r.Tripbench?.Interrupted === true,
  };
  const d = r.DurationHistogram;
  const at = latencyAt(r, SUMMARY_PERCENTILES);
  if (d.Count > 0 && at) {
    s.latency = {
      min: d.Min,
      avg: d.Avg,
      max: d.Max,
      percentiles: SUMMARY_PERCENTILES.map((p, i) => ({ p, seconds: at.seconds[i] ?? 0 })),
      source: at.source,
    };
  }
  return s;
}

// ---- comparison ----

export interface CompareRow {
  metric: string;
  /** per run, for display */
  values: string[];
  /** per run after the first: "×1.25" for magnitudes, "+0.150 [+0.020, +0.270] changed" for ratios; "" when undefined */
  change: string[];
}

function times(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(a > 0)) return '';
  return `×${formatNumber(Number((b / a).toPrecision(3)))}`;
}

/** A ratio's change with its 95 % interval (Newcombe): "changed" only when that excludes 0. */
function ratioDiff(a: { k: number; n: number } | undefined, b: { k: number; n: number } | undefined): string {
  if (a === undefined || b === undefined) return '';
  const c = ratioChange(a.k, a.n, b.k, b.n);
  return c ? formatRatioChange(c) : '';
}

/** "HDR", "fortio buckets", or both when the runs differ (then the change compares two methods). */
function sourcesLabel(sums: readonly ResultSummary[]): string {
  const seen = [...new Set(sums.flatMap((s) => (s.latency ? [SOURCE_LABEL[s.latency.source]] : [])))];
  return seen.length === 0 ? '' : ` (${seen.join(' / ')})`;
}

/** Rows comparing each run with the first: counts, qps, latency percentiles, code ratios. */
export function compareRows(results: readonly FortioResult[]): CompareRow[] {
  const sums = results.map(resultSummary);
  const rows: CompareRow[] = [];
  const row = (metric: string, get: (s: ResultSummary) => number | undefined, show: (v: number) => string, change: typeof times): void => {
    const vs = sums.map(get);
    const base = vs[0];
    rows.push({ metric, values: vs.map((v) => (v === undefined ? '—' : show(v))), change: vs.slice(1).map((v) => change(base, v)) });
  };
  row('calls', (s) => s.calls, String, times);
  row('qps', (s) => s.qps, (v) => formatNumber(Number(v.toPrecision(5))), times);
  row('min', (s) => s.latency?.min, formatSeconds, times);
  row('avg', (s) => s.latency?.avg, formatSeconds, times);
  const est = sourcesLabel(sums);
  for (const [i, p] of SUMMARY_PERCENTILES.entries()) row(`p${p}${est}`, (s) => s.latency?.percentiles[i]?.seconds, formatSeconds, times);
  row('max', (s) => s.latency?.max, formatSeconds, times);
  const codes = new Set<string>();
  for (const s of sums) for (const c of s.codes) codes.add(c.code);
  const all: Record<string, number> = {};
  for (const c of codes) all[c] = 1;
  for (const code of sortedCodes(all)) {
    const shareOf = (s: ResultSummary): number | undefined => (s.calls > 0 ? (s.codes.find((c) => c.code === code)?.ratio ?? 0) : undefined);
    const vs = sums.map(shareOf);
    const kn = sums.map((s) => (s.calls > 0 ? { k: s.codes.find((c) => c.code === code)?.count ?? 0, n: s.calls } : undefined));
    rows.push({
      metric: `code ${code} ratio`,
      values: sums.map((s, i) => {
        const v = vs[i];
        return v === undefined ? '—' : `${formatRatio(v)} (${s.codes.find((c) => c.code === code)?.count ?? 0}/${s.calls})`;
      }),
      change: kn.slice(1).map((v) => ratioDiff(kn[0], v)),
    });
  }
  return rows;
}

/** The comparison as an aligned text table, for the terminal. */
export function formatCompareText(labels: readonly string[], rows: readonly CompareRow[]): string {
  const head = ['', ...labels, ...labels.slice(1).map((_, i) => (labels.length === 2 ? 'change' : `change ${i + 2}`))];
  const body = rows.map((r) => [r.metric, ...r.values, ...r.change]);
  const widths = head.map((h, i) => Math.max(h.length, maxOf(body.map((b) => (b[i] ?? '').length))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)].join('\n') + '\n';
}
