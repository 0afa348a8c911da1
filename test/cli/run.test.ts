/**
 * `tripbench run` end to end, as CI runs it: the built CLI as a child process, the shipped
 * scenarios against the in-process rehearsal, real report files read back by real parsers.
 * Loads are small (tens to a few hundred calls per step); the slowest scenario waits 3 s on
 * purpose (the egress timeout).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFortioJson } from '../../src/report/fortioJson.js';
import type { VerdictsDocument } from '../../src/scenario/render/verdictsJson.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { TASK_MESH } from '../helpers/meshFixtures.js';
import { XMLLINT, markdownTables, parseJUnit, readVerdicts, runDir, xsdErrors } from '../helpers/runArtifacts.js';
import { refusedPort } from '../helpers/servers.js';
import { PROMTOOL, promtoolErrors } from '../helpers/promtool.js';
import { escapeHtml } from '../../src/html/escape.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = (): string => mkdtempSync(join(tmpdir(), 'tripbench-run-'));
// GITHUB_STEP_SUMMARY is cleared so that CI's own step summary does not collect these runs.
const run = (args: string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
  runCli(['run', ...args], { cwd: ROOT, timeoutMs, env: { GITHUB_STEP_SUMMARY: '', ...env } });
const why = (r: CliRun): string => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.split('\n').filter((l) => !l.startsWith('{')).slice(-60).join('\n')}`;

function scenarioFile(dir: string, name: string, body: string): string {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, `name: ${name}\ntarget: http://httpbin:8000/get\n${body}`);
  return f;
}

/** Every JUnit file the runs below wrote, validated against the XSD by the last test of the file. */
const junitWritten: { what: string; xml: string }[] = [];
const promWritten: { what: string; text: string }[] = [];

const SHIPPED = ['istio-circuit-breaking', 'egress-timeout', 'outlier-ejection', 'fault-injection', 'concurrency-sweep', 'egress-http-blocked', 'egress-http-allowed', 'egress-https-blocked', 'egress-https-sni', 'egress-tls-origination', 'tcp-max-connections', 'http2-max-requests', 'grpc-circuit-breaking'];

