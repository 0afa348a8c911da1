/**
 * Load results → the series the report's charts draw. All numbers are computed here, in Node, so
 * the browser script only maps them onto uPlot and tests can check the data without a browser.
 * Latencies are milliseconds: the unit fortio's web UI shows.
 */
import type { FortioResult } from '../report/fortioResult.js';
import { type PercentileSource, latencyPercentiles } from '../report/latencyPercentiles.js';
import type { HistogramData } from '../stats/fortioHistogram.js';
import { maxOf, minOf } from '../shared/arrays.js';

// ---- chart specs (embedded as JSON, read by client.ts) ----

export interface HistogramChart {
  kind: 'histogram';
  /** bucket edges in ms, ascending; a series' value at x[i] holds until x[i + 1] */
  x: number[];
  series: { label: string; color: string; values: number[]; title?: string }[];
  /** cumulative % of calls at each x (first series), for the right-hand axis as in fortio's UI */
  cumulative?: number[];
  /** what the values are: calls per bucket, or % of the series' calls (for comparing runs) */
  unit: 'calls' | '%';
  logX: boolean;
}

export interface PercentileChart {
  kind: 'percentiles';
  /** 1 / (1 - p/100): 1 = p0, 10 = p90, … 10000 = p99.99, drawn on a log axis */
  x: number[];
  /** where the x axis ends: the last point any series resolves (see resolvedX) */
  xMax: number;
  /** title: the full name behind a short label, shown on hover over the legend */
  series: { label: string; color: string; values: (number | null)[]; title?: string }[];
  /** 'ms' latencies, or '×' latency ratios of a run to the first one */
  unit: 'ms' | '×';
  /** log latency axis: the tail is 100× the head or more (stalls, timeouts), else p0–p99 is a flat line */
  logY: boolean;
}

export interface CodesChart {
  kind: 'codes';
  codes: string[];
  counts: number[];
  colors: string[];
  total: number;
}

export interface QpsChart {
  kind: 'qps';
  /** seconds since the start */
  t: number[];
  qps: number[];
}

export interface SweepChart {
  kind: 'sweep';
  code: string;
  c: number[];
  ratio: (number | null)[];
  lo: (number | null)[];
  hi: (number | null)[];
  /** accepted range of the ratio at each point, when a ratio expectation names one */
  expected: ([number, number] | null)[];
}

export type ChartSpec = HistogramChart | PercentileChart | CodesChart | QpsChart | SweepChart;

/** Series colours in order: distinct for colour-blind readers (Okabe–Ito). */
export const PALETTE: readonly string[] = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#000000', '#f0e442'];

export function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length] as string;
}

// ---- latency histogram ----

interface Span {
  start: number;
  end: number;
  count: number;
}

/**
 * fortio's buckets as spans in ms. A bucket whose start equals its end (one call, every call with
 * the same latency, or a minimum sitting on a bucket edge) gets a width of 2 % of its value, taken
 * from whichever side is free, so it shows without covering its neighbour.
 */
function spans(h: HistogramData): Span[] {
  const buckets = (h.Data ?? []).filter((b) => b.Count > 0).map((b) => ({ start: b.Start * 1000, end: b.End * 1000, count: b.Count }));
  return buckets.map((b, i) => {
    if (b.end > b.start) return b;
    const v = b.start;
    const w = Math.max(Math.abs(v) * 0.02, 1e-6);
    const prevEnd = buckets[i - 1]?.end ?? -Infinity;
    const nextStart = buckets[i + 1]?.start ?? Infinity;
    if (v - w >= prevEnd) return { ...b, start: v - w, end: v };
    if (v + w <= nextStart) return { ...b, start: v, end: v + w };
    return { ...b, start: Math.max(prevEnd, v - w / 2), end: Math.min(nextStart, v + w / 2) };
  });
}

function valueAt(ss: readonly Span[], x: number): number {
  for (const s of ss) if (x >= s.start && x < s.end) return s.count;
  return 0;
}

