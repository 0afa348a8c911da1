import { Marked } from 'marked';
import { describe, expect, it } from 'vitest';
import { planScenario } from '../../src/scenario/plan.js';
import { mdCell, renderMarkdownSummary } from '../../src/scenario/render/markdown.js';
import {
  ratioBar,
  renderOutcomeLine,
  renderPlanTable,
  renderSweepCurve,
  renderVerdictTable,
  sweepCurve,
} from '../../src/scenario/render/table.js';
import { VERDICTS_FORMAT, renderVerdictsJson } from '../../src/scenario/render/verdictsJson.js';
import { allResults } from '../../src/scenario/verdict.js';
import { fixtureScenario, istioRun, scenarioResult } from './helpers.js';

describe('verdict table', () => {
  const run = istioRun();
  const text = renderVerdictTable(run.steps);
  const lines = text.split('\n').slice(0, text.split('\n').indexOf('Notes:'));

  it('has the six columns and one line per expectation', () => {
    expect(lines[1]).toMatch(/│ Step\s+│ Expectation\s+│ Expected\s+│ Observed\s+│ 95 % interval\s+│ Verdict\s+│/);
    expect(lines[2]?.startsWith('├')).toBe(true);
    expect(lines.length).toBe(allResults(run).length + 4);
    expect(new Set(lines.map((l) => [...l].length)).size).toBe(1);
  });

  it('shows expected, observed, interval and verdict of each check', () => {
    expect(text).toMatch(/│ c2\s+│ 503 ratio\s+│ in \[0, 0\.4\]\s+│ 0\.15 \(3\/20\)\s+│ \[0\.052, 0\.360\] │ PASS\s+│/);
    expect(text).toMatch(/│ envoy upstream_rq_pending_overflow │ == code 503 count \(3\) │ 3\s+│\s+│ PASS/);
    expect(text).toMatch(/│ sweep c=4 \(not-run\)\s+│ -1 ratio\s+│ == 0\s+│ —\s+│\s+│ NOT RUN │/);
  });

  it('explains undecided rows under the table', () => {
    expect(text.split('\n').slice(-2)).toEqual(['Notes:', '  sweep c=4: the run was interrupted']);
    const odd = istioRun();
    const r = odd.steps[1]?.results[0];
    if (r) Object.assign(r, { verdict: 'INCONCLUSIVE', reason: 'budget spent: 300 calls in 10 batches' });
    expect(renderVerdictTable(odd.steps)).toContain('  c2 503 ratio: budget spent: 300 calls in 10 batches');
  });

  it('sums up the outcome and exit code', () => {
    expect(renderOutcomeLine(allResults(run))).toBe('PASS 17, FAIL 0, INCONCLUSIVE 0, NOT RUN 1 → INCONCLUSIVE (exit 3)');
    expect(renderOutcomeLine(allResults(run), 'pass')).toBe('PASS 17, FAIL 0, INCONCLUSIVE 0, NOT RUN 1 → PASS (exit 0)');
  });
});

describe('sweep curve', () => {
  const run = istioRun();

  it('collects the 503 ratio at each concurrency', () => {
    expect(sweepCurve(run.steps, 'sweep').map((p) => [p.c, p.calls, p.k, p.ratio, p.status])).toEqual([
      [1, 10, 0, 0, 'completed'],
      [2, 20, 2, 0.1, 'completed'],
      [3, 30, 22, 22 / 30, 'completed'],
      [4, 0, 0, undefined, 'not-run'],
    ]);
  });

  it('draws a bar with the interval marked', () => {
    expect(ratioBar(0.5, [0.3, 0.7], 10)).toBe('###[#..]..');
    expect(ratioBar(0, [0, 0.278], 10)).toBe('[.].......');
    expect(ratioBar(1, [0.839, 1], 10)).toBe('########[]');
    const table = renderSweepCurve(sweepCurve(run.steps, 'sweep'));
    expect(table).toMatch(/│ 3 │\s+30 │ 0\.733 \(22\/30\) │ \[0\.556, 0\.858\] │ #{16}\[/);
    expect(table).toMatch(/│ 4 │\s+0 │\s+— │\s+│ not-run/);
  });
});

describe('dry-run plan', () => {
  it('prints each run as a tripbench load command with its policy and expectations', () => {
    const s = fixtureScenario();
    const text = renderPlanTable(planScenario(s), s.target);
    expect(text).toContain('tripbench load -c 2 -qps 0 -n 20 -timeout 3s http://httpbin:8000/get');
    expect(text).toContain('budget 300 calls, 60s');
    expect(text).toContain('envoy upstream_rq_pending_overflow == code 503 count');
    expect(text).toContain('sweep c=4');
  });
});

/** Tables the GFM renderer actually produced: rows of cell texts. */
function htmlTables(md: string): string[][][] {
  const html = new Marked({ gfm: true }).parse(md, { async: false });
  const tables = [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((m) => m[1] as string);
  return tables.map((t) => [...t.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...(r[1] as string).matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1] as string)));
}