describe('every shipped scenario passes against the local rehearsal', () => {
  it('ships exactly these scenarios', () => {
    expect(readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace('.yaml', '')).sort()).toEqual([...SHIPPED].sort());
  });

  it.each(SHIPPED)('%s: exit 0, the verdict table, and every report file readable', async (name) => {
    const reports = tmp();
    const r = await run([`scenarios/${name}.yaml`, '--reports', reports, '--html']);
    expect(r.code, why(r)).toBe(0);
    expect(r.stdout).toMatch(/│ Step\s+│ Expectation\s+│ Expected\s+│ Observed\s+│ 95 % interval\s+│ Verdict\s+│/);
    expect(r.stdout).toContain(`${name}: PASS `);
    // each step's fortio report, as tripbench load prints it
    expect(r.stderr).toMatch(/^Fortio tripbench-\S+ running at \d+ queries per second/m);
    expect(r.stderr).toMatch(/^All done \d+ calls/m);

    const dir = runDir(reports, name);
    const doc = readVerdicts(dir);
    expect(doc.format).toBe('tripbench.verdicts/v1');
    expect(doc.outcome).toBe('PASS');
    // what the rehearsal emulated and what it does not model, in every result (issue 17)
    expect(doc.rehearsal).toMatchObject({ istioVersion: '1.30', envoyVersion: '1.38' });
    expect(doc.rehearsal?.notModelled?.join('; ')).toMatch(/no server-side sidecar.*no real mTLS.*no locality or priority/);
    expect(r.stdout).toContain('Rehearsal emulated Istio 1.30 (Envoy 1.38); not modelled: one client sidecar');
    expect(doc.steps.every((s) => s.status === 'completed')).toBe(true);
    for (const s of doc.steps) {
      expect(s.files).toEqual([`${s.key}.json`, `${s.key}.txt`]);
      const result = parseFortioJson(readFileSync(join(dir, `${s.key}.json`), 'utf8'), `${s.key}.json`);
      expect(Object.values(result.RetCodes).reduce((a, b) => a + b, 0)).toBe(s.observed?.calls);
      expect(readFileSync(join(dir, `${s.key}.txt`), 'utf8')).toMatch(/^All done/m);
    }
    expect(readFileSync(join(dir, 'scenario.yaml'), 'utf8')).toBe(readFileSync(join(ROOT, 'scenarios', `${name}.yaml`), 'utf8'));

    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    junitWritten.push({ what: `${name}: junit.xml`, xml: junit });
    const j = parseJUnit(junit);
    expect(j.testsuites['@_failures']).toBe('0');
    expect(Number(j.testsuites['@_tests'])).toBe(doc.counts.total);

    const tables = markdownTables(readFileSync(join(dir, 'summary.md'), 'utf8'));
    expect(tables[0]?.header).toEqual(['Step', 'Expectation', 'Expected', 'Observed', '95 % interval', 'Verdict']);
    expect(tables[0]?.rows.length).toBe(doc.counts.total);

    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(name);
    expect(html).toContain('Local rehearsal: emulated Istio <code>1.30</code> (Envoy <code>1.38</code>)');
  }, 180_000);

  it('the sweep prints its trip-ratio curve, growing from 0 at c=1', async () => {
    const reports = tmp();
    const r = await run(['scenarios/concurrency-sweep.yaml', '--reports', reports, '--only', 'sweep']);
    expect(r.code, why(r)).toBe(0);
    expect(r.stdout).toContain('Trip-ratio curve: sweep (503 ratio vs concurrency)');
    const curve = readVerdicts(runDir(reports, 'concurrency-sweep')).curves['sweep'] ?? [];
    expect(curve.map((p) => p.c)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(curve[0]?.k).toBe(0);
    expect(curve[5]?.ratio).toBeGreaterThan(curve[1]?.ratio ?? 1);
  }, 120_000);
});

describe('verdicts that are not PASS', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp();
  });

  it('a wrong expectation (0 % 503 at -c 3) FAILs with exit 1 and a JUnit failure naming expected and observed', async () => {
    const f = scenarioFile(dir, 'wrong', `${TASK_MESH}steps:\n  - name: c3\n    load: { c: 3, n: 30, qps: 0 }\n    expect:\n      codes: { 503: 0 }\n`);
    const reports = tmp();
    const extra = join(dir, 'extra-junit.xml');
    const summary = join(dir, 'summary.md');
    const r = await run([f, '--reports', reports, '--junit', extra, '--summary', summary]);
    expect(r.code, why(r)).toBe(1);
    expect(r.stdout).toMatch(/│ c3\s+│ 503 ratio\s+│ == 0\s+│ 0\.\d+ \(\d+\/30\)/);
    for (const file of [join(runDir(reports, 'wrong'), 'junit.xml'), extra]) {
      const xml = readFileSync(file, 'utf8');
      junitWritten.push({ what: `wrong: ${file}`, xml });
      const failure = parseJUnit(xml).testsuites.testsuite[0]?.testcase[0]?.failure;
      expect(failure?.['@_message']).toMatch(/^expected 503 ratio == 0, observed 0\.\d+ \(\d+\/30\)/);
      expect(failure?.['#text']).toContain('policy: confident');
    }
    expect(readFileSync(summary, 'utf8')).toContain('❌ FAIL');
  }, 120_000);

  it('INCONCLUSIVE exits 3, or 0 / 1 with --inconclusive pass / fail', async () => {
    // 10 of 10 calls succeeding cannot show ">= 0.9" with 95 % confidence: [0.722, 1] straddles 0.9.
    const f = scenarioFile(dir, 'undecided', `steps:\n  - name: few\n    load: { c: 1, n: 10, qps: 0 }\n    expect:\n      codes: { 200: ">= 0.9" }\n`);
    const codes: Record<string, number | null> = {};
    for (const ia of ['inconclusive', 'pass', 'fail']) {
      const reports = tmp();
      const r = await run([f, '--reports', reports, '--inconclusive', ia]);
      codes[ia] = r.code;
      expect(readVerdicts(runDir(reports, 'undecided')).inconclusiveAs).toBe(ia);
      const xml = readFileSync(join(runDir(reports, 'undecided'), 'junit.xml'), 'utf8');
      junitWritten.push({ what: `undecided --inconclusive ${ia}`, xml });
      const suite = parseJUnit(xml).testsuites.testsuite[0];
      if (ia === 'fail') expect(parseJUnit(xml).testsuites['@_failures']).toBe('1');
      if (ia === 'inconclusive') expect(suite?.testcase[0]?.skipped?.['@_message']).toMatch(/^INCONCLUSIVE: /);
    }
    expect(codes).toEqual({ inconclusive: 3, pass: 0, fail: 1 });
  }, 120_000);

  it('appends the summary to $GITHUB_STEP_SUMMARY when set', async () => {
    const f = scenarioFile(dir, 'gh', `steps:\n  - name: one\n    load: { c: 1, n: 5, qps: 0 }\n    expect:\n      codes: { 200: 1 }\n`);
    const gh = join(dir, 'step-summary.md');
    writeFileSync(gh, '# before\n');
    const r = await run([f, '--reports', tmp()], 90_000, { GITHUB_STEP_SUMMARY: gh });
    expect(r.code, why(r)).toBe(0);
    const md = readFileSync(gh, 'utf8');
    expect(md.startsWith('# before\n')).toBe(true);
    expect(markdownTables(md)[0]?.rows[0]?.[0]).toBe('one');
  }, 120_000);
});

