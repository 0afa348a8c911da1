/**
 * HTML fragments shared by the run page and the result page: one load result's facts, numbers
 * and charts. Every string from the result is escaped here.
 */
import type { FortioResult } from '../report/fortioResult.js';
import { formatNumber, formatRatio, formatSeconds } from '../scenario/format.js';
import { codeColor, codesChart, histogramChart, lastResolvedPercentile, paletteColor, percentileChart, percentileCurve, qpsChart } from './chartData.js';
import { escapeHtml } from './escape.js';
import { type ChartSet, emptyChart } from './page.js';
import { resultSummary } from './summary.js';
import { isNetResult } from '../report/fortioNetResult.js';
import { isGrpcResult } from '../report/fortioGrpcResult.js';

const ERROR_COLOR = '#d62728';

function fact(name: string, value: string): string {
  return `${escapeHtml(name)} <code>${escapeHtml(value)}</code>`;
}

/** One line of who/what/when: URL, start, threads, duration, qps. */
export function resultFacts(r: FortioResult): string {
  const s = resultSummary(r);
  const parts: string[] = [];
  // a tcp://, udp:// or gRPC step's result names its Destination, fortio's field for those runners
  const dest = isNetResult(r) || isGrpcResult(r);
  const url = dest ? r.Destination : r.URL;
  if (url !== '') parts.push(fact(dest ? 'destination' : 'URL', url));
  if (r.StartTime !== '') parts.push(fact('started', r.StartTime));
  parts.push(fact('threads', String(s.threads)));
  parts.push(fact('duration', formatSeconds(s.duration)));
  parts.push(fact('qps', formatNumber(Number(s.qps.toPrecision(5)))));
  if (r.RequestedQPS !== '') parts.push(fact('requested qps', r.RequestedQPS));
  if (r.RequestedDuration !== '') parts.push(fact('requested', r.RequestedDuration));
  parts.push(fact('sockets', String(s.sockets)));
  if (r.Version !== '') parts.push(fact('by', r.Version));
  return `<p class="facts">${parts.join(' · ')}</p>`;
}

/** Latency figures and status codes as small tables. */
export function resultTables(r: FortioResult): string {
  const s = resultSummary(r);
  let html = '';
  if (s.latency) {
    const l = s.latency;
    const heads = ['calls', 'min', 'avg', ...l.percentiles.map((p) => `p${p.p}`), 'max'];
    const cells = [String(s.calls), formatSeconds(l.min), formatSeconds(l.avg), ...l.percentiles.map((p) => formatSeconds(p.seconds)), formatSeconds(l.max)];
    const src = l.source === 'hdr' ? 'percentiles from the HDR histogram (3 significant digits)' : "percentiles interpolated in fortio's buckets (no HDR data in this result)";
    html += `<table class="latency"><tr>${heads.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
    html += `<tr>${cells.map((c) => `<td class="num">${escapeHtml(c)}</td>`).join('')}</tr></table><p class="caption">${escapeHtml(src)}</p>`;
  } else {
    html += `<p class="no-data">No call completed: there is no latency to show.</p>`;
  }
  if (s.codes.length > 0) {
    const kinds = Object.entries(s.errorKinds)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const kindHead = kinds === '' ? '' : '<th>failures</th>';
    html += `<table class="codes"><tr><th>code</th><th>calls</th><th>ratio</th>${kindHead}</tr>`;
    for (const c of s.codes) {
      const kindCell = kinds === '' ? '' : `<td class="muted">${c.code === '-1' ? escapeHtml(kinds) : ''}</td>`;
      html +=
        `<tr><td><span class="swatch" style="background:${codeColor(c.code)}"></span>${escapeHtml(c.code)}</td>` +
        `<td class="num">${c.count}</td><td class="num">${escapeHtml(formatRatio(c.ratio))}</td>${kindCell}</tr>`;
    }
    html += '</table>';
  }
  return html;
}

/** The charts of one result: histogram, percentile curve, codes, and qps when recorded. */
export function resultCharts(r: FortioResult, charts: ChartSet, idHint: string, label: string): string {
  const out: string[] = [];
  const hists = [{ label: 'all calls', color: paletteColor(0), data: r.DurationHistogram }];
  const errs = r.ErrorsDurationHistogram;
  if (errs.Count > 0) hists.push({ label: 'errors', color: ERROR_COLOR, data: errs });
  const hist = histogramChart(hists, 'calls', { cumulative: true });
  const histTitle = `${label}: latency histogram`;
  out.push(hist ? charts.add(hist, histTitle, `${idHint}-hist`, "fortio's buckets; dashed line: cumulative % of calls") : emptyChart(histTitle, 'no calls: nothing to plot'));

  const curve = percentileCurve(r);
  const pctTitle = `${label}: latency by percentile`;
  if (curve) {
    const spec = percentileChart([{ label, color: paletteColor(0), curve }]);
    const from = curve.source === 'hdr' ? 'from the HDR histogram' : "no HDR data: interpolated in fortio's buckets";
    const end = Number(lastResolvedPercentile(curve.calls).toFixed(2));
    const note = `${from}; p0 to p${end}: ${curve.calls} call${curve.calls === 1 ? '' : 's'} resolve no higher percentile`;
    if (spec) out.push(charts.add(spec, pctTitle, `${idHint}-pct`, note));
  } else {
    out.push(emptyChart(pctTitle, 'no calls: nothing to plot'));
  }

  const codes = codesChart(r);
  const codesTitle = `${label}: status codes`;
  out.push(codes ? charts.add(codes, codesTitle, `${idHint}-codes`, '-1 = no HTTP answer (refused, reset, timeout)') : emptyChart(codesTitle, 'no calls were made'));

  const qps = qpsChart(r);
  if (qps) out.push(charts.add(qps, `${label}: qps over time`, `${idHint}-qps`));
  return `<div class="charts">${out.join('\n')}</div>`;
}

/** Facts, tables and charts of one result. */
export function resultSection(r: FortioResult, charts: ChartSet, idHint: string, label: string): string {
  const warn = r.Tripbench?.Interrupted === true ? '<p class="note">This run was interrupted: the numbers cover the calls made until then.</p>' : '';
  return `${resultFacts(r)}${warn}${resultTables(r)}${resultCharts(r, charts, idHint, label)}`;
}
