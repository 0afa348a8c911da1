import { describe, expect, it } from 'vitest';
import { escapeXmlAttr, renderJUnit } from '../../src/scenario/render/junit.js';
import type { ScenarioResult } from '../../src/scenario/results.js';
import { XMLLINT, parseJUnit, type JUnitSuite, xsdErrors } from '../helpers/runArtifacts.js';
import { UNREACHABLE_REASON, fixtureScenario, istioRun, scenarioResult, unreachableRun } from './helpers.js';

/** A c=3 run that misses the range: FAIL, plus an undecided c=2 and the rest not run. */
function failingRun(): ScenarioResult {
  return scenarioResult(fixtureScenario(), {
    c1: { codes: { '200': 20 } },
    c2: { codes: { '200': 17, '503': 3 }, envoy: { error: 'connect ECONNREFUSED 127.0.0.1:15000' } },
    c3: { codes: { '200': 30 }, sockets: 3 },
  });
}

describe('JUnit XML', () => {
  it.skipIf(XMLLINT.skip)(XMLLINT.title("validates against Jenkins' JUnit schema with xmllint: PASS, FAIL, skipped and error runs"), () => {
    expect(xsdErrors(renderJUnit([istioRun()]))).toBe('');
    expect(xsdErrors(renderJUnit([failingRun()]))).toBe('');
    expect(xsdErrors(renderJUnit([failingRun(), istioRun()], { inconclusiveAs: 'fail', hostname: 'ci-runner' }))).toBe('');
    expect(xsdErrors(renderJUnit([unreachableRun()]))).toBe('');
    expect(xsdErrors(renderJUnit([istioRun(), unreachableRun()], { inconclusiveAs: 'pass' }))).toBe('');
    expect(xsdErrors(renderJUnit([]))).toBe('');
  });

  it.skipIf(XMLLINT.skip)(XMLLINT.title('the Jenkins schema really rejects broken reports'), () => {
    const xml = renderJUnit([istioRun()]);
    // what every JUnit file had before: a skipped count on <testsuites>
    expect(xsdErrors(xml.replace('<testsuites name="tripbench"', '<testsuites skipped="1" name="tripbench"'))).toMatch(/attribute 'skipped' is not allowed/);
    expect(xsdErrors(xml.replace('<testsuite name="istio-circuit-breaking"', '<testsuite'))).toMatch(/name/);
    expect(xsdErrors(xml.replace(/(<testsuite name="[^"]*" tests="\d+" failures="\d+" errors="\d+" skipped="\d+" time=")[^"]*"/, '$1soon"'))).toMatch(/time/);
  });

  it('a dead target: every testcase an <error type="UNREACHABLE">, outcome UNREACHABLE, whatever --inconclusive says', () => {
    for (const ia of ['inconclusive', 'pass', 'fail'] as const) {
      const doc = parseJUnit(renderJUnit([unreachableRun()], { inconclusiveAs: ia }));
      const suite = doc.testsuites.testsuite[0] as JUnitSuite;
      expect(suite.testcase.length).toBeGreaterThan(5);
      expect(suite.testcase.every((c) => c.error?.['@_type'] === 'UNREACHABLE' && c.error['@_message'] === UNREACHABLE_REASON && !c.failure && !c.skipped), ia).toBe(true);
      expect([suite['@_errors'], suite['@_failures'], suite['@_skipped']]).toEqual([suite['@_tests'], '0', '0']);
      expect(doc.testsuites['@_errors']).toBe(suite['@_tests']);
      const props = Object.fromEntries(suite.properties.property.map((p) => [p['@_name'], p['@_value']]));
      expect(props['outcome']).toBe('UNREACHABLE');
    }
  });

  it('round-trips through a real XML parser: one testcase per expectation', () => {
    const run = failingRun();
    const doc = parseJUnit(renderJUnit([run]));
    const suite = doc.testsuites.testsuite[0] as JUnitSuite;
    const n = run.steps.reduce((a, s) => a + s.results.length, 0);
    expect(suite['@_name']).toBe('istio-circuit-breaking');
    expect(suite.testcase.length).toBe(n);
    expect(suite['@_tests']).toBe(String(n));
    expect(doc.testsuites['@_tests']).toBe(String(n));
    expect(new Set(suite.testcase.map((c) => c['@_classname']))).toEqual(
      new Set(['istio-circuit-breaking.c1', 'istio-circuit-breaking.c2', 'istio-circuit-breaking.c3', 'istio-circuit-breaking.sweep']),
    );
    const props = Object.fromEntries(suite.properties.property.map((p) => [p['@_name'], p['@_value']]));
    expect(props).toMatchObject({ cluster: 'outbound|8000||httpbin.default.svc.cluster.local', outcome: 'FAIL', target: 'http://httpbin:8000/get' });
    expect(suite['system-out']).toContain('kind: DestinationRule');
  });

  it('says expected vs observed in failure messages', () => {
    const suite = parseJUnit(renderJUnit([failingRun()])).testsuites.testsuite[0] as JUnitSuite;
    const failures = suite.testcase.filter((c) => c.failure);
    expect(suite['@_failures']).toBe(String(failures.length));
    const c3 = failures.find((c) => c['@_name'] === '503 ratio in [0.25, 1]');
    expect(c3?.failure?.['@_message']).toBe('expected 503 ratio in [0.25, 1], observed 0.0 (0/30); 95% interval [0.000, 0.114]');
    expect(c3?.failure?.['@_type']).toBe('FAIL');
    expect(c3?.failure?.['#text']).toContain('policy: until-conclusive');
    expect(c3?.failure?.['#text']).toContain('calls with the code: 0 of 30');
    const count = failures.find((c) => c['@_name'] === '503 count >= 1');
    expect(count?.failure?.['@_message']).toBe('expected 503 count >= 1, observed 0');
  });

  it('reports INCONCLUSIVE and NOT RUN as skipped, or as failures under --inconclusive fail', () => {
    const run = failingRun();
    const skippedSuite = parseJUnit(renderJUnit([run])).testsuites.testsuite[0] as JUnitSuite;
    const envoy = skippedSuite.testcase.find((c) => c['@_name'].startsWith('envoy upstream_rq_pending_overflow'));
    expect(envoy?.skipped?.['@_message']).toBe('INCONCLUSIVE: Envoy admin endpoint unreachable: connect ECONNREFUSED 127.0.0.1:15000');
    const notRun = skippedSuite.testcase.find((c) => c['@_name'] === 'c=4 -1 ratio == 0');
    expect(notRun?.skipped?.['@_message']).toBe('NOT RUN: not run');
    const skipped = skippedSuite.testcase.filter((c) => c.skipped).length;
    expect(skippedSuite['@_skipped']).toBe(String(skipped));

    const strict = parseJUnit(renderJUnit([run], { inconclusiveAs: 'fail' })).testsuites.testsuite[0] as JUnitSuite;
    expect(strict.testcase.filter((c) => c.skipped)).toEqual([]);
    const asFailure = strict.testcase.find((c) => c['@_name'] === 'c=4 -1 ratio == 0');
    expect(asFailure?.failure?.['@_type']).toBe('NOT RUN');
    expect(strict['@_failures']).toBe(String(strict.testcase.filter((c) => c.failure).length));
  });

  it('escapes markup, quotes, newlines and drops characters XML cannot carry', () => {
    expect(escapeXmlAttr(`a<b>&"c"'d'\n\te\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#10;&#9;e');
    const suite = parseJUnit(awkwardXml()).testsuites.testsuite[0] as JUnitSuite;
    expect(suite.testcase[0]?.failure?.['@_message']).toBe('expected <a & b> "quoted"\nsecond line bell');
    expect(suite.testcase[0]?.['@_name']).toBe('label <with> & "stuff" == 1');
    expect(suite['system-out']).toContain(']]>');
  });

  it.skipIf(XMLLINT.skip)(XMLLINT.title('escaped markup, quotes and control characters still validate against the XSD'), () => {
    expect(xsdErrors(awkwardXml())).toBe('');
  });
});

/** A report whose names, messages and mesh YAML carry markup, quotes, newlines and a control character. */
function awkwardXml(): string {
  const run = failingRun();
  run.scenario = 'weird';
  run.meshYaml = 'x: "<&>"\n]]>\n';
  const r = run.steps[0]?.results[0];
  if (r) {
    r.verdict = 'FAIL';
    r.message = 'expected <a & b> "quoted"\nsecond line \u0007bell';
    r.label = 'label <with> & "stuff"';
  }
  return renderJUnit([run]);
}
