/**
 * A ratio check at a glance: a 0..1 strip with the accepted range shaded, the 95 % Wilson
 * interval as a whisker and the observed ratio as a dot. Static SVG, drawn here rather than by
 * the chart library because it sits inside a table cell, one per verdict row.
 */
import type { ExpectationResult, Verdict } from '../scenario/results.js';
import { escapeHtml } from './escape.js';

export const VERDICT_COLORS: Record<Verdict, string> = {
  PASS: '#1a7f37',
  FAIL: '#cf222e',
  INCONCLUSIVE: '#b35900',
  'NOT RUN': '#6e7781',
};

const NUM = String.raw`(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)`;
const RANGE = new RegExp(String.raw`^in \[${NUM}, ${NUM}\]$`);
const CMP = new RegExp(String.raw`^(<=|<|>=|>|==) ${NUM}$`);
// "== code 503 ratio (0.1)": a bound resolved from another code's ratio
const CMP_REF = new RegExp(String.raw`^(<=|<|>=|>|==) .*\(${NUM}\)$`);

/**
 * The accepted range of a ratio check on the 0..1 scale: from the result's numeric `bounds`, or
 * for results written before they existed, read back from the `expected` text. Undefined when
 * neither gives one.
 */
export function expectedRange(r: Pick<ExpectationResult, 'kind' | 'expected'> & Partial<Pick<ExpectationResult, 'bounds'>>): [number, number] | undefined {
  if (r.kind !== 'ratio') return undefined;
  if (r.bounds) return clamp01([r.bounds.lo ?? 0, r.bounds.hi ?? 1]);
  const m = RANGE.exec(r.expected);
  if (m) return clamp01([Number(m[1]), Number(m[2])]);
  const c = CMP.exec(r.expected) ?? CMP_REF.exec(r.expected);
  if (!c) return undefined;
  const v = Number(c[2]);
  switch (c[1]) {
    case '<':
    case '<=':
      return clamp01([0, v]);
    case '>':
    case '>=':
      return clamp01([v, 1]);
    default:
      return clamp01([v, v]);
  }
}

function clamp01(r: [number, number]): [number, number] | undefined {
  const [lo, hi] = r.map((v) => Math.min(1, Math.max(0, v))) as [number, number];
  return Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi ? [lo, hi] : undefined;
}

const W = 180;
const H = 26;
const PAD = 6;
const X = (v: number): number => Number((PAD + v * (W - 2 * PAD)).toFixed(2));

/** The gauge for a ratio row; empty string for rows that are not ratio checks. */
export function ratioGauge(r: ExpectationResult): string {
  if (r.kind !== 'ratio') return '';
  const range = expectedRange(r);
  const color = VERDICT_COLORS[r.verdict];
  const parts: string[] = [];
  parts.push(`<line x1="${X(0)}" y1="${H - 5}" x2="${X(1)}" y2="${H - 5}" stroke="#8c959f" stroke-width="1"/>`);
  for (const t of [0, 0.5, 1]) parts.push(`<line x1="${X(t)}" y1="${H - 8}" x2="${X(t)}" y2="${H - 2}" stroke="#8c959f" stroke-width="1"/>`);
  if (range) {
    const w = Math.max(2, X(range[1]) - X(range[0]));
    const x = range[1] === range[0] ? X(range[0]) - 1 : X(range[0]);
    parts.push(`<rect class="expected" x="${x}" y="2" width="${w.toFixed(2)}" height="${H - 8}" fill="#2da44e" fill-opacity="0.22" stroke="#2da44e" stroke-opacity="0.6"/>`);
  }
  const y = (H - 6) / 2 + 2;
  if (r.interval) {
    const [a, b] = r.interval;
    parts.push(
      `<line class="interval" x1="${X(a)}" y1="${y}" x2="${X(b)}" y2="${y}" stroke="${color}" stroke-width="2"/>`,
      `<line x1="${X(a)}" y1="${y - 5}" x2="${X(a)}" y2="${y + 5}" stroke="${color}" stroke-width="2"/>`,
      `<line x1="${X(b)}" y1="${y - 5}" x2="${X(b)}" y2="${y + 5}" stroke="${color}" stroke-width="2"/>`,
    );
  }
  if (r.value !== undefined && Number.isFinite(r.value)) {
    parts.push(`<circle class="observed" cx="${X(Math.min(1, Math.max(0, r.value)))}" cy="${y}" r="4" fill="${color}"/>`);
  }
  const title = `${r.label}: expected ${r.expected}, observed ${r.observed}`;
  return (
    `<svg class="gauge" role="img" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" data-verdict="${escapeHtml(r.verdict)}">` +
    `<title>${escapeHtml(title)}</title>${parts.join('')}</svg>`
  );
}
