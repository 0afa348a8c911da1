/**
 * The orchestration library: scenario → rehearsal → steps in batches → ScenarioResult. Real
 * rehearsal servers and real loads (worker threads), small and bounded; the interrupt paths use
 * an AbortController the way the CLI's Ctrl-C handler does.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_OPTIONS } from '../../src/engine/options.js';
import { loadRequestFor } from '../../src/scenario/loadRequest.js';
import { loadArgs } from '../../src/scenario/plan.js';
import { parseLoadFlags } from '../../src/cli/loadFlags.js';
import type { RunOptions } from '../../src/engine/options.js';
import type { HttpOptions } from '../../src/http/options.js';
import { SCENARIO_TARGET, effectiveTarget, runScenario } from '../../src/scenario/run.js';
import { rehearsalConfig, rehearsalTarget } from '../../src/scenario/rehearsalRig.js';
import { MESH_CHECKS } from '../../src/scenario/runFiles.js';
import { loadScenario } from '../../src/scenario/schema.js';
import type { LoadSpec, Scenario } from '../../src/scenario/types.js';
import { meshDestinationRule } from '../helpers/meshFixtures.js';
import { refusedPort } from '../helpers/servers.js';

function scenario(body: string, head = 'name: lib\ntarget: http://httpbin:8000/get\n'): Scenario {
  return loadScenario(`${head}${body}`, 'lib.yaml', { meshChecks: MESH_CHECKS });
}

const DR = (name: string): string => `  - apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: { name: ${name} }
    spec: { host: ${name} }
`;

describe('targets and the rehearsal config', () => {
  it('--target without a path keeps the scenario path; with a path it is used as given', () => {
    expect(effectiveTarget('http://httpbin:8000/get?x=1', 'http://10.1.2.3:8000')).toBe('http://10.1.2.3:8000/get?x=1');
    expect(effectiveTarget('http://httpbin:8000/get', 'http://10.1.2.3:8000/')).toBe('http://10.1.2.3:8000/get');
    expect(effectiveTarget('http://httpbin:8000/get', 'http://10.1.2.3:8000/headers')).toBe('http://10.1.2.3:8000/headers');
    // `--target scenario`: inside a cluster, each scenario's own target
    expect(effectiveTarget('http://httpbin.org/delay/5', SCENARIO_TARGET)).toBe('http://httpbin.org/delay/5');
    expect(rehearsalTarget({ url: 'http://127.0.0.1:4000' }, 'http://httpbin.org/delay/5?a=b')).toBe('http://127.0.0.1:4000/delay/5?a=b');
  });

  it('maps the mesh for the emulator: the scenario cluster name, ServiceEntries skipped, one DR only', () => {
    const egress = scenario(
      `mesh:
  - apiVersion: networking.istio.io/v1
    kind: ServiceEntry
    metadata: { name: ext }
    spec: { hosts: [httpbin.org] }
steps: [{ name: a, load: {} }]
`,
      'name: lib\ntarget: http://httpbin.org/delay/5\n',
    );
    expect(rehearsalConfig(egress).cluster.name).toBe('outbound|80||httpbin.org');
    const two = scenario(`mesh:\n${DR('a')}${DR('b')}steps: [{ name: a, load: {} }]\n`);
    expect(() => rehearsalConfig(two)).toThrow(/^lib.yaml:\d+:\d+: mesh\[1\].kind: a second DestinationRule \(the first is at lib.yaml:\d+:\d+\): the local rehearsal models one cluster/);
  });

  it('a step load means what its `tripbench load` command line means (fortio defaults when unset)', () => {
    // the command line --dry-run prints for the step, parsed by the real flag parser
    const typed = (load: LoadSpec, url: string): { run: RunOptions; http: HttpOptions } => {
      const cfg = parseLoadFlags(loadArgs(load, url), 'load');
      return { run: cfg.run, http: cfg.http };
    };
    const r = loadRequestFor({}, 'http://x/');
    expect(r.run).toEqual({ ...DEFAULT_RUN_OPTIONS, percentiles: [...DEFAULT_RUN_OPTIONS.percentiles], reserveCores: 0 });
    expect(r.http.timeoutMs).toBe(3000);
    expect({ run: r.run, http: r.http }).toEqual(typed({}, 'http://x/'));
    const load: LoadSpec = { c: 3, n: 30, qps: 0, timeout: 10e9, method: 'post', headers: ['end-user: jason'], connectionReuse: '2:4' };
    const s = loadRequestFor(load, 'http://x/');
    expect([s.run.threads, s.run.exactly, s.run.qps, s.http.timeoutMs, s.http.method, s.http.connectionReuse]).toEqual([3, 30, 0, 10_000, 'POST', [2, 4]]);
    expect({ run: s.run, http: s.http }).toEqual(typed(load, 'http://x/'));
  });
});

describe('batches and policies', () => {
  it('until-conclusive repeats until the budget is spent, pools the batches, and says why it stopped', async () => {
    // 20 of 20 successes cannot show ">= 0.99" (the interval's lower end is 0.84), nor can 60 of 60.
    const s = scenario(`steps:
  - name: many
    policy: until-conclusive
    budget: { batches: 3 }
    load: { c: 2, n: 20, qps: 0 }
    expect:
      codes: { 200: ">= 0.99" }
      calls: 60
`);
    const run = await runScenario(s);
    const step = run.result.steps[0];
    expect(step?.budgetSpent).toBe(true);
    expect(step?.observed?.batches).toBe(3);
    expect(step?.results.map((r) => r.verdict)).toEqual(['INCONCLUSIVE', 'PASS']);
    expect(step?.results[0]?.reason).toBe('budget spent after 60 calls in 3 batches; the 95% interval still straddles the bound');
    const loads = run.loads['many'];
    expect(loads?.batches.length).toBe(3);
    expect(loads?.pooled?.RetCodes).toEqual({ '200': 60 });
    expect(loads?.pooled?.DurationHistogram.Count).toBe(60);
  });

  it('repeat runs the load that many times before judging; the rehearsal state carries across steps', async () => {
    const s = scenario(`upstream: { endpoints: 2, endpointOverrides: [{}, { status: 503 }] }
rehearsal: { istioVersion: current }
mesh:
${meshDestinationRule('outlierDetection: { consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100 }')}  - apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: { name: httpbin }
    spec:
      hosts: [httpbin]
      http: [{ route: [{ destination: { host: httpbin } }], retries: { attempts: 0 } }]
steps:
  - name: first
    repeat: 2
    load: { c: 1, n: 10, qps: 0 }
    expect: { calls: 20, counts: { 503: 1 } }
  - name: later
    load: { c: 1, n: 10, qps: 0 }
    expect: { codes: { 200: 1 } }
`);
    const run = await runScenario(s, { seed: 3 });
    expect(run.loads['first']?.batches.length).toBe(2);
    // one 503 ejects the failing endpoint for 3 minutes: the next step only sees the healthy one
    expect(run.result.steps.map((st) => st.results.map((r) => r.verdict))).toEqual([['PASS', 'PASS'], ['PASS']]);
  });
});

describe('interrupts, failures, unreachable targets', () => {
  const three = `upstream: { delay: 2ms }
steps:
  - name: one
    load: { c: 2, n: 10, qps: 0 }
    expect: { codes: { 200: 1 } }
  - name: two
    load: { c: 2, qps: 20, t: 20s }
    expect: { codes: { 200: 1 } }
  - name: three
    load: { c: 2, n: 10, qps: 0 }
    expect: { codes: { 200: 1 } }
`;

  it('stopped between steps: finished steps judged, the rest NOT RUN', async () => {
    const stop = new AbortController();
    const run = await runScenario(scenario(three), { signal: stop.signal, onStepEnd: () => stop.abort() });
    expect(run.result.interrupted).toBe(true);
    expect(run.result.steps.map((s) => [s.status, s.results[0]?.verdict, s.results[0]?.reason])).toEqual([
      ['completed', 'PASS', undefined],
      ['not-run', 'NOT RUN', 'the run was interrupted before this step'],
      ['not-run', 'NOT RUN', 'the run was interrupted before this step'],
    ]);
  });

  it('stopped during a load: that batch is kept but never judged', async () => {
    const stop = new AbortController();
    let stoppedAt = 0;
    const run = await runScenario(scenario(three), {
      signal: stop.signal,
      // stop once step two's load has made calls, however long its start took
      onProgress: (ctx, p) => {
        if (ctx.run.key === 'two' && p.calls >= 4 && !stop.signal.aborted) {
          stoppedAt = Date.now();
          stop.abort();
        }
      },
    });
    expect(stoppedAt).toBeGreaterThan(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000); // well short of the 20 s step
    const two = run.result.steps[1];
    expect([two?.status, two?.results[0]?.verdict, two?.results[0]?.reason]).toEqual(['interrupted', 'NOT RUN', 'the run was interrupted during this step']);
    expect(two?.observed?.calls).toBeGreaterThan(0);
    expect(run.loads['two']?.partial).toBeDefined();
    expect(run.loads['two']?.batches).toEqual([]);
    expect(run.result.steps[2]?.status).toBe('not-run');
  });

  it('stopped before the scenario starts: nothing runs', async () => {
    const stop = new AbortController();
    stop.abort();
    const run = await runScenario(scenario(three), { signal: stop.signal });
    expect(run.result.steps.every((s) => s.status === 'not-run')).toBe(true);
    expect(run.loads).toEqual({});
  });

  it('a load that cannot start (fortio warmup abort) is NOT RUN with the reason; the next step still runs', async () => {
    const s = scenario(`upstream: { status: 503 }
steps:
  - name: timed
    load: { c: 1, qps: 10, t: 1s }
    expect: { codes: { 503: 1 } }
  - name: counted
    load: { c: 1, n: 5, qps: 0 }
    expect: { codes: { 503: 1 } }
`);
    const run = await runScenario(s);
    expect(run.result.steps[0]?.status).toBe('not-run');
    expect(run.result.steps[0]?.results[0]?.reason).toMatch(/^the load failed: Aborting because of error 503 for/);
    expect(run.result.steps[1]?.results[0]?.verdict).toBe('PASS');
  });

  it('--target that refuses connections: unreachable before the first step, no load', async () => {
    const { url } = await refusedPort();
    let started = 0;
    const run = await runScenario(scenario(three), { target: url, onBatchStart: () => started++ });
    expect(run.unreachable).toMatch(/^target unreachable: http:\/\/127\.0\.0\.1:\d+\/get: .*ECONNREFUSED/);
    expect(started).toBe(0);
    expect(run.result.steps.map((s) => s.results[0]?.verdict)).toEqual(['NOT RUN', 'NOT RUN', 'NOT RUN']);
    expect(run.result.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/get$/);
  });
});