/** Log x when the buckets span two decades or more (a 1-hour run with stalls, timeouts). */
function wantsLogX(xs: readonly number[]): boolean {
  const pos = xs.filter((x) => x > 0);
  if (pos.length < 2 || pos.length < xs.length) return false;
  return maxOf(pos) / minOf(pos) >= 100;
}

/**
 * Overlaid histograms on the union of their bucket edges. With unit '%' each series is divided by
 * its own call count, so runs of different sizes compare.
 */
export function histogramChart(
  hists: readonly { label: string; color: string; data: HistogramData; title?: string }[],
  unit: 'calls' | '%',
  opts: { cumulative?: boolean } = {},
): HistogramChart | undefined {
  const all = hists.map((h) => ({ ...h, spans: spans(h.data) })).filter((h) => h.spans.length > 0);
  if (all.length === 0) return undefined;
  const edges = new Set<number>();
  for (const h of all) for (const s of h.spans) edges.add(s.start).add(s.end);
  const x = [...edges].sort((a, b) => a - b);
  const series = all.map((h) => {
    const total = h.spans.reduce((a, s) => a + s.count, 0);
    const values = x.map((v) => valueAt(h.spans, v)).map((n) => (unit === '%' ? (100 * n) / total : n));
    return { label: h.label, color: h.color, values, ...(h.title !== undefined ? { title: h.title } : {}) };
  });
  const chart: HistogramChart = { kind: 'histogram', x, series, unit, logX: wantsLogX(x) };
  const first = all[0];
  if (first && opts.cumulative) {
    const total = first.spans.reduce((a, s) => a + s.count, 0);
    // Cumulative % rises linearly inside a bucket: fortio's own percentile interpolation.
    chart.cumulative = x.map((v) => {
      let below = 0;
      for (const s of first.spans) {
        if (v >= s.end) below += s.count;
        else if (v > s.start) below += (s.count * (v - s.start)) / (s.end - s.start);
      }
      return Math.min(100, (100 * below) / total);
    });
  }
  return chart;
}

// ---- percentile curve ----

const CURVE_POINTS = 100;
/** Highest percentile drawn: 99.99, where x = 10^4. */
const CURVE_DECADES = 4;

/** The x grid shared by every percentile series, so several runs overlay on one chart. */
export const PERCENTILE_X: readonly number[] = Array.from({ length: CURVE_POINTS + 1 }, (_, i) => 10 ** ((CURVE_DECADES * i) / CURVE_POINTS));

export function percentileOfX(x: number): number {
  return 100 * (1 - 1 / x);
}

export type LatencySource = PercentileSource;

export interface PercentileCurve {
  /** ms at each PERCENTILE_X point; null past the last one the calls resolve */
  values: (number | null)[];
  source: LatencySource;
  /** the calls behind the curve */
  calls: number;
}

/**
 * The highest x = 1 / (1 − p) that n calls resolve: p(1 − 1/n), x = n. Beyond it the estimate is
 * the largest call repeated, a flat line that would look like data.
 */
export function resolvedX(calls: number): number {
  return Math.max(1, calls);
}

/** The percentile the last drawn point of a curve of n calls stands for (the grid point at or below x = n). */
export function lastResolvedPercentile(calls: number): number {
  const xs = PERCENTILE_X.filter((x) => x <= resolvedX(calls) * (1 + 1e-9));
  return percentileOfX(xs[xs.length - 1] ?? 1);
}

/**
 * Latency (seconds) at each percentile, by the one estimator of src/report/latencyPercentiles.ts
 * (HDR when the result carries it, else fortio's buckets), so the page shows what the verdicts judged.
 */
export function latencyAt(r: FortioResult, ps: readonly number[]): { seconds: number[]; source: LatencySource } | undefined {
  const at = latencyPercentiles(r, ps);
  return at && !('note' in at) ? { seconds: at.seconds, source: at.source } : undefined;
}

export function percentileCurve(r: FortioResult): PercentileCurve | undefined {
  const calls = r.DurationHistogram.Count;
  const resolved = PERCENTILE_X.filter((x) => x <= resolvedX(calls) * (1 + 1e-9));
  const at = latencyAt(r, resolved.map(percentileOfX));
  return at && { values: PERCENTILE_X.map((_, i) => (i < resolved.length ? (at.seconds[i] as number) * 1000 : null)), source: at.source, calls };
}

