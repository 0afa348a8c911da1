/**
 * The page shell: styles, uPlot and the drawing script inlined, the chart data in one JSON block.
 * A Content-Security-Policy forbids every fetch, so "opens offline" is enforced by the browser,
 * not just hoped for.
 */
import { VERSION } from '../shared/version.js';
import { chartAssets } from './assets.js';
import type { ChartSpec } from './chartData.js';
import { CLIENT_SCRIPT } from './client.js';
import { escapeHtml, jsonForScript, slug } from './escape.js';

export type PlacedChart = ChartSpec & { id: string; title: string };

/** Collects the charts of one page; each `add` returns the placeholder the script draws into. */
export class ChartSet {
  readonly charts: PlacedChart[] = [];
  private readonly used = new Set<string>();

  add(spec: ChartSpec, title: string, idHint: string, caption = ''): string {
    let id = `chart-${slug(idHint)}`;
    for (let n = 2; this.used.has(id); n++) id = `chart-${slug(idHint)}-${n}`;
    this.used.add(id);
    this.charts.push({ ...spec, id, title });
    const cap = caption === '' ? '' : `<p class="caption">${escapeHtml(caption)}</p>`;
    return (
      `<figure class="chart-box"><figcaption>${escapeHtml(title)}</figcaption>` +
      `<div class="chart" id="${id}" data-kind="${spec.kind}" role="img" aria-label="${escapeHtml(title)}"></div>${cap}</figure>`
    );
  }
}

/** Where a chart would be when there is nothing to draw (no calls, not run). */
export function emptyChart(title: string, message: string): string {
  return `<figure class="chart-box empty"><figcaption>${escapeHtml(title)}</figcaption><p class="no-data">${escapeHtml(message)}</p></figure>`;
}

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg2: #f6f8fa;
  --pass: #1a7f37; --fail: #cf222e; --inc: #b35900; --notrun: #6e7781; --unreachable: #6639ba; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; color: var(--fg);
  margin: 0 auto; padding: 16px 24px 48px; max-width: 1280px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.muted, .caption, .facts { color: var(--muted); } .caption { font-size: 12px; margin: 2px 0 0; }
.facts { margin: 4px 0 10px; } .facts code { color: var(--fg); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow: auto; max-height: 420px; }
table { border-collapse: collapse; margin: 6px 0 12px; } th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: middle; }
th { background: var(--bg2); font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.verdict { font-weight: 700; border-radius: 4px; padding: 1px 6px; color: #fff; white-space: nowrap; }
.v-PASS { background: var(--pass); } .v-FAIL { background: var(--fail); } .v-INCONCLUSIVE { background: var(--inc); } .v-NOT-RUN { background: var(--notrun); }
.v-UNREACHABLE { background: var(--unreachable); }
.banner.unreachable { border: 2px solid var(--unreachable); background: #fbefff; border-radius: 6px; padding: 8px 12px; margin: 8px 0 12px; }
tr.row-FAIL td { background: #ffebe9; } tr.row-INCONCLUSIVE td { background: #fff8c5; } tr.row-NOT-RUN td { color: var(--muted); }
.badge { font-size: 14px; vertical-align: middle; margin-left: 6px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 12px 18px; }
.chart-box { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; min-width: 0; }
.chart-box figcaption { font-weight: 600; margin-bottom: 4px; } .chart { width: 100%; min-height: 40px; }
.no-data { color: var(--muted); font-style: italic; margin: 24px 8px; }
.step { border-top: 1px dashed var(--line); padding-top: 6px; }
.note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 6px 10px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: baseline; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
.uplot .u-legend { font-size: 12px; } .uplot .u-title { font-size: 13px; }
@media print { .charts { grid-template-columns: 1fr; } }
`;

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:";

export interface PageOptions {
  title: string;
  body: string;
  charts: ChartSet;
  /** tripbench version in the footer; default: this package's */
  version?: string;
}

export function renderPage(opts: PageOptions): string {
  const assets = chartAssets();
  const data = { charts: opts.charts.charts };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tripbench ${escapeHtml(opts.version ?? VERSION)}">
<title>${escapeHtml(opts.title)}</title>
<style>${assets.css}</style>
<style>${STYLE}</style>
</head>
<body>
${opts.body}
<footer>Generated by tripbench ${escapeHtml(opts.version ?? VERSION)} with ${escapeHtml(assets.name)} inlined: this file needs no network access.</footer>
<script type="application/json" id="tripbench-data">${jsonForScript(data)}</script>
<script>${assets.js}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
