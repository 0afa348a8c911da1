/**
 * `tripbench report`: fortio's text report for any result JSON, HTML pages for a result, a
 * comparison and a run directory, and one-line errors with exit 2 for input it cannot read.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/report.js';
import { encodeFortioJson, parseFortioJson } from '../../src/report/fortioJson.js';
import { formatReport } from '../../src/report/fortioText.js';
import { renderVerdictsJson } from '../../src/scenario/render/verdictsJson.js';
import { Level } from '../../src/shared/log.js';
import { fakeResult, istioRun } from '../scenario/helpers.js';
import { SAMPLE_DIR, reportLines, sampleJsonFiles } from '../report/samples.js';

const sample = (f: string): string => new URL(f, SAMPLE_DIR).pathname;

async function report(...argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await reportCommand(argv, { err: (s) => void (err += s) });
  return { code, err };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tripbench-report-'));
}

describe('tripbench report RESULT.json: the text report', () => {
  it.each(sampleJsonFiles())('%s prints the same report lines as fortio did', async (file) => {
    const { code, err } = await report(sample(file));
    expect(code).toBe(0);
    const parsed = parseFortioJson(readFileSync(sample(file), 'utf8'), file);
    expect(err).toBe(formatReport(parsed, { level: Level.Info }));
    expect(err).toMatch(/^All done \d+ calls/m);
    const txt = sample(file.replace(/\.json$/, '.txt'));
    // fortio-load-c2-n20's .txt and .json come from two different runs (fixtures README).
    if (!existsSync(txt) || file === 'fortio-load-c2-n20.json') return;
    const fortio = new Set(reportLines(readFileSync(txt, 'utf8')));
    // Current fortio adds "Catchup allowed" to the Uniform line; tripbench prints today's form.
    const ours = err.trimEnd().split('\n').filter((l) => !l.startsWith('Uniform: '));
    expect(ours.filter((l) => !fortio.has(l))).toEqual([]);
  });

  it('reads our own JSON too', async () => {
    const dir = tmp();
    const f = join(dir, 'ours.json');
    writeFileSync(f, encodeFortioJson(parseFortioJson(JSON.stringify(fakeResult({ '200': 17, '503': 3 })))));
    const { code, err } = await report(f);
    expect(code).toBe(0);
    expect(err).toContain('Code 503 : 3 (15.0 %)');
  });
});

describe('tripbench report -o: HTML pages', () => {
  it('writes the page of one result, with -o before or after the file', async () => {
    const dir = tmp();
    for (const argv of [['-o', join(dir, 'a.html'), sample('fortio-load-p-custom-503.json')], [sample('fortio-load-p-custom-503.json'), '-o', join(dir, 'b.html')]]) {
      const { code, err } = await report(...argv);
      expect(code).toBe(0);
      expect(err).toMatch(/^Successfully wrote \d+ bytes of HTML report to .*\.html$/m);
    }
    const html = readFileSync(join(dir, 'b.html'), 'utf8');
    expect(html).toContain('<title>tripbench: fortio-load-p-custom-503</title>');
    expect(html).toContain('data-kind="histogram"');
  });

  it('compares two results: both text reports, a comparison, overlaid curves', async () => {
    const dir = tmp();
    const out = join(dir, 'cmp.html');
    const { code, err } = await report(sample('fortio-load-p-custom-503.json'), sample('fortio-load-multibucket-c4-n200.json'), '-o', out, '-title', 'A vs B');
    expect(code).toBe(0);
    expect(err.match(/^==> .* <==$/gm)).toHaveLength(2);
    expect(err).toContain('Comparison with fortio-load-p-custom-503:');
    expect(err).toMatch(/^code 503 ratio\s+0\.178 \(16\/90\)\s+0\.0 \(0\/200\)\s+−0\.178 \[−0\.269, −0\.110\] changed$/m);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<title>A vs B</title>');
    expect(html).toContain('id="chart-cmp-pct"');
  });

  it('names two files of the same name by their folders, the full path on hover', async () => {
    const dir = tmp();
    const [before, after] = [join(dir, 'nightly', 'before'), join(dir, 'nightly', 'after')];
    for (const d of [before, after]) mkdirSync(d, { recursive: true });
    writeFileSync(join(before, 'run.json'), readFileSync(sample('fortio-load-p-custom-503.json')));
    writeFileSync(join(after, 'run.json'), readFileSync(sample('fortio-load-multibucket-c4-n200.json')));
    const out = join(dir, 'cmp.html');
    const { code, err } = await report(join(before, 'run.json'), join(after, 'run.json'), '-o', out);
    expect(code).toBe(0);
    expect(err).toContain('Comparison with before/run:');
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<title>tripbench: before/run vs after/run</title>');
    expect(html).toContain(`<th title="${join(before, 'run.json')}">before/run</th>`);
    expect(html).toContain(`<h2 title="${join(after, 'run.json')}">`);
    const data = JSON.parse(/<script type="application\/json" id="tripbench-data">([^]*?)<\/script>/.exec(html)?.[1] ?? '{}') as { charts: { id: string; series?: { label: string; title?: string }[] }[] };
    const pct = data.charts.find((c) => c.id === 'chart-cmp-pct');
    expect(pct?.series?.map((x) => [x.label, x.title])).toEqual([
      ['before/run', join(before, 'run.json')],
      ['after/run', join(after, 'run.json')],
    ]);
  });

  it('writes the page of a run directory beside its verdicts.json', async () => {
    const dir = tmp();
    const sr = istioRun();
    writeFileSync(join(dir, 'verdicts.json'), renderVerdictsJson(sr, { version: 'test' }));
    for (const s of sr.steps) {
      if (s.observed && s.key !== 'c3') writeFileSync(join(dir, `${s.key}.json`), encodeFortioJson(parseFortioJson(JSON.stringify(fakeResult(s.observed.codes)))));
    }
    const { code, err } = await report(dir);
    expect(code).toBe(0);
    // c3's file is missing: said once, the page is written without its charts
    expect(err).toMatch(/c3\.json: missing, step c3 is shown without charts/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('istio-circuit-breaking');
    expect(html).toContain('id="chart-s0-istio-circuit-breaking-c2-hist"');
    expect(html).not.toContain('id="chart-s0-istio-circuit-breaking-c3-hist"');
    expect(html).toContain('No load result was given for this step.');

    const other = join(dir, 'elsewhere.html');
    expect((await report(join(dir, 'verdicts.json'), '-o', other, '-inconclusive', 'fail')).code).toBe(0);
    expect(readFileSync(other, 'utf8')).toContain('(counts as FAIL)');
  });

  it('compares two runs of one scenario step by step, each run keeping its own results', async () => {
    // Two nightly runs of the same scenario: same scenario and step names, different trip counts.
    const root = tmp();
    const runs: Record<string, Record<string, number>> = {
      '2026-11-24T010000Z': { '200': 17, '503': 3 },
      '2026-11-25T010000Z': { '200': 8, '503': 12 },
    };
    for (const [name, c2] of Object.entries(runs)) {
      const dir = join(root, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'verdicts.json'), renderVerdictsJson(istioRun(), { version: 'test' }));
      for (const s of istioRun().steps) {
        const codes = s.key === 'c2' ? c2 : s.observed?.codes;
        if (codes) writeFileSync(join(dir, `${s.key}.json`), encodeFortioJson(parseFortioJson(JSON.stringify(fakeResult(codes)))));
      }
    }
    const [a, b] = Object.keys(runs).map((n) => join(root, n)) as [string, string];
    const out = join(root, 'cmp.html');
    const { code, err } = await report(a, b, '-o', out);
    expect(code).toBe(0);
    expect(err).toContain('istio-circuit-breaking c2, compared with 2026-11-24T010000Z:');
    expect(err).toMatch(/^code 503 ratio\s+0\.15 \(3\/20\)\s+0\.6 \(12\/20\)\s+\+0\.450 \[\+0\.150, \+0\.656\] changed$/m);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<h2>Comparison of runs</h2>');
    expect(html).toContain('id="chart-cmp-istio-circuit-breaking-c2-pct"');
    const data = JSON.parse(/<script type="application\/json" id="tripbench-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}') as {
      charts: { id: string; counts?: number[] }[];
    };
    const counts = (id: string): number[] | undefined => data.charts.find((c) => c.id === id)?.counts;
    expect(counts('chart-s0-istio-circuit-breaking-c2-codes')).toEqual([17, 3]);
    expect(counts('chart-s1-istio-circuit-breaking-c2-codes')).toEqual([8, 12]);
  });
});

describe('tripbench report: bad input is one line and exit 2', () => {
  const dir = tmp();
  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, '{ nope');
  const notFortio = join(dir, 'other.json');
  writeFileSync(notFortio, '{"hello": 1}');
  const badField = join(dir, 'field.json');
  writeFileSync(badField, '{"DurationHistogram": {"Count": "many"}}');
  const emptyDir = join(dir, 'empty');
  mkdirSync(emptyDir);
  const badVerdicts = join(dir, 'badrun');
  mkdirSync(badVerdicts);
  writeFileSync(join(badVerdicts, 'verdicts.json'), '{"format": "tripbench.verdicts/v1", "scenario": "x", "steps": [{"key": 1}]}');
  const goodRun = join(dir, 'goodrun');
  mkdirSync(goodRun);
  writeFileSync(join(goodRun, 'verdicts.json'), renderVerdictsJson(istioRun(), { version: 'test' }));

  it.each([
    [[join(dir, 'none.json')], /none\.json: no such file or directory$/],
    [[notJson], /bad\.json: not valid JSON/],
    [[notFortio], /other\.json: not a fortio result/],
    [[badField], /field\.json: DurationHistogram\.Count: expected a number/],
    [[emptyDir], /empty\/verdicts\.json: no such file or directory$/],
    [[badVerdicts], /verdicts\.json: steps\[0\]\.step: expected a string$/],
    [[sample('fortio-load-c2-n20.json'), goodRun], /either result files or run directories/],
    [[goodRun, goodRun], /with several run directories, name the page with -o/],
    [[], /give a RESULT\.json or a RUN_DIR/],
    [['-nope', sample('fortio-load-c2-n20.json')], /flag provided but not defined: -nope/],
    [['-o'], /flag needs an argument: -o/],
    [[goodRun, '-inconclusive', 'maybe'], /invalid value "maybe" for flag -inconclusive/],
  ])('%j', async (argv, message) => {
    const { code, err } = await report(...argv);
    expect(code).toBe(2);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^tripbench report: /);
    expect(err.trimEnd()).toMatch(message);
  });

  it('prints its usage for -h', async () => {
    const { code, err } = await report('-h');
    expect(code).toBe(0);
    expect(err).toContain('Usage: tripbench report');
    expect(err).toContain('-o string');
  });
});

describe('the installed command', () => {
  it('tripbench report is registered and prints the report on stderr', async () => {
    const bin = new URL('../../bin/tripbench.js', import.meta.url).pathname;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'report', sample('fortio-load-refused-n10.json')]);
    expect(stdout).toBe('');
    expect(stderr).toContain('Code  -1 : 10 (100.0 %)');
  });
});