describe('bad input exits 2 with file:line:col: field, before anything runs', () => {
  const cases: Record<string, [string, RegExp]> = {
    'bad YAML': ['steps:\n  - name: a\n    load: {c: 1\n', /bad-yaml\.yaml:\d+:\d+: \(yaml\): /],
    'unknown key': ['steps:\n  - name: a\n    load: {c: 1, n: 2}\n    expct: {}\n', /unknown-key\.yaml:6:5: steps\[0\]\.expct: unknown field/],
    'range with min > max': ['steps:\n  - name: a\n    load: {c: 1, n: 2}\n    expect:\n      codes: {503: [0.7, 0.3]}\n', /range-with-min-max\.yaml:7:20: steps\[0\]\.expect\.codes\.503: range min 0\.7 > max 0\.3/],
    'percent > 1': ['steps:\n  - name: a\n    load: {c: 1, n: 2}\n    expect:\n      codes: {200: 95}\n', /percent-1\.yaml:7:20: steps\[0\]\.expect\.codes\.200: ratio 95 is outside \[0, 1\]/],
    'unknown code': ['steps:\n  - name: a\n    load: {c: 1, n: 2}\n    expect:\n      codes: {600: 0}\n', /unknown-code\.yaml:7:15: steps\[0\]\.expect\.codes\.600: unknown status code "600"/],
    'missing load': ['steps:\n  - name: a\n    expect:\n      codes: {200: 1}\n', /missing-load\.yaml:4:5: steps\[0\]: missing required field "load"/],
    'typo inside the mesh': [`${TASK_MESH.replace('maxConnections', 'maxConection')}steps:\n  - name: a\n    load: {c: 1, n: 2}\n`, /typo-inside-the-mesh\.yaml:11:18: mesh\[0\]\.spec\.trafficPolicy\.connectionPool\.tcp\.maxConection: unknown field/],
  };
  it.each(Object.keys(cases))('%s', async (label) => {
    const [body, message] = cases[label] as [string, RegExp];
    const dir = tmp();
    const f = scenarioFile(dir, label.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '').toLowerCase(), body);
    const reports = join(dir, 'reports');
    const r = await run([f, '--reports', reports], 90_000);
    expect(r.code, why(r)).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(reports)).toBe(false);
  });

  it('bad flags and unknown --only steps', async () => {
    expect((await run(['scenarios/istio-circuit-breaking.yaml', '--inconclusive', 'maybe'], 90_000)).code).toBe(2);
    expect((await run(['scenarios/istio-circuit-breaking.yaml', '--bogus'], 90_000)).code).toBe(2);
    const only = await run(['scenarios/istio-circuit-breaking.yaml', '--only', 'c9', '--dry-run'], 90_000);
    expect(only.code).toBe(2);
    expect(only.stderr).toContain('--only c9: no such step');
    expect((await run([], 90_000)).code).toBe(2);
  });
});

