/**
 * The page for load results outside a scenario: one result (`tripbench report R.json -o x.html`)
 * or a comparison of several (`tripbench report A.json B.json -o cmp.html`), the first being
 * the baseline every ratio refers to.
 */
import type { FortioResult } from '../report/fortioResult.js';
import { histogramChart, paletteColor, percentileChart, percentileCurve, percentileRatioChart } from './chartData.js';
import { escapeHtml } from './escape.js';
import { titleAttr } from './labels.js';
import { ChartSet, emptyChart, renderPage } from './page.js';
import { resultSection } from './sections.js';
import { compareRows } from './summary.js';

export interface ResultHtmlOptions {
  title?: string;
  /** each result's full name (its path), shown on hover where the short label stands */
  sources?: readonly string[];
  /** tripbench version for the footer (tests pin it) */
  version?: string;
}

/**
 * Several results compared with the first: the table of counts, percentiles and code ratios,
 * then overlaid percentile curves, their ratio to the baseline and the histograms. `idHint`
 * keeps chart ids apart when a page holds several comparisons (one per step of a run).
 */
export function compareBlock(results: readonly FortioResult[], labels: readonly string[], charts: ChartSet, idHint = 'cmp', sources: readonly (string | undefined)[] = []): string {
  const named = (i: number): { label: string; title?: string } => {
    const label = labels[i] ?? `run ${i + 1}`;
    const full = sources[i];
    return full !== undefined && full !== label ? { label, title: full } : { label };
  };
  const curves = results.flatMap((r, i) => {
    const curve = percentileCurve(r);
    return curve ? [{ ...named(i), color: paletteColor(i), curve }] : [];
  });
  const out: string[] = [];
  const pct = percentileChart(curves);
  const pctTitle = 'Latency by percentile, overlaid';
  out.push(pct ? charts.add(pct, pctTitle, `${idHint}-pct`, 'log axis; each curve ends where its calls stop resolving percentiles, about p(1 − 1/calls); HDR data where the result has it') : emptyChart(pctTitle, 'no run made any call'));
  const ratio = percentileRatioChart(curves);
  if (ratio) out.push(charts.add(ratio, `Latency ratio to ${labels[0] ?? 'the first run'}`, `${idHint}-ratio`, 'above ×1: slower than the baseline at that percentile'));
  const hist = histogramChart(
    results.map((r, i) => ({ ...named(i), color: paletteColor(i), data: r.DurationHistogram })),
    '%',
  );
  if (hist) out.push(charts.add(hist, 'Latency histograms, % of each run', `${idHint}-hist`, "fortio's buckets, normalised so runs of different sizes compare"));

  const rows = compareRows(results);
  const base = labels[0] ?? 'run 1';
  let table = '<table class="compare"><tr><th></th>';
  const tip = (i: number): string => titleAttr(labels[i] ?? '', sources[i], escapeHtml);
  table += labels.map((l, i) => `<th${tip(i)}>${escapeHtml(l)}</th>`).join('');
  table += labels.slice(1).map((l, i) => `<th${tip(i + 1)}>${escapeHtml(`${l} vs ${base}`)}</th>`).join('');
  table += '</tr>';
  for (const r of rows) {
    table += `<tr><th>${escapeHtml(r.metric)}</th>${r.values.map((v) => `<td class="num">${escapeHtml(v)}</td>`).join('')}`;
    table += `${r.change.map((v) => `<td class="num">${escapeHtml(v)}</td>`).join('')}</tr>`;
  }
  table += '</table>';
  return `${table}<p class="caption">×: the run's value divided by ${escapeHtml(base)}'s; ratios of codes: difference to ${escapeHtml(base)}'s with its 95 % interval (Newcombe), "changed" only when the interval excludes 0; percentiles name their estimator.</p><div class="charts">${out.join('\n')}</div>`;
}

/**
 * One result, or several compared with the first. `labels` name them (file names, usually);
 * missing labels fall back to the result's own Labels field.
 */
export function renderResultHtml(results: readonly FortioResult[], labels: readonly string[] = [], opts: ResultHtmlOptions = {}): string {
  if (results.length === 0) throw new Error('renderResultHtml needs at least one result');
  const names = results.map((r, i) => labels[i] ?? (r.Labels !== '' ? r.Labels : `run ${i + 1}`));
  const charts = new ChartSet();
  const title = opts.title ?? (results.length === 1 ? `tripbench: ${names[0] ?? ''}` : `tripbench: ${names.join(' vs ')}`);
  let body = `<h1>${escapeHtml(title)}</h1>`;
  const sources = opts.sources ?? [];
  if (results.length > 1) body += `<h2>Comparison</h2>${compareBlock(results, names, charts, 'cmp', sources)}`;
  results.forEach((r, i) => {
    const name = names[i] ?? '';
    const heading = results.length > 1 ? `<h2${titleAttr(name, sources[i], escapeHtml)}><span class="swatch" style="background:${paletteColor(i)}"></span>${escapeHtml(name)}</h2>` : '';
    const labelLine = r.Labels !== '' && r.Labels !== name ? `<p class="facts">labels <code>${escapeHtml(r.Labels)}</code></p>` : '';
    body += `<section class="result">${heading}${labelLine}${resultSection(r, charts, `r${i}`, name)}</section>`;
  });
  return renderPage({ title, body, charts, ...(opts.version ? { version: opts.version } : {}) });
}
