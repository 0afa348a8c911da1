/**
 * The HTML as text: self-contained (nothing to fetch), every untrusted string escaped, the chart
 * data block well-formed, and the edge cases (no calls, a 1-hour run, fortio's own files) render.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PlacedChart } from '../../src/html/page.js';
import { renderResultHtml } from '../../src/html/resultReport.js';
import { renderRunHtml, stepResultKey, sweepChart } from '../../src/html/runReport.js';
import { parseFortioJson } from '../../src/report/fortioJson.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import type { ScenarioResult } from '../../src/scenario/results.js';
import { UNREACHABLE_REASON, fakeResult, istioRun, unreachableRun } from '../scenario/helpers.js';
import { hourResult, zeroCallResult } from './fixtures.js';

const EVIL = `</script><script>alert(1)</script><img src=x onerror=alert(2)>"'&`;

function full(codes: Record<string, number>, extra: Record<string, unknown> = {}): FortioResult {
  return parseFortioJson(JSON.stringify({ ...fakeResult(codes), ...extra }), 'fake');
}

function chartsOf(html: string): PlacedChart[] {
  const m = /<script type="application\/json" id="tripbench-data">([^]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return (JSON.parse(m![1]!) as { charts: PlacedChart[] }).charts;
}

/** Self-contained: no external reference of any kind, a CSP that forbids fetching, three scripts. */
function expectSelfContained(html: string): void {
  expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  expect(html).not.toMatch(/<(link|iframe|object|embed|img)\b/i);
  expect(html).not.toMatch(/\s(src|href|action|srcset)\s*=\s*["']?\s*(https?:|\/\/|file:)/i);
  expect(html).not.toMatch(/@import|url\(\s*["']?(https?:|\/\/)/i);
  expect(html.match(/<script\b/g)).toHaveLength(3);
  expect(html.match(/<\/script>/g)).toHaveLength(3);
  for (const c of chartsOf(html)) expect(html).toContain(`id="${c.id}"`);
}

describe('run page', () => {
  const sr = istioRun();
  const steps: Record<string, FortioResult> = {};
  for (const s of sr.steps) if (s.observed) steps[s.key] = full(s.observed.codes);

  it('has the verdict table, the mesh policy, a sweep curve and every step with charts', () => {
    const html = renderRunHtml({ scenarios: [sr], steps, version: 'test' });
    expectSelfContained(html);
    expect(html).toContain('<table class="verdicts">');
    expect(html).toContain('Istio resources under test');
    expect(html).toContain('http1MaxPendingRequests: 1');
    const charts = chartsOf(html);
    const kinds = charts.map((c) => c.kind);
    expect(kinds.filter((k) => k === 'sweep')).toHaveLength(1);
    for (const key of ['c1', 'c2', 'c3', 'sweep-c1', 'sweep-c2', 'sweep-c3']) {
      expect(charts.some((c) => c.id.endsWith(`-${key}-hist`)), key).toBe(true);
    }
    // the interrupted sweep point shows as not run
    expect(html).toMatch(/sweep c=4.*did not run/s);
    expect(html).toContain('class="verdict v-NOT-RUN"');
    expect(html).toContain('class="verdict v-PASS"');
    expect((html.match(/<svg class="gauge"/g) ?? []).length).toBe(
      sr.steps.flatMap((s) => s.results).filter((r) => r.kind === 'ratio').length,
    );
  });

  it('draws the sweep with its band and the accepted range where one is set', () => {
    const c = sweepChart(sr.steps, 'sweep', '503')!;
    expect(c.c).toEqual([1, 2, 3, 4]);
    expect(c.ratio.slice(0, 3)).toEqual([0, 0.1, 22 / 30]);
    expect(c.ratio[3]).toBeNull();
    for (let i = 0; i < 3; i++) expect(c.lo[i]!).toBeLessThanOrEqual(c.ratio[i]!);
    for (let i = 0; i < 3; i++) expect(c.hi[i]!).toBeGreaterThanOrEqual(c.ratio[i]!);
    // 503 ranges exist at c=1 (== 0) and c=3 (expectAt), not at c=2 or c=4
    expect(c.expected).toEqual([[0, 0], null, [0.25, 1], null]);
  });

  it('escapes every string from the scenario and the results', () => {
    const evil: ScenarioResult = {
      ...sr,
      scenario: EVIL,
      description: EVIL,
      target: EVIL,
      cluster: EVIL,
      meshYaml: `kind: DestinationRule\nmetadata: { name: "${EVIL}" }\n`,
      steps: sr.steps.map((s) => ({ ...s, label: EVIL, results: s.results.map((r) => ({ ...r, label: EVIL, observed: EVIL, reason: EVIL })) })),
    };
    const evilSteps: Record<string, FortioResult> = {};
    for (const [k, r] of Object.entries(steps)) evilSteps[stepResultKey(EVIL, k)] = { ...r, URL: EVIL, Labels: EVIL, RetCodes: { ...r.RetCodes, [EVIL]: 1 } };
    const html = renderRunHtml({ scenarios: [evil], steps: evilSteps, title: EVIL });
    expectSelfContained(html);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
    // the hostile code key travels only inside the JSON block, escaped
    const codes = chartsOf(html).find((c) => c.kind === 'codes');
    expect(codes && 'codes' in codes ? codes.codes : []).toContain(EVIL);
  });

  it('renders several scenarios with a table of contents, and none', () => {
    const two = renderRunHtml({ scenarios: [sr, { ...sr, scenario: 'second' }], steps });
    expect(two).toContain('href="#scenario-s1-second"');
    expect(two).toContain('id="scenario-s1-second"');
    expectSelfContained(renderRunHtml({ scenarios: [], steps: {} }));
  });
});

describe('run page of a dead target', () => {
  it('one UNREACHABLE banner with the reason once, the planned checks, no step sections and no charts', () => {
    const dead = unreachableRun();
    const html = renderRunHtml({ scenarios: [dead], steps: {} });
    expectSelfContained(html);
    expect(html.match(/class="banner unreachable"/g)).toHaveLength(1);
    expect(html).toContain('UNREACHABLE: nothing ran (exit 4).');
    expect(html.split(UNREACHABLE_REASON).length - 1).toBe(1);
    expect(html).toMatch(/<h1>[^<]*<span class="verdict v-UNREACHABLE">UNREACHABLE<\/span><\/h1>/);
    expect(html).not.toContain('v-INCONCLUSIVE">INCONCLUSIVE');
    // every expectation is still listed, without empty observed / interval / gauge cells
    const rows = html.match(/<tr class="row-NOT-RUN"/g) ?? [];
    expect(rows.length).toBe(dead.steps.reduce((a, st) => a + st.results.length, 0));
    expect(html).not.toContain('<svg');
    expect(html).not.toContain('class="step"');
    expect(html).not.toContain('did not run');
    expect(chartsOf(html)).toEqual([]);
    expect(html).toContain('Istio resources under test');
  });
});

describe('result page', () => {
  it('renders a result without calls with placeholders, no chart', () => {
    const html = renderResultHtml([zeroCallResult()], ['zero']);
    expectSelfContained(html);
    expect(chartsOf(html)).toEqual([]);
    expect(html).toContain('no calls: nothing to plot');
  });

  it('renders a 1-hour run with a log latency axis and qps over time', () => {
    const html = renderResultHtml([hourResult()], ['hour']);
    expectSelfContained(html);
    const charts = chartsOf(html);
    const hist = charts.find((c) => c.kind === 'histogram');
    expect(hist && 'logX' in hist && hist.logX).toBe(true);
    expect(charts.find((c) => c.kind === 'qps')).toBeDefined();
    // the page stays small: series, not raw data
    expect(html.length).toBeLessThan(400_000);
  });

  it("renders every fortio 1.33 sample, alone and compared with the first", () => {
    const dir = new URL('../report/fixtures/fortio-1.33/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    const results = files.map((f) => parseFortioJson(readFileSync(new URL(f, dir), 'utf8'), f));
    for (const [i, r] of results.entries()) expectSelfContained(renderResultHtml([r], [files[i]!]));
    const cmp = renderResultHtml(results, files);
    expectSelfContained(cmp);
    expect(chartsOf(cmp).map((c) => c.id)).toEqual(expect.arrayContaining(['chart-cmp-pct', 'chart-cmp-ratio', 'chart-cmp-hist']));
  });

  it('refuses an empty list', () => {
    expect(() => renderResultHtml([])).toThrow(/at least one/);
  });
});
