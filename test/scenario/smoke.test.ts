import { test } from 'vitest';
import { parseScenario } from '../../src/scenario/schema.js';
import { formatProblem } from '../../src/shared/yamlConfig.js';
const cases: Record<string,string> = {
badyaml: `name: x
target: http://a:1/
steps:
  - name: a
    load: { c: 2, n: 20
    expect: {}
`,
unknownkey: `name: x
target: http://a:1/
steps:
  - name: a
    load: { c: 2, n: 20 }
    expct:
      codes: { 503: 0 }
`,
range: `name: x
target: http://a:1/
steps:
  - name: a
    load: { c: 2, n: 20 }
    expect:
      codes:
        503: [0.7, 0.3]
`,
percent: `name: x
target: http://a:1/
steps:
  - name: a
    load: { c: 2, n: 20 }
    expect:
      codes:
        200: 95
        503: "<= 30%"
        502: [0, 1.5]
`,
code: `name: x
target: http://a:1/
steps:
  - name: a
    load: { c: 2, n: 20 }
    expect:
      codes:
        600: 0
        abc: 0
      counts: { 6xx: 1 }
      envoy: { x: "== code 999 count" }
`,
missingload: `name: x
target: http://a:1/
steps:
  - name: a
    expect:
      codes: { 503: 0 }
`,
misc: `name: X_bad
target: ftp://a
steps:
  - name: a
    load: { c: 0, t: 5x, headers: ["nocolon"] }
    policy: strict
    budget: { calls: 10 }
    expect:
      latency: { p100: "< 1s", p50: "< 5xs", p99: [3s, 2s], med: 1 }
      sockets: "<= code 503 ratio"
      qps: "fast"
  - name: a
    load: {}
    sweep: { c: [1, 2, 2] }
    expectAt: { "5": { codes: { 503: 0 } } }
`,
};
test('smoke', () => {
  for (const [k, t] of Object.entries(cases)) {
    const r = parseScenario(t, `${k}.yaml`);
    console.log(r.problems.map(formatProblem).join('\n'));
  }
});
