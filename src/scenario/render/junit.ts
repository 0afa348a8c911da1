/**
 * JUnit XML as CI servers read it (Jenkins' xUnit schema, test/fixtures/jenkins-junit-10.xsd): one testsuite
 * per scenario, one testcase per expectation, classname `<scenario>.<step>`. FAIL is a
 * `<failure>` saying expected vs observed; INCONCLUSIVE and NOT RUN are `<skipped>` unless
 * `--inconclusive fail` makes them failures, so the CI view agrees with the exit code. An
 * unreachable target (exit 4 whatever `--inconclusive` says) makes every testcase an `<error>`.
 */
import { formatInterval } from '../format.js';
import { type InconclusiveAs, allResults, countsAsFailure, scenarioOutcome, tally } from '../verdict.js';
import type { ExpectationResult, ScenarioResult, StepResult } from '../results.js';

export interface JUnitOptions {
  inconclusiveAs?: InconclusiveAs;
  hostname?: string;
}

// XML 1.0 cannot carry most C0 controls even escaped; drop them rather than emit an unreadable file.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXmlText(s: string): string {
  return s.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also escape quotes, and line breaks/tabs as character references (else normalised to spaces). */
export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(String(v))}"`)
    .join('');
}

function secs(s: number): string {
  return Math.max(0, s).toFixed(3);
}

/** xs:dateTime without zone or fraction, the form Ant writes (UTC here). */
function timestamp(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '1970-01-01T00:00:00' : d.toISOString().slice(0, 19);
}

function detail(r: ExpectationResult, s: StepResult): string {
  const lines = [r.message, `policy: ${s.policy}`, `decided by: ${r.basis}`];
  if (r.k !== undefined && r.n !== undefined) lines.push(`calls with the code: ${r.k} of ${r.n}`);
  if (r.interval) lines.push(`95% Wilson interval: ${formatInterval(r.interval)}`);
  if (r.reason) lines.push(`reason: ${r.reason}`);
  return lines.join('\n');
}

function testcase(sr: ScenarioResult, s: StepResult, r: ExpectationResult, time: number, ia: InconclusiveAs): string {
  const name = `${s.point ? `c=${s.point.value} ` : ''}${r.label} ${r.expected}`;
  const head = `    <testcase${attrs({ name, classname: `${sr.scenario}.${s.step}`, time: secs(time) })}`;
  if (r.verdict === 'PASS') return `${head}/>`;
  let child: string;
  if (sr.unreachable !== undefined) {
    child = `<error${attrs({ message: sr.unreachable, type: 'UNREACHABLE' })}>${escapeXmlText(detail(r, s))}</error>`;
  } else if (countsAsFailure(r.verdict, ia)) {
    child = `<failure${attrs({ message: r.message, type: r.verdict })}>${escapeXmlText(detail(r, s))}</failure>`;
  } else {
    child = `<skipped${attrs({ message: `${r.verdict}: ${r.reason ?? r.message}` })}/>`;
  }
  return `${head}>\n      ${child}\n    </testcase>`;
}

function suite(sr: ScenarioResult, opts: JUnitOptions): { xml: string; tests: number; failures: number; errors: number; skipped: number; time: number } {
  const ia = opts.inconclusiveAs ?? 'inconclusive';
  const results = allResults(sr);
  const errors = sr.unreachable !== undefined ? results.filter((r) => r.verdict !== 'PASS').length : 0;
  const judged = sr.unreachable !== undefined ? [] : results;
  const failures = judged.filter((r) => countsAsFailure(r.verdict, ia)).length;
  const skipped = judged.filter((r) => r.verdict !== 'PASS' && !countsAsFailure(r.verdict, ia)).length;
  const time = Math.max(0, (Date.parse(sr.finishedAt) - Date.parse(sr.startedAt)) / 1000) || 0;
  const c = tally(results);
  const props: [string, string | undefined][] = [
    ['file', sr.file],
    ['target', sr.target],
    ['cluster', sr.cluster],
    ['outcome', scenarioOutcome(sr, ia)],
    ['verdicts', `PASS ${c.PASS}, FAIL ${c.FAIL}, INCONCLUSIVE ${c.INCONCLUSIVE}, NOT RUN ${c['NOT RUN']}`],
    ['interrupted', String(sr.interrupted)],
    ['unreachable', sr.unreachable],
  ];
  const lines = [
    `  <testsuite${attrs({
      name: sr.scenario,
      tests: results.length,
      failures,
      errors,
      skipped,
      time: secs(time),
      timestamp: timestamp(sr.startedAt),
      hostname: opts.hostname,
    })}>`,
    '    <properties>',
    ...props.filter(([, v]) => v !== undefined).map(([n, v]) => `      <property${attrs({ name: n, value: v })}/>`),
    '    </properties>',
  ];
  for (const s of sr.steps) {
    // The step's load time goes on its first testcase so the suite's testcases add up to the load time.
    const stepTime = s.observed?.duration ?? 0;
    s.results.forEach((r, i) => lines.push(testcase(sr, s, r, i === 0 ? stepTime : 0, ia)));
  }
  if (sr.meshYaml !== '') lines.push(`    <system-out>${escapeXmlText(`Mesh policy under test:\n${sr.meshYaml}`)}</system-out>`);
  lines.push('  </testsuite>');
  return { xml: lines.join('\n'), tests: results.length, failures, errors, skipped, time };
}

export function renderJUnit(scenarios: readonly ScenarioResult[], opts: JUnitOptions = {}): string {
  const suites = scenarios.map((s) => suite(s, opts));
  const sum = (k: 'tests' | 'failures' | 'errors' | 'skipped' | 'time'): number => suites.reduce((a, s) => a + s[k], 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    // Jenkins' schema allows no `skipped` on <testsuites>: each <testsuite> carries its own.
    `<testsuites${attrs({ name: 'tripbench', tests: sum('tests'), failures: sum('failures'), errors: sum('errors'), time: secs(sum('time')) })}>`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}