describe('Markdown summary', () => {
  const run = istioRun();
  const md = renderMarkdownSummary([run]);

  it('a description of 200 000 lines renders (no call-argument spread over it)', () => {
    const long = { ...istioRun(), description: 'line\n'.repeat(200_000) };
    const out = renderMarkdownSummary([long]);
    expect(out.split('\n').filter((l) => l === '> line')).toHaveLength(200_000);
  });

  it('starts with the outcome and renders the verdicts as a GFM table', () => {
    expect(md.split('\n')[0]).toBe('## ⚠️ `istio-circuit-breaking`: INCONCLUSIVE');
    const [verdicts, curve] = htmlTables(md);
    expect(verdicts?.[0]).toEqual(['Step', 'Expectation', 'Expected', 'Observed', '95 % interval', 'Verdict']);
    expect(verdicts?.length).toBe(allResults(run).length + 1);
    for (const r of verdicts ?? []) expect(r.length).toBe(6);
    expect(verdicts?.[4]).toEqual(['c2', '503 ratio', 'in [0, 0.4]', '0.15 (3/20)', '[0.052, 0.360]', '✅ PASS']);
    expect(curve?.[0]).toEqual(['c', 'calls', '503 ratio', '95 % interval']);
    expect(curve?.length).toBe(5);
  });

  it('keeps pipes and newlines inside their cell', () => {
    expect(mdCell('outbound|8000||httpbin')).toBe('outbound\\|8000\\|\\|httpbin');
    const odd = istioRun();
    const r = odd.steps[0]?.results[0];
    if (r) {
      r.observed = 'a|b\nc';
      r.verdict = 'FAIL';
    }
    const [t] = htmlTables(renderMarkdownSummary([odd]));
    for (const row of t ?? []) expect(row.length).toBe(6);
    expect(t?.[1]?.[3]).toBe('a|b<br>c');
    expect(t?.[1]?.[5]).toBe('❌ FAIL');
  });

  it('prints the cluster and the mesh policy beside the results', () => {
    expect(md).toContain('cluster `outbound|8000||httpbin.default.svc.cluster.local`');
    expect(md).toContain('<details><summary>Mesh policy under test</summary>');
    expect(md).toContain('http1MaxPendingRequests: 1');
    expect(md).toContain('**The run was interrupted**');
  });

  it('says when --inconclusive fail turns a row into a failure, and heads several scenarios with the total', () => {
    const s = fixtureScenario();
    const other = scenarioResult(s, { c1: { codes: { '200': 19, '-1': 1 } } });
    const both = renderMarkdownSummary([istioRun(), other], { inconclusiveAs: 'fail' });
    expect(both.split('\n')[0]).toBe('# ❌ tripbench: FAIL (exit 1)');
    expect(both).toContain('⏭️ NOT RUN (counts as FAIL)');
  });
});

describe('verdicts JSON', () => {
  it('is the result plus outcome, counts and curves, versioned', () => {
    const doc = JSON.parse(renderVerdictsJson(istioRun(), { version: '0.1.0' })) as Record<string, unknown>;
    expect(doc).toMatchObject({
      format: VERDICTS_FORMAT,
      version: '0.1.0',
      scenario: 'istio-circuit-breaking',
      outcome: 'INCONCLUSIVE',
      exitCode: 3,
      inconclusiveAs: 'inconclusive',
      counts: { PASS: 17, FAIL: 0, INCONCLUSIVE: 0, 'NOT RUN': 1, total: 18 },
      curveCode: '503',
    });
    const curves = doc.curves as Record<string, { c: number; interval?: number[] }[]>;
    expect(curves.sweep?.map((p) => p.c)).toEqual([1, 2, 3, 4]);
    const steps = doc.steps as { key: string; results: { id: string; interval?: number[]; k?: number }[] }[];
    const c2 = steps.find((s) => s.key === 'c2');
    expect(c2?.results[0]).toMatchObject({ id: 'codes.503', k: 3, verdict: 'PASS', basis: 'interval' });
    expect(c2?.results[0]?.interval?.[1]).toBeCloseTo(0.3604, 4);
  });
});
