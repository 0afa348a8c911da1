/**
 * `tripbench history reports/<scenario>` over report folders laid out as `tripbench run` writes
 * them (reports/README.md): verdicts.json from the real renderer, step JSON files in fortio's
 * format, plus the damaged cases a scheduled check leaves behind (a run killed before it wrote
 * verdicts.json, a truncated file).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../src/history/readRuns.js';
import { renderHistoryTable } from '../../src/history/table.js';
import { parseFortioJson } from '../../src/report/fortioJson.js';
import { renderVerdictsJson } from '../../src/scenario/render/verdictsJson.js';
import type { ScenarioResult } from '../../src/scenario/results.js';
import { calcPercentile } from '../../src/stats/fortioHistogram.js';
import { UsageError } from '../../src/shared/errors.js';
import { runCli } from '../helpers/cli.js';
import { fixtureScenario, scenarioResult, unreachableRun } from '../scenario/helpers.js';
import { readFileSync } from 'node:fs';

const FORTIO_JSON = fileURLToPath(new URL('../report/fixtures/fortio-1.33/fortio-load-multibucket-c4-n200.json', import.meta.url));

const C = 'outbound|8000||httpbin.default.svc.cluster.local';

/** One run of the fixture scenario with `k3` of 30 calls tripped at c=3. */
function run(startedAt: string, k3: number): ScenarioResult {
  const sr = scenarioResult(fixtureScenario(), {
    c1: { codes: { '200': 20 } },
    c2: { codes: { '200': 17, '503': 3 }, envoy: { cluster: C, deltas: { [`cluster.${C}.upstream_rq_pending_overflow`]: 3 } } },
    c3: { codes: { '200': 30 - k3, '503': k3 }, sockets: 20 },
    'sweep.c1': { codes: { '200': 10 } },
    'sweep.c2': { codes: { '200': 18, '503': 2 } },
    'sweep.c3': { codes: { '200': 8, '503': 22 } },
    'sweep.c4': { codes: { '200': 10, '503': 30 } },
  });
  return { ...sr, startedAt, finishedAt: startedAt.replace(':00Z', ':40Z') };
}

async function writeRun(dir: string, id: string, sr: ScenarioResult): Promise<string> {
  const d = join(dir, id);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, 'verdicts.json'), renderVerdictsJson(sr, { version: 'test' }));
  return d;
}

