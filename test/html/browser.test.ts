/**
 * The report pages in a real browser: Debian's Chromium, headless and offline, loads each file
 * and we check what a reader gets: every chart drawn with data, no console error, no request
 * beyond the file itself. Screenshots stay in the test's temp dir for a person to look at.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderResultHtml } from '../../src/html/resultReport.js';
import { renderRunHtml } from '../../src/html/runReport.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { runCli } from '../helpers/cli.js';
import { shortLabels } from '../../src/html/labels.js';
import { UNREACHABLE_REASON, unreachableRun } from '../scenario/helpers.js';
import { CHROMIUM, type Hovered, type PageVisit, foreignRequests, launchChromium, visit } from './browser.js';
import { type CircuitBreakingRun, circuitBreakingRun, hourResult, oneCallResult, refusedResult, zeroCallResult } from './fixtures.js';

describe.skipIf(CHROMIUM.skip)(CHROMIUM.title('HTML report in headless Chromium'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'tripbench-html-'));
  let browser: Browser;
  let run: CircuitBreakingRun;
  let one: FortioResult;
  let refused: FortioResult;

  beforeAll(async () => {
    browser = await launchChromium();
    run = await circuitBreakingRun();
    one = await oneCallResult();
    refused = await refusedResult();
    console.info(`HTML report screenshots: ${dir}`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function open(name: string, html: string, hover?: { ids: string[]; at: number }): Promise<{ v: PageVisit & { hovered: Hovered }; file: string }> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, html);
    const v = await visit(browser, file, join(dir, `${name}.png`), hover);
    return { v, file };
  }

  function expectClean(v: PageVisit, file: string): void {
    expect(v.consoleErrors).toEqual([]);
    expect(foreignRequests(v, file)).toEqual([]);
    expect(v.tally.failed).toBe(0);
    for (const c of v.charts) {
      expect(c.rendered, c.id).toBe('true');
      expect(c.canvases, c.id).toBeGreaterThan(0);
      expect(c.colouredPixels, `${c.id} drew no data`).toBeGreaterThan(50);
      // the cursor is off the chart: legends carry no value, and no '--' or '—' placeholder
      expect(c.legend.filter((l) => l.value !== ''), `${c.id} legend`).toEqual([]);
    }
    expect(v.tally.rendered).toBe(v.charts.length);
  }

  it('circuit-breaking run: three steps with histograms, 503 ratios against their ranges, the sweep curve', async () => {
    const { v, file } = await open('circuit-breaking', renderRunHtml({ scenarios: [run.scenario], steps: run.steps }));
    expectClean(v, file);
    const ids = v.charts.map((c) => c.id);
    for (const step of ['c1', 'c2', 'c3']) {
      expect(ids.some((id) => id.endsWith(`-${step}-hist`)), `${step} histogram`).toBe(true);
      expect(ids.some((id) => id.endsWith(`-${step}-pct`)), `${step} percentiles`).toBe(true);
      expect(ids.some((id) => id.endsWith(`-${step}-codes`)), `${step} codes`).toBe(true);
    }
    expect(v.charts.filter((c) => c.kind === 'sweep')).toHaveLength(1);
    // c2 and c3 carry 503-ratio ranges; each gauge shows the range, the interval and the ratio.
    const ratioRows = run.scenario.steps.flatMap((s) => s.results.filter((r) => r.kind === 'ratio' && r.id === 'codes.503' && s.status === 'completed'));
    expect(ratioRows.length).toBeGreaterThanOrEqual(3);
    const drawn = v.gauges.filter((g) => g.expected === 1 && g.observed === 1 && g.interval === 1);
    expect(drawn.length).toBeGreaterThanOrEqual(ratioRows.length);
    expect(v.text).toContain('Istio resources under test');
    expect(v.text).toContain('http1MaxPendingRequests: 1');
    expect(v.text).toContain('NOT RUN');
  });

  it('the shipped circuit-breaking scenario, as `tripbench run --html` writes it: three steps, 503 ratios against their ranges', async () => {
    // The real command on the shipped file (local rehearsal, 70 calls or a few batches more).
    const reports = mkdtempSync(join(tmpdir(), 'tripbench-html-run-'));
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const r = await runCli(['run', 'scenarios/istio-circuit-breaking.yaml', '--reports', reports, '--html'], { cwd: root, timeoutMs: 90_000, env: { GITHUB_STEP_SUMMARY: '' } });
    expect([0, 3], r.stderr.slice(-2000)).toContain(r.code);
    const runDir = join(reports, 'istio-circuit-breaking', readdirSync(join(reports, 'istio-circuit-breaking'))[0] as string);
    const { v, file } = await open('shipped-circuit-breaking', readFileSync(join(runDir, 'report.html'), 'utf8'));
    expectClean(v, file);
    for (const step of ['c1', 'c2', 'c3']) {
      const hist = v.charts.find((c) => c.kind === 'histogram' && c.id.endsWith(`-${step}-hist`));
      expect(hist, `${step} histogram`).toBeDefined();
      const g = v.gauges.find((x) => x.step === step && x.expectation === 'codes.503');
      expect(g, `${step} 503 ratio gauge`).toBeDefined();
      expect(g).toMatchObject({ expected: 1, observed: 1, interval: 1 });
    }
    expect(v.gauges.find((x) => x.step === 'c2' && x.expectation === 'codes.503')?.expectedText).toBe('in [0, 0.4]');
    expect(v.gauges.find((x) => x.step === 'c3' && x.expectation === 'codes.503')?.expectedText).toBe('in [0.25, 1]');
    expect(v.text).toContain('http1MaxPendingRequests: 1');
  }, 150_000);

  it('percentile curves end where the calls stop resolving them, and legends show values under the cursor', async () => {
    const html = renderRunHtml({ scenarios: [run.scenario], steps: run.steps });
    const probe = await open('circuit-breaking-probe', html);
    const pctIds = probe.v.charts.filter((c) => /-c[123]-pct$/.test(c.id) && !c.id.includes('sweep')).map((c) => c.id);
    expect(pctIds).toHaveLength(3);
    const { v, file } = await open('circuit-breaking-hover', html, { ids: pctIds, at: 0.6 });
    expectClean(v, file);
    for (const id of pctIds) {
      const step = /-(c\d)-pct$/.exec(id)?.[1] as string;
      const n = (run.steps[step] as FortioResult).DurationHistogram.Count;
      expect(n, step).toBeLessThan(100);
      const c = v.charts.find((x) => x.id === id);
      // the axis and the curve stop at x = n (p(1 − 1/n)), not at p99.99 (x = 10000)
      const last = c?.lastX[0] as number;
      expect(last, step).toBeLessThanOrEqual(n);
      expect(last, step).toBeGreaterThan(n / 1.1);
      expect(c?.xMax, step).toBeCloseTo(Math.max(10, last), 6);
      // under the cursor: the percentile and the latency, each a real value
      const legend = v.hovered[id] ?? [];
      expect(legend.map((l) => l.label)).toEqual(['percentile', step]);
      expect(legend[0]?.value).toMatch(/^p\d+(\.\d+)?$/);
      expect(legend[1]?.value).toMatch(/^\d+(\.\d+)?(ns|µs|ms|s)$/);
    }
    // the caption says where the curve ends and why
    expect(v.text).toMatch(/p0 to p9\d(\.\d+)?: \d+ calls resolve no higher percentile/);
  });

  it('a comparison of two same-named files: short legend labels, the full path on hover', async () => {
    const c2 = run.steps['c2'] as FortioResult;
    const c3 = run.steps['c3'] as FortioResult;
    const paths = ['/srv/ci/nightly/before/c2.json', '/srv/ci/nightly/after/c2.json'];
    const { v, file } = await open('compare-labels', renderResultHtml([c2, c3], shortLabels(paths, (n) => n.replace(/\.json$/, '')), { sources: paths }));
    expectClean(v, file);
    const pct = v.charts.find((c) => c.id === 'chart-cmp-pct');
    expect(pct?.legend.slice(1).map((l) => [l.label, l.title])).toEqual([
      ['before/c2', paths[0]],
      ['after/c2', paths[1]],
    ]);
    const hist = v.charts.find((c) => c.id === 'chart-cmp-hist');
    expect(hist?.legend.slice(1).map((l) => l.title)).toEqual(paths);
    expect(v.text).not.toContain('/srv/ci');
  });

  it('a dead target: one UNREACHABLE banner, no chart, no console error', async () => {
    const { v, file } = await open('unreachable', renderRunHtml({ scenarios: [unreachableRun()], steps: {} }));
    expectClean(v, file);
    expect(v.charts).toEqual([]);
    expect(v.text.split(UNREACHABLE_REASON).length - 1).toBe(1);
    expect(v.text).toContain('UNREACHABLE: nothing ran (exit 4).');
  });

  it('one call', async () => {
    const { v, file } = await open('one-call', renderResultHtml([one], ['one-call']));
    expectClean(v, file);
    expect(v.charts.map((c) => c.kind).sort()).toEqual(['codes', 'histogram', 'percentiles']);
  });

  it('a qps timeline of a sub-second step (one point) is still drawn', async () => {
    const short = { ...one, Tripbench: { ...one.Tripbench, QpsOverTime: [{ t: 0.4, qps: 42 }] } } as FortioResult;
    const { v, file } = await open('one-qps-point', renderResultHtml([short], ['short']));
    expectClean(v, file);
    expect(v.charts.map((c) => c.kind)).toContain('qps');
  });

  it('all calls refused: -1 for every call', async () => {
    const { v, file } = await open('refused', renderResultHtml([refused], ['refused']));
    expectClean(v, file);
    expect(v.text).toContain('-1');
    expect(v.text).toMatch(/refused \d+/);
  });

  it('zero calls: placeholders instead of charts, still no error', async () => {
    const { v, file } = await open('zero-calls', renderResultHtml([zeroCallResult()], ['zero']));
    expectClean(v, file);
    expect(v.charts).toHaveLength(0);
    expect(v.text).toContain('no calls');
    expect(v.text).toContain('interrupted');
  });

  it('a 1-hour run: log latency axis, qps over time', async () => {
    const { v, file } = await open('one-hour', renderResultHtml([hourResult()], ['one-hour']));
    expectClean(v, file);
    expect(v.charts.map((c) => c.kind)).toContain('qps');
  });

  it('comparison of two runs: overlaid percentile curves and ratios', async () => {
    const c2 = run.steps['c2'] as FortioResult;
    const c3 = run.steps['c3'] as FortioResult;
    const { v, file } = await open('compare', renderResultHtml([c2, c3], ['c2', 'c3']));
    expectClean(v, file);
    expect(v.charts.map((c) => c.id)).toEqual(expect.arrayContaining(['chart-cmp-pct', 'chart-cmp-ratio', 'chart-cmp-hist']));
    expect(v.text).toContain('code 503 ratio');
  });

  it('a comparison that includes a run without calls', async () => {
    const { v, file } = await open('compare-empty', renderResultHtml([zeroCallResult(), one], ['zero', 'one']));
    expectClean(v, file);
  });
});