describe('target and admin endpoint', () => {
  it('--target on a refused port exits 4 before any step, with one line saying why', async () => {
    const { url } = await refusedPort();
    const reports = tmp();
    const r = await run(['scenarios/istio-circuit-breaking.yaml', '--target', url, '--reports', reports], 90_000);
    expect(r.code, why(r)).toBe(4);
    expect(r.stderr).not.toContain('==> istio-circuit-breaking');
    expect(r.stderr).toMatch(/^tripbench run: istio-circuit-breaking: target unreachable: http:\/\/127\.0\.0\.1:\d+\/get: .*ECONNREFUSED/m);
    const doc = readVerdicts(runDir(reports, 'istio-circuit-breaking'));
    expect(doc.steps.every((s) => s.status === 'not-run' && s.results.every((x) => x.verdict === 'NOT RUN'))).toBe(true);
  }, 120_000);

  it('an unreachable target is UNREACHABLE and exit 4 in every report too, never PASS even with --inconclusive pass', async () => {
    const { url } = await refusedPort();
    const dir = tmp();
    const reports = join(dir, 'reports');
    const [junit, summary, prom] = [join(dir, 'junit.xml'), join(dir, 'summary.md'), join(dir, 'run.prom')];
    const files = ['scenarios/istio-circuit-breaking.yaml', 'scenarios/fault-injection.yaml'];
    const r = await run([...files, '--target', url, '--reports', reports, '--inconclusive', 'pass', '--json', '--junit', junit, '--summary', summary, '--prometheus', prom, '--html'], 90_000);
    expect(r.code, why(r)).toBe(4);
    expect(r.stderr).toContain('istio-circuit-breaking: UNREACHABLE (exit 4)');
    const docs = JSON.parse(r.stdout) as VerdictsDocument[];
    expect(docs.map((d) => [d.outcome, d.exitCode])).toEqual([
      ['UNREACHABLE', 4],
      ['UNREACHABLE', 4],
    ]);
    expect(readVerdicts(runDir(reports, 'istio-circuit-breaking')).outcome).toBe('UNREACHABLE');
    expect(docs[0]?.unreachable).toMatch(/^target unreachable: http:\/\/127\.0\.0\.1:\d+\/get: .*ECONNREFUSED/);
    expect(readVerdicts(runDir(reports, 'fault-injection')).exitCode).toBe(4);

    const xml = readFileSync(junit, 'utf8');
    junitWritten.push({ what: 'unreachable target: --junit', xml });
    const suite = parseJUnit(xml).testsuites.testsuite[0];
    expect(suite?.['@_errors']).toBe(suite?.['@_tests']);
    expect(suite?.['@_skipped']).toBe('0');
    expect(suite?.testcase[0]?.error?.['@_message']).toBe(docs[0]?.unreachable);
    expect(suite?.testcase[0]?.error?.['@_type']).toBe('UNREACHABLE');
    expect(suite?.properties.property.find((p) => p['@_name'] === 'outcome')?.['@_value']).toBe('UNREACHABLE');

    const md = readFileSync(summary, 'utf8');
    expect(md.split('\n')[0]).toBe('# ⛔ tripbench: UNREACHABLE (exit 4)');
    expect(md).toContain('## ⛔ `istio-circuit-breaking`: UNREACHABLE');
    expect(md).not.toContain('✅');
    expect(md).toContain(`**Nothing ran** (exit 4): ${docs[0]?.unreachable}`);
    // once per scenario, not on every row
    expect(md.split(docs[0]?.unreachable ?? '?').length - 1).toBe(2);
    const own = readFileSync(join(runDir(reports, 'istio-circuit-breaking'), 'summary.md'), 'utf8');
    expect(own).toContain(': UNREACHABLE');
    expect(own.split(docs[0]?.unreachable ?? '?').length - 1).toBe(1);

    const html = readFileSync(join(runDir(reports, 'istio-circuit-breaking'), 'report.html'), 'utf8');
    expect(html).toContain('<div class="banner unreachable" role="alert"><strong>UNREACHABLE: nothing ran (exit 4).</strong>');
    expect(html.split(escapeHtml(docs[0]?.unreachable ?? '?')).length - 1).toBe(1);
    expect(html).not.toContain('class="chart"');

    const metrics = readFileSync(prom, 'utf8');
    expect(metrics).toContain('tripbench_scenario_outcome{scenario="istio-circuit-breaking",outcome="UNREACHABLE"} 1');
    expect(metrics).toContain('tripbench_run_exit_code{scenario="fault-injection"} 4');
    promWritten.push({ what: 'unreachable target: --prometheus', text: metrics });
  }, 120_000);

  it('an unreachable admin endpoint makes the Envoy checks INCONCLUSIVE with the reason, never a crash', async () => {
    const { url } = await refusedPort();
    const reports = tmp();
    const r = await run(['scenarios/istio-circuit-breaking.yaml', '--only', 'c1', '--envoy-admin', url, '--reports', reports], 90_000);
    expect(r.code, why(r)).toBe(3);
    const c1 = readVerdicts(runDir(reports, 'istio-circuit-breaking')).steps[0];
    const envoy = c1?.results.find((x) => x.kind === 'envoy');
    expect(envoy?.verdict).toBe('INCONCLUSIVE');
    expect(envoy?.reason).toMatch(/^Envoy admin endpoint unreachable: GET http:\/\/127\.0\.0\.1:\d+\/stats\?filter=.*fetch failed/);
    expect(c1?.results.filter((x) => x.kind === 'ratio').every((x) => x.verdict === 'PASS')).toBe(true);
    expect(r.stdout).toContain('c1 envoy upstream_rq_pending_overflow: Envoy admin endpoint unreachable');
  }, 120_000);

  it('a reports folder that cannot be written is exit 1 even when every check PASSes, and the last line says so', async () => {
    const dir = tmp();
    const reports = join(dir, 'a-file');
    writeFileSync(reports, '');
    const junit = join(dir, 'junit.xml');
    const r = await run(['scenarios/istio-circuit-breaking.yaml', '--only', 'c1', '--reports', reports, '--junit', junit], 90_000);
    expect(r.code, why(r)).toBe(1);
    expect(r.stdout).toContain('→ PASS (exit 0)');
    expect(r.stdout).toMatch(/^tripbench run: 1 scenario\(s\): PASS, \d report file\(s\) not written \(exit 1\)$/m);
    expect(r.stderr).toMatch(/^tripbench run: cannot write istio-circuit-breaking\/c1: ENOTDIR/m);
    // what could be written still is
    expect(parseJUnit(readFileSync(junit, 'utf8')).testsuites['@_failures']).toBe('0');
  }, 120_000);

  it('reads the stats as JSON with --stats-format json', async () => {
    const reports = tmp();
    const r = await run(['scenarios/istio-circuit-breaking.yaml', '--stats-format', 'json', '--reports', reports]);
    expect(r.code, why(r)).toBe(0);
    const doc = readVerdicts(runDir(reports, 'istio-circuit-breaking'));
    const c3 = doc.steps.find((s) => s.key === 'c3');
    const env = c3?.observed?.envoy;
    expect(env && 'deltas' in env ? env.deltas[`cluster.${env.cluster}.upstream_rq_pending_overflow`] : undefined).toBe(c3?.observed?.codes['503']);
  }, 120_000);
});

