import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { MESH_CHECKS } from '../../src/scenario/runFiles.js';
import { ScenarioError, checkEchoSpec, expandScenarioPaths, loadScenario, loadScenarioFiles, parseScenario, scenarioSchema } from '../../src/scenario/schema.js';
import { UsageError } from '../../src/shared/errors.js';
import { formatProblem } from '../../src/shared/yamlConfig.js';
import { meshDestinationRule } from '../helpers/meshFixtures.js';

const FIXTURE = new URL('./fixtures/circuit-breaking.yaml', import.meta.url);

function problems(text: string, file = 'bad.yaml'): string[] {
  return parseScenario(text, file).problems.map(formatProblem);
}

const HEAD = `name: bad
target: http://httpbin:8000/get
steps:
  - name: a
`;

describe('malformed scenarios name file:line:col and the field', () => {
  it('bad YAML', () => {
    expect(problems(`${HEAD}    load: { c: 2, n: 20\n    expect: {}\n`)).toEqual([
      'bad.yaml:6:5: (yaml): Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('duplicate YAML keys', () => {
    expect(problems(`${HEAD}    load: { c: 2 }\n    load: { c: 3 }\n`)).toEqual(['bad.yaml:6:5: (yaml): Map keys must be unique']);
  });

  it('unknown key', () => {
    expect(problems(`${HEAD}    load: { c: 2, n: 20 }\n    expct:\n      codes: { 503: 0 }\n`)).toEqual(['bad.yaml:6:5: steps[0].expct: unknown field']);
    expect(problems(`${HEAD}    load: { c: 2, concurrency: 20 }\n`)).toEqual(['bad.yaml:5:19: steps[0].load.concurrency: unknown field']);
    expect(problems(`${HEAD}    load: { c: 2 }\n    expect:\n      latency: { p50: "< 1s", median: "< 1s" }\n`)).toEqual([
      'bad.yaml:7:31: steps[0].expect.latency.median: unknown latency key "median": use min, max, avg or a percentile pNN / pNN.N',
    ]);
  });

  it('range with min > max', () => {
    expect(problems(`${HEAD}    load: { c: 2, n: 20 }\n    expect:\n      codes:\n        503: [0.7, 0.3]\n      latency:\n        p99: [3.5s, 2.9s]\n`)).toEqual([
      'bad.yaml:8:14: steps[0].expect.codes.503: range min 0.7 > max 0.3',
      'bad.yaml:10:14: steps[0].expect.latency.p99: range min 3.5s > max 2.9s',
    ]);
  });

  it('percent > 1', () => {
    expect(problems(`${HEAD}    load: { c: 2, n: 20 }\n    expect:\n      codes:\n        200: 95\n        503: "<= 30%"\n        502: [0, 1.5]\n`)).toEqual([
      'bad.yaml:8:14: steps[0].expect.codes.200: ratio 95 is outside [0, 1]: ratios are fractions of all calls (write 0.3 for 30 %)',
      'bad.yaml:9:14: steps[0].expect.codes.503: "30%": write ratios as fractions of all calls (0.3 for 30 %)',
      'bad.yaml:10:18: steps[0].expect.codes.502[1]: range max: ratio 1.5 is outside [0, 1]: ratios are fractions of all calls (write 0.3 for 30 %)',
    ]);
  });

  it('unknown code', () => {
    const out = problems(`${HEAD}    load: { c: 2, n: 20 }\n    expect:\n      codes:\n        600: 0\n      counts: { 6xx: 1 }\n      envoy: { upstream_rq_pending_overflow: "== code 999 count" }\n`);
    expect(out).toEqual([
      'bad.yaml:8:9: steps[0].expect.codes.600: unknown status code "600": use -1 (transport error), 100..599, a class 2xx..5xx, a tcp/udp outcome (OK, short read, …) or a gRPC one (SERVING, ERROR, …)',
      'bad.yaml:9:17: steps[0].expect.counts.6xx: unknown status code "6xx": use -1 (transport error), 100..599, a class 2xx..5xx, a tcp/udp outcome (OK, short read, …) or a gRPC one (SERVING, ERROR, …)',
      'bad.yaml:10:46: steps[0].expect.envoy.upstream_rq_pending_overflow: unknown status code "999" in "code 999 count": use -1 (transport error), 100..599, a class 2xx..5xx, a tcp/udp outcome (OK, short read, …) or a gRPC one (SERVING, ERROR, …)',
    ]);
  });

  it('missing load', () => {
    expect(problems(`${HEAD}    expect:\n      codes: { 503: 0 }\n`)).toEqual(['bad.yaml:4:5: steps[0]: missing required field "load"']);
  });

  it('reports every problem at once, in file order', () => {
    const text = `name: Bad_Name
target: ftp://httpbin
steps:
  - name: a
    load: { c: 0, t: 5x, headers: ["nocolon"] }
    policy: strict
    budget: { calls: 10 }
    expect:
      sockets: "<= code 503 ratio"
  - name: a
    load: {}
    sweep: { c: [1, 2, 2], nPerC: 10 }
    expectAt: { "5": { codes: { 503: 0 } } }
`;
    expect(problems(text)).toEqual([
      'bad.yaml:1:7: name: "Bad_Name": use lowercase letters, digits and "-" (it names the reports/ directory)',
      `bad.yaml:2:9: target: unsupported scheme "ftp" in 'ftp://httpbin': tripbench sends HTTP load to http:// and https:// URLs`,
      'bad.yaml:5:16: steps[0].load.c: must be >= 1 (got 0)',
      'bad.yaml:5:22: steps[0].load.t: must be a non-negative duration like 1s, 500ms, 3m (got "5x")',
      'bad.yaml:5:36: steps[0].load.headers[0]: "nocolon" is not a header, expected "Key: Value"',
      'bad.yaml:7:5: steps[0].budget: budget only applies to policy until-conclusive (this step\'s policy is strict)',
      'bad.yaml:9:16: steps[0].expect.sockets: "code 503 ratio": compare against "code C count" or "calls" (same unit)',
      'bad.yaml:10:11: steps[1].name: duplicate step name "a" (also steps[0])',
      'bad.yaml:12:24: steps[1].sweep.c[2]: duplicate sweep value 2',
      'bad.yaml:13:17: steps[1].expectAt.5: 5 is not one of the sweep values [1, 2, 2]',
    ]);
  });

  it('checks fortio echo syntax of the upstream', () => {
    expect(problems(`name: x\ntarget: http://a:1/\nupstream:\n  status: "503:60,429:50"\n  delay: "1ms:50,fast:10"\nsteps:\n  - name: a\n    load: {}\n`)).toEqual([
      'bad.yaml:4:11: upstream.status: percentages add up to 110 > 100',
      'bad.yaml:5:10: upstream.delay: "fast" is not a duration (e.g. 2ms)',
    ]);
    expect(checkEchoSpec('503:20,429:5', 'status')).toBeUndefined();
    expect(checkEchoSpec(503, 'status')).toBeUndefined();
    expect(checkEchoSpec('1ms:50,5ms:10', 'delay')).toBeUndefined();
    expect(checkEchoSpec('99', 'status')).toMatch(/not an HTTP status/);
  });

  it('rejects empty files and several documents', () => {
    expect(problems('# nothing\n')).toEqual(['bad.yaml:1:1: (document): empty scenario file']);
    expect(problems(`${HEAD}    load: {}\n---\nname: two\n`)).toEqual(['bad.yaml:7:1: (document): one scenario per file; found 2 YAML documents']);
    expect(problems('- a\n- b\n')).toEqual(['bad.yaml:1:1: (document): a scenario is a mapping (name, target, steps, ...)']);
  });

  it('checks mesh resources in place with the rehearsal schema when given', () => {
    const text = `name: x
target: http://httpbin:8000/get
mesh:
${meshDestinationRule('connectionPool:\n  tcp: { maxConnectons: 1 }')}  - apiVersion: networking.istio.io/v1
    kind: Gateway
    metadata: { name: gw }
    spec: {}
steps:
  - name: a
    load: {}
`;
    const out = parseScenario(text, 'mesh.yaml', { meshChecks: MESH_CHECKS }).problems.map(formatProblem);
    expect(out).toEqual([
      'mesh.yaml:11:18: mesh[0].spec.trafficPolicy.connectionPool.tcp.maxConnectons: unknown field',
      'mesh.yaml:13:11: mesh[1].kind: must be one of DestinationRule, VirtualService, ServiceEntry, Sidecar, Service (got "Gateway")',
    ]);
  });

  it('refuses durations Envoy requires to be positive inside a mesh DestinationRule, at their line', () => {
    const text = `name: s
target: http://httpbin:8000/get
mesh:
${meshDestinationRule('outlierDetection:\n  interval: 0s\n  baseEjectionTime: 30s')}steps:
  - name: a
    load: {}
`;
    const out = parseScenario(text, 'floor.yaml', { meshChecks: MESH_CHECKS }).problems.map(formatProblem);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^floor\.yaml:\d+:\d+: mesh\[0\]\.spec\.trafficPolicy\.outlierDetection\.interval: must be at least 1ms \(got "0s"\)$/);
  });

  it('throws a UsageError (exit 2) carrying one line per problem', () => {
    const err = (() => {
      try {
        loadScenario(`${HEAD}    expect: {}\n`, 'bad.yaml');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('bad.yaml:4:5: steps[0]: missing required field "load"');
  });
});

describe('a valid scenario', () => {
  const s = loadScenario(readFileSync(FIXTURE, 'utf8'), 'circuit-breaking.yaml');

  it('merges defaults, converts durations and derives the cluster', () => {
    expect(s.name).toBe('istio-circuit-breaking');
    expect(s.cluster).toBe('outbound|8000||httpbin.default.svc.cluster.local');
    expect(s.steps.map((st) => st.name)).toEqual(['c1', 'c2', 'c3', 'sweep']);
    expect(s.steps[1]?.load).toEqual({ qps: 0, timeout: 3e9, c: 2, n: 20 });
    expect(s.steps[1]?.policy).toBe('confident');
    expect(s.steps[2]).toMatchObject({ policy: 'until-conclusive', budget: { calls: 300, time: 60e9 }, repeat: 1 });
    expect(s.upstream).toEqual({ delay: '2ms' });
    expect(s.rehearsal).toEqual({ concurrency: 2, istioVersion: '1.4' });
    expect(s.meshYaml).toContain('kind: DestinationRule');
    expect(s.meshYaml).toContain('http1MaxPendingRequests: 1');
  });

  it('merges per-point expectations of a sweep over the step ones', () => {
    const sweep = s.steps[3];
    expect(sweep?.sweep).toEqual({ knob: 'c', values: [1, 2, 3, 4], nPerC: 10 });
    expect(sweep?.expectAt['1']?.map((e) => e.id)).toEqual(['codes.-1', 'codes.503']);
    expect(sweep?.expectAt['3']?.find((e) => e.id === 'codes.503')?.cond).toEqual({ kind: 'range', lo: 0.25, hi: 1 });
  });

  it('gives until-conclusive a default budget', () => {
    const t = loadScenario(`${HEAD}    policy: until-conclusive\n    load: {}\n`, 'x.yaml');
    expect(t.steps[0]?.budget).toEqual({ batches: 10 });
  });
});

describe('the published JSON Schema', () => {
  it('is a valid draft-07 schema under ajv strict mode', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    ajv.addFormat('go-duration', () => true);
    const validate = ajv.compile(scenarioSchema());
    const { parse } = { parse: (t: string): unknown => JSON.parse(t) };
    expect(validate(parse('{"name":"x","target":"http://a/","steps":[{"name":"a","load":{}}]}'))).toBe(true);
  });

  it('describes every property', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      if (n.properties && typeof n.properties === 'object') {
        for (const [k, v] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
          if (!v.description && !v.$ref) missing.push(`${path}.${k}`);
          walk(v, `${path}.${k}`);
        }
      }
      for (const [k, v] of Object.entries(n)) if (k !== 'properties') walk(v, `${path}/${k}`);
    };
    walk(scenarioSchema(), '#');
    expect(missing.filter((m) => !m.includes('metadata.'))).toEqual([]);
  });
});

describe('files and directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tripbench-scenarios-'));
  const good = readFileSync(FIXTURE, 'utf8');

  it('expands directories to their sorted *.yaml files', async () => {
    const d = join(dir, 'expand');
    mkdirSync(d);
    writeFileSync(join(d, 'b.yml'), good);
    writeFileSync(join(d, 'a.yaml'), good);
    writeFileSync(join(d, 'notes.txt'), 'x');
    expect(await expandScenarioPaths([d])).toEqual([join(d, 'a.yaml'), join(d, 'b.yml')]);
    await expect(expandScenarioPaths([join(dir, 'nope.yaml')])).rejects.toBeInstanceOf(UsageError);
  });

  it('collects the problems of every file and refuses duplicate scenario names', async () => {
    const d = join(dir, 'many');
    mkdirSync(d);
    writeFileSync(join(d, '1.yaml'), good);
    writeFileSync(join(d, '2.yaml'), good);
    writeFileSync(join(d, '3.yaml'), `${HEAD}    expect: {}\n`);
    const err = await loadScenarioFiles([d]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message.split('\n')).toEqual([
      `${join(d, '2.yaml')}:1:1: name: scenario name "istio-circuit-breaking" is also used by ${join(d, '1.yaml')}`,
      `${join(d, '3.yaml')}:4:5: steps[0]: missing required field "load"`,
    ]);
    const ok = await loadScenarioFiles([join(d, '1.yaml')]);
    expect(ok.map((s) => s.file)).toEqual([join(d, '1.yaml')]);
  });
});

describe('shipped scenarios', () => {
  const shipped = fileURLToPath(new URL('../../scenarios/', import.meta.url));
  const any = existsSync(shipped) && readdirSync(shipped).some((f) => /\.ya?ml$/.test(f));
  it.skipIf(!any)('every scenarios/*.yaml loads, mesh resources included', async () => {
    const all = await loadScenarioFiles([shipped], { meshChecks: MESH_CHECKS });
    expect(all.length).toBeGreaterThan(0);
  });
});