describe('tripbench history', () => {
  let root: string;
  let reports: string;
  let scenario: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tripbench-history-'));
    reports = join(root, 'reports');
    scenario = join(reports, 'istio-circuit-breaking');
    await writeRun(scenario, '2026-11-20T030000Z', run('2026-11-20T03:00:00Z', 19));
    await writeRun(scenario, '2026-11-21T030000Z', run('2026-11-21T03:00:00Z', 11));
    // The newest run: c3 barely trips (the breaker drifted), and c2's latency is only in its step file.
    const last = run('2026-11-22T03:00:00Z', 2);
    const c2 = last.steps.find((s) => s.key === 'c2');
    if (c2?.observed) {
      delete c2.observed.latency;
      c2.files = ['c2.json', 'c2.txt'];
    }
    const d = await writeRun(scenario, '2026-11-22T030000Z', last);
    await copyFile(FORTIO_JSON, join(d, 'c2.json'));
    // A run killed before verdicts.json, and one with a truncated file.
    await mkdir(join(scenario, '2026-11-23T030000Z'), { recursive: true });
    await mkdir(join(scenario, '2026-11-24T030000Z'), { recursive: true });
    await writeFile(join(scenario, '2026-11-24T030000Z', 'verdicts.json'), '{"format": "tripbench.verdicts/v1", "steps": [');
    await mkdir(join(reports, 'other-scenario', '2026-11-22T030000Z'), { recursive: true });
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('reads every run oldest first, with trip ratios, p99 and verdicts', async () => {
    const runs = await readHistory(scenario);
    expect(runs.map((r) => r.id)).toEqual(['2026-11-20T030000Z', '2026-11-21T030000Z', '2026-11-22T030000Z', '2026-11-23T030000Z', '2026-11-24T030000Z']);
    const c3 = runs.slice(0, 3).map((r) => r.steps.find((s) => s.key === 'c3'));
    expect(c3.map((s) => s?.tripped)).toEqual([19, 11, 2]);
    expect(c3.map((s) => s?.tripRatio)).toEqual([19 / 30, 11 / 30, 2 / 30]);
    expect(c3[0]?.p99Source).toBe('verdicts');
    expect(runs[0]?.outcome).toBe('PASS');
    expect(runs[2]?.outcome).toBe('FAIL'); // 2/30 is below the c3 range [0.25, 1]
    expect(runs[2]?.counts?.FAIL).toBeGreaterThan(0);
    // p99 from the step's own JSON file when verdicts.json has none
    const c2 = runs[2]?.steps.find((s) => s.key === 'c2');
    const fortio = parseFortioJson(readFileSync(FORTIO_JSON, 'utf8'), 'c2.json');
    expect(c2?.p99Source).toBe('histogram');
    expect(c2?.p99).toBeCloseTo(calcPercentile(fortio.DurationHistogram, 99), 12);
    expect(runs[3]?.error).toBe('no verdicts.json (run still going, or stopped hard)');
    expect(runs[4]?.error).toMatch(/^verdicts\.json: /);
  });

  it('renders a table that shows the drift and the range', async () => {
    const runs = await readHistory(scenario);
    const out = renderHistoryTable(runs, { code: '503' });
    const lines = out.split('\n');
    expect(lines[0]).toBe('5 runs, oldest first. Each step: share of calls answered 503, p99 latency; FAIL/INC when an expectation of the step failed / stayed inconclusive.');
    expect(lines[2]).toMatch(/│ Run\s+│ Outcome\s+│ Verdicts\s+│ c1\s+│ c2\s+│ c3\s+│/);
    const row = (prefix: string): string => lines.find((l) => l.startsWith(`│ ${prefix}`)) ?? '';
    expect(row('2026-11-20 03:00:00Z')).toMatch(/│ PASS\s+│ \d+ pass\s+│ 0\.0% 7\.6ms\s+│ 15\.0% 7\.6ms\s+│ 63\.3% 7\.6ms\s+│/);
    expect(row('2026-11-22 03:00:00Z')).toMatch(/│ FAIL\s+│ \d+ pass, 2 fail\s+│ .*│ 15\.0% [0-9.]+ms\s+│ 6\.7% 7\.6ms FAIL\s+│/);
    expect(row('2026-11-23T030000Z')).toContain('no verdicts.json');
    expect(row('range')).toMatch(/│ 1\/3 FAIL\s+│\s+│ 0\.0% [^│]+│ 15\.0% [^│]+│ 6\.7%–63\.3% 7\.6ms\s+│/);
    // c3 went from 19/30 to 2/30: a change the interval is sure of; c1 and c2 did not move
    expect(row('change')).toMatch(/│ newest − oldest │\s+│ \+0\.000 \[−0\.161, \+0\.161\]\s+│ \+0\.000 \[−0\.232, \+0\.232\]\s+│ −0\.567 \[−0\.722, −0\.336\] changed │/);
    expect(out).toContain('change: the newest run\'s share minus the oldest\'s, with its 95 % interval (Newcombe); "changed" only when the interval excludes 0.');
  });

  it('filters steps and takes another trip code', async () => {
    const runs = await readHistory(scenario, { code: '2xx', last: 3 });
    expect(runs).toHaveLength(3);
    expect(runs[0]?.id).toBe('2026-11-22T030000Z');
    const out = renderHistoryTable(runs, { code: '2xx', steps: ['c3'] });
    expect(out).toContain('share of calls answered 2xx');
    expect(out).not.toMatch(/│ c1 /);
    expect(out).toMatch(/│ 93\.3% 7\.6ms FAIL/);
  });

  it('names what to pass when given the reports root or a single run', async () => {
    await expect(readHistory(reports)).rejects.toThrow(UsageError);
    await expect(readHistory(reports)).rejects.toThrow(`${reports} holds several scenarios (istio-circuit-breaking, other-scenario); give one, e.g. tripbench history ${join(reports, 'istio-circuit-breaking')}`);
    // A reports root with one scenario in it is not "several scenarios", but still not a scenario folder.
    const lone = join(root, 'lone-reports');
    await mkdir(join(lone, 'istio-circuit-breaking', '2026-11-20T030000Z'), { recursive: true });
    await expect(readHistory(lone)).rejects.toThrow(`${lone} holds a scenario folder, not runs (istio-circuit-breaking); give one, e.g. tripbench history ${join(lone, 'istio-circuit-breaking')}`);
    await expect(readHistory(join(scenario, '2026-11-20T030000Z'))).rejects.toThrow(/is one run; give its scenario folder/);
    await expect(readHistory(join(root, 'nope'))).rejects.toThrow(/not a directory/);
  });

  it('works from the command line: table, -json, -n, errors', async () => {
    const table = await runCli(['history', scenario]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('│ range');
    const json = await runCli(['history', scenario, '-json', '-n', '2']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { id: string }[];
    expect(parsed.map((r) => r.id)).toEqual(['2026-11-23T030000Z', '2026-11-24T030000Z']);
    const bad = await runCli(['history', reports]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tripbench: .* holds several scenarios/);
    const badCode = await runCli(['history', '-code', '600', scenario]);
    expect(badCode.code).toBe(2);
    const none = await runCli(['history']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give exactly one scenario folder');
  });
});

describe('history p99: one estimator', () => {
  it("recomputes an older run's p99 that was judged on fortio's interpolation from the step's files", async () => {
    const root = await mkdtemp(join(tmpdir(), 'tripbench-history-p99-'));
    try {
      const scenario = join(root, 'istio-circuit-breaking');
      const sr = run('2026-11-20T03:00:00Z', 19);
      const c2 = sr.steps.find((s) => s.key === 'c2');
      if (!c2?.observed?.latency) throw new Error('fixture has no latency');
      // as verdicts.json was written before one estimator: the -p list judged as fortio listed it
      (c2.observed.latency.percentileSource as Record<string, string>)['99'] = 'listed';
      c2.observed.latency.percentiles['99'] = 0.5;
      c2.files = ['c2.json', 'c2.txt'];
      const d = await writeRun(scenario, '2026-11-20T030000Z', sr);
      await copyFile(FORTIO_JSON, join(d, 'c2.json'));
      const [r] = await readHistory(scenario);
      const step = r?.steps.find((s) => s.key === 'c2');
      const fortio = parseFortioJson(readFileSync(FORTIO_JSON, 'utf8'), 'c2.json');
      // fortio's JSON has no HDR data: the buckets, by the same function the verdicts use now
      expect(step?.p99Source).toBe('histogram');
      expect(step?.p99).toBeCloseTo(calcPercentile(fortio.DurationHistogram, 99), 12);
      // a current verdicts.json p99 is kept as judged
      expect(r?.steps.find((s) => s.key === 'c3')?.p99Source).toBe('verdicts');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('tripbench history of a dead target', () => {
  it('shows UNREACHABLE as its own outcome, also for files older versions wrote as INCONCLUSIVE', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tripbench-history-dead-'));
    try {
      await writeRun(root, '2026-11-20T030000Z', run('2026-11-20T03:00:00Z', 19));
      await writeRun(root, '2026-11-21T030000Z', { ...unreachableRun(), startedAt: '2026-11-21T03:00:00Z' });
      const old = JSON.parse(renderVerdictsJson({ ...unreachableRun(), startedAt: '2026-11-22T03:00:00Z' }, { version: 'old' })) as Record<string, unknown>;
      await mkdir(join(root, '2026-11-22T030000Z'));
      await writeFile(join(root, '2026-11-22T030000Z', 'verdicts.json'), JSON.stringify({ ...old, outcome: 'INCONCLUSIVE' }));
      const runs = await readHistory(root);
      expect(runs.map((r) => r.outcome).slice(1)).toEqual(['UNREACHABLE', 'UNREACHABLE']);
      const table = renderHistoryTable(runs, { code: '503' });
      expect(table.split('\n').filter((l) => l.includes('│ UNREACHABLE'))).toHaveLength(2);
      expect(table).toMatch(/│ range\s+│ \d\/3 FAIL, 2 UNREACHABLE/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