describe('run modes', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp();
  });
  afterAll(() => undefined);

  it('--dry-run validates and prints the plan as tripbench load command lines, loading nothing', async () => {
    const reports = join(dir, 'dry');
    const r = await run(['scenarios/', '--dry-run', '--reports', reports], 90_000);
    expect(r.code, why(r)).toBe(0);
    expect(r.stdout).toContain('tripbench load -c 3 -qps 0 -n 30 http://httpbin:8000/get');
    expect(r.stdout).toContain('tripbench load -c 3 -qps 0 -n 3 -timeout 10s http://httpbin.org/delay/5');
    expect(r.stdout).toContain("-H 'end-user: jason'");
    expect(r.stdout).toContain('sweep c=6');
    expect(existsSync(reports)).toBe(false);
    const t = await run(['scenarios/istio-circuit-breaking.yaml', '--dry-run', '--target', 'http://10.0.0.7:8000'], 90_000);
    expect(t.stdout).toContain('tripbench load -c 2 -qps 0 -n 20 http://10.0.0.7:8000/get');
  }, 120_000);

  it('--only runs the named steps, --json prints the verdicts document on stdout', async () => {
    const reports = join(dir, 'only');
    const r = await run(['scenarios/istio-circuit-breaking.yaml', '--only', 'c1', '--json', '--reports', reports], 90_000);
    expect(r.code, why(r)).toBe(0);
    const doc = JSON.parse(r.stdout) as VerdictsDocument;
    expect(doc.format).toBe('tripbench.verdicts/v1');
    expect(doc.steps.map((s) => s.key)).toEqual(['c1']);
    expect(readFileSync(join(runDir(reports, 'istio-circuit-breaking'), 'verdicts.json'), 'utf8')).toBe(r.stdout);
    // with --json the tables go to stderr
    expect(r.stderr).toContain('│ Step');
  }, 120_000);

  it('--parallel 2 runs two scenarios at once; --json prints both', async () => {
    const body = `upstream: { delay: 5ms }\nsteps:\n  - name: steady\n    load: { c: 2, qps: 40, t: 1500ms }\n    expect:\n      codes: { 200: 1 }\n`;
    const a = scenarioFile(dir, 'para-a', body);
    const b = scenarioFile(dir, 'para-b', body);
    const reports = join(dir, 'para');
    const r = await run([a, b, '--parallel', '2', '--json', '--reports', reports], 90_000);
    expect(r.code, why(r)).toBe(0);
    const docs = JSON.parse(r.stdout) as VerdictsDocument[];
    expect(docs.map((d) => d.scenario)).toEqual(['para-a', 'para-b']);
    const [x, y] = docs as [VerdictsDocument, VerdictsDocument];
    // overlapping runs: each started before the other finished
    expect(Date.parse(x.startedAt)).toBeLessThan(Date.parse(y.finishedAt));
    expect(Date.parse(y.startedAt)).toBeLessThan(Date.parse(x.finishedAt));
    expect(existsSync(runDir(reports, 'para-a')) && existsSync(runDir(reports, 'para-b'))).toBe(true);
  }, 120_000);

  it('scenario.yaml in the run folder is the text that ran, even if the file is edited during the run', async () => {
    const body = 'steps:\n  - name: a\n    load: { c: 1, qps: 20, t: 1s }\n    expect:\n      codes: { 200: 1 }\n';
    const f = scenarioFile(dir, 'edited', body);
    const original = readFileSync(f, 'utf8');
    const reports = join(dir, 'edited-reports');
    let edited = false;
    const r = await runCli(['run', f, '--reports', reports], {
      cwd: ROOT,
      env: { GITHUB_STEP_SUMMARY: '' },
      timeoutMs: 90_000,
      onStderr: (soFar) => {
        if (!edited && soFar.includes('==> edited: a <==')) {
          edited = true;
          writeFileSync(f, original.replace('codes: { 200: 1 }', 'codes: { 200: 0 }'));
        }
      },
    });
    expect(r.code, why(r)).toBe(0);
    expect(edited).toBe(true);
    expect(readFileSync(join(runDir(reports, 'edited'), 'scenario.yaml'), 'utf8')).toBe(original);
  }, 120_000);

  it.each(['SIGINT', 'SIGTERM'] as const)('%s mid-run: the current load stops, finished steps are judged, the rest NOT RUN, every file written', async (signal) => {
    const f = scenarioFile(
      dir,
      'interrupted',
      `upstream: { delay: 5ms }\nsteps:\n` +
        ['first:1s', 'second:20s', 'third:2s'].map((x) => {
          const [name, t] = x.split(':');
          return `  - name: ${name}\n    load: { c: 2, qps: 20, t: ${t} }\n    expect:\n      codes: { 200: 1 }\n`;
        }).join(''),
    );
    const reports = join(dir, signal, 'reports');
    let sent = false;
    const r = await runCli(['run', f, '--reports', reports, '--html'], {
      cwd: ROOT,
      env: { GITHUB_STEP_SUMMARY: '' },
      timeoutMs: 90_000,
      onStderr: (soFar, child) => {
        // signal once the second step's timed load has started, however long its warmup took
        const second = soFar.indexOf('==> interrupted: second <==');
        if (!sent && second >= 0 && soFar.includes('Starting at', second)) {
          sent = true;
          child.kill(signal);
        }
      },
    });
    expect(r.code, why(r)).toBe(3);
    expect(r.stderr).toContain(`Received ${signal}`);
    const d = runDir(reports, 'interrupted');
    const doc = readVerdicts(d);
    expect(doc.interrupted).toBe(true);
    expect(doc.steps.map((s) => [s.key, s.status, s.results[0]?.verdict])).toEqual([
      ['first', 'completed', 'PASS'],
      ['second', 'interrupted', 'NOT RUN'],
      ['third', 'not-run', 'NOT RUN'],
    ]);
    expect(doc.steps[1]?.results[0]?.reason).toBe('the run was interrupted during this step');
    // what the interrupted load did is kept, and it ran well short of its 20 s
    const partial = parseFortioJson(readFileSync(join(d, 'second.json'), 'utf8'), 'second.json');
    expect(partial.ActualDuration / 1e9).toBeLessThan(10);
    for (const file of ['first.json', 'first.txt', 'verdicts.json', 'junit.xml', 'summary.md', 'report.html', 'scenario.yaml']) expect(existsSync(join(d, file)), file).toBe(true);
    expect(existsSync(join(d, 'third.json'))).toBe(false);
    // no half-written file: every write went through a temp name that was renamed
    expect(readdirSync(d).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(parseJUnit(readFileSync(join(d, 'junit.xml'), 'utf8')).testsuites.testsuite[0]?.['@_skipped']).toBe('2');
  }, 120_000);
});

describe('JUnit files written by the runs above', () => {
  it.skipIf(XMLLINT.skip)(XMLLINT.title("every one validates against Jenkins' JUnit schema with xmllint"), () => {
    expect(junitWritten.length).toBeGreaterThan(0);
    for (const { what, xml } of junitWritten) expect(xsdErrors(xml), what).toBe('');
  });
});

describe('Prometheus files written by the runs above', () => {
  it.skipIf(PROMTOOL.skip)(PROMTOOL.title('promtool check metrics accepts every one without a complaint'), () => {
    expect(promWritten.length).toBeGreaterThan(0);
    for (const { what, text } of promWritten) expect(promtoolErrors(text), what).toBe('');
  });
});