/** The x axis ends at the last point some series has a value for (x = 10, p90, at least). */
function lastX(series: readonly { values: readonly (number | null)[] }[]): number {
  let last = 0;
  for (const s of series) for (let i = s.values.length - 1; i > last; i--) if (s.values[i] !== null) last = i;
  return Math.max(10, PERCENTILE_X[last] ?? 1);
}

type NamedCurve = { label: string; color: string; curve: PercentileCurve; title?: string };

export function percentileChart(curves: readonly NamedCurve[]): PercentileChart | undefined {
  if (curves.length === 0) return undefined;
  const all = curves.flatMap((c) => c.curve.values).filter((v): v is number => v !== null);
  const pos = all.filter((v) => v > 0);
  const logY = pos.length > 0 && pos.length === all.length && maxOf(pos) / minOf(pos) >= 100;
  const series = curves.map((c) => ({ label: c.label, color: c.color, values: c.curve.values, ...(c.title !== undefined ? { title: c.title } : {}) }));
  return { kind: 'percentiles', x: [...PERCENTILE_X], xMax: lastX(series), unit: 'ms', logY, series };
}

/** Each later curve divided by the first, percentile by percentile: "B is 3× slower at p99". */
export function percentileRatioChart(curves: readonly NamedCurve[]): PercentileChart | undefined {
  const [base, ...rest] = curves;
  if (!base || rest.length === 0) return undefined;
  const series = rest.map((c) => ({
    label: `${c.label} / ${base.label}`,
    color: c.color,
    values: c.curve.values.map((v, i) => {
      const b = base.curve.values[i];
      return v !== null && b !== undefined && b !== null && b > 0 ? v / b : null;
    }),
  }));
  return { kind: 'percentiles', x: [...PERCENTILE_X], xMax: lastX(series), unit: '×', logY: false, series };
}

// ---- status codes ----

/** -1 first, then numerically; keys that are not numbers (hand-edited files) last, as written. */
export function sortedCodes(codes: Record<string, number>): string[] {
  const num = (k: string): number => (/^-?\d+$/.test(k) ? Number(k) : Infinity);
  return Object.keys(codes).sort((a, b) => num(a) - num(b));
}

export function codeColor(code: string): string {
  if (code === '-1') return '#7a5195';
  if (code === '503') return '#d62728';
  const c = Number(code);
  if (c >= 200 && c < 300) return '#2ca02c';
  if (c >= 300 && c < 400) return '#1f77b4';
  if (c >= 400 && c < 500) return '#ff7f0e';
  if (c >= 500 && c < 600) return '#8c1c13';
  return '#17becf';
}

export function codesChart(r: FortioResult): CodesChart | undefined {
  const codes = sortedCodes(r.RetCodes).filter((c) => (r.RetCodes[c] ?? 0) > 0);
  if (codes.length === 0) return undefined;
  const counts = codes.map((c) => r.RetCodes[c] ?? 0);
  return { kind: 'codes', codes, counts, colors: codes.map(codeColor), total: counts.reduce((a, b) => a + b, 0) };
}

// ---- qps over time ----

/** `Tripbench.QpsOverTime` (`[{t, qps}]`), when a run recorded it; malformed entries are dropped. */
export function qpsChart(r: FortioResult): QpsChart | undefined {
  const raw = r.Tripbench?.['QpsOverTime'];
  if (!Array.isArray(raw)) return undefined;
  const pts = raw
    .filter((p): p is { t: number; qps: number } => typeof p === 'object' && p !== null && Number.isFinite((p as { t?: unknown }).t) && Number.isFinite((p as { qps?: unknown }).qps))
    .map((p) => ({ t: p.t, qps: p.qps }))
    .sort((a, b) => a.t - b.t);
  if (pts.length === 0) return undefined;
  return { kind: 'qps', t: pts.map((p) => p.t), qps: pts.map((p) => p.qps) };
}
