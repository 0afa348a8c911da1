/**
 * Envoy stats around each step, read from a real admin endpoint (the rehearsal sidecar's) in
 * both formats it serves, and what happens when it cannot be read: the Envoy expectations turn
 * INCONCLUSIVE with the reason, the ratio checks are judged as usual, nothing throws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchEnvoyStats, statsFilter, statsUrl } from '../../src/scenario/envoyAdmin.js';
import { statDeltas } from '../../src/scenario/envoyStats.js';
import { runScenario } from '../../src/scenario/run.js';
import { startRehearsal, type Rehearsal } from '../../src/scenario/rehearsalRig.js';
import { loadScenario } from '../../src/scenario/schema.js';
import { MESH_CHECKS } from '../../src/scenario/runFiles.js';
import type { Scenario } from '../../src/scenario/types.js';
import { TASK_MESH } from '../helpers/meshFixtures.js';
import { refusedPort } from '../helpers/servers.js';

const CLUSTER = 'outbound|8000||httpbin.default.svc.cluster.local';

function seed(extra = ''): Scenario {
  return loadScenario(
    `name: envoy-stats
target: http://httpbin:8000/get
${TASK_MESH}${extra}steps:
  - name: c3
    load: { c: 3, n: 30, qps: 0 }
    expect:
      codes: { 503: ">= 0" }
      envoy:
        upstream_rq_pending_overflow: "== code 503 count"
        upstream_rq_total: "== code 200 count"
`,
    'envoy-stats.yaml',
    { meshChecks: MESH_CHECKS },
  );
}

describe('reading /stats', () => {
  let rig: Rehearsal;
  beforeAll(async () => {
    rig = await startRehearsal(seed(), { seed: 5 });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('asks for the cluster only, with a filter Envoy (RE2) and the emulator read alike', () => {
    const f = statsFilter(CLUSTER, ['server.live']);
    expect(f).toBe('^cluster\\.outbound\\|8000\\|\\|httpbin\\.default\\.svc\\.cluster\\.local;?\\.|^server\\.live$');
    expect(new RegExp(f).test(`cluster.${CLUSTER}.upstream_rq_total`)).toBe(true);
    // Istio >= 1.23 (alt_stat_name = name + ";")
    expect(new RegExp(f).test(`cluster.${CLUSTER};.upstream_rq_total`)).toBe(true);
    expect(new RegExp(f).test('cluster.outbound|8000||other.default.svc.cluster.local.upstream_rq_total')).toBe(false);
    expect(statsUrl('http://127.0.0.1:15000', { format: 'json' })).toBe('http://127.0.0.1:15000/stats?format=json');
  });

  it('text and JSON give the same counters, and deltas count what the load did', async () => {
    const before = await fetchEnvoyStats(rig.adminUrl, { cluster: CLUSTER });
    expect(before).toBeInstanceOf(Map);
    const r = await fetch(`${rig.url}/get`);
    expect(r.status).toBe(200);
    await r.text();
    const text = await fetchEnvoyStats(rig.adminUrl, { format: 'text', cluster: CLUSTER, names: ['server.live'] });
    const json = await fetchEnvoyStats(rig.adminUrl, { format: 'json', cluster: CLUSTER, names: ['server.live'] });
    if (!(text instanceof Map) || !(json instanceof Map) || !(before instanceof Map)) throw new Error('stats not read');
    const counters = [...text.keys()].filter((k) => k.endsWith('_total'));
    expect(counters.length).toBeGreaterThan(3);
    for (const k of counters) expect(json.get(k), k).toBe(text.get(k));
    expect(text.get('server.live')).toBe(1);
    // The rehearsal's default Istio (>= 1.23) names cluster stats `cluster.<name>;.` (alt_stat_name).
    expect([...text.keys()].every((k) => k.startsWith(`cluster.${CLUSTER};.`) || k === 'server.live')).toBe(true);
    const d = statDeltas(before, text, CLUSTER);
    expect(d[`cluster.${CLUSTER}.upstream_rq_total`]).toBe(1);
    expect(d[`cluster.${CLUSTER}.upstream_rq_200`]).toBe(1);
  });

  it('an unreachable or failing endpoint is an Error value naming the URL, never a throw', async () => {
    const { url } = await refusedPort();
    const refused = await fetchEnvoyStats(url, { timeoutMs: 2000 });
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/stats: fetch failed \(.*ECONNREFUSED/);
    const notAdmin = await fetchEnvoyStats(`${rig.adminUrl}/no-such-page/`);
    expect((notAdmin as Error).message).toMatch(/HTTP 404/);
  });
});

describe('Envoy expectations in a run', () => {
  it.each(['text', 'json'] as const)('judges the deltas read as %s', async (format) => {
    const run = await runScenario(seed(), { statsFormat: format, seed: 9 });
    const c3 = run.result.steps[0];
    expect(c3?.results.map((r) => r.verdict)).toEqual(['PASS', 'PASS', 'PASS']);
    const env = c3?.observed?.envoy;
    if (!env || 'error' in env) throw new Error('no deltas');
    expect(env.cluster).toBe(CLUSTER);
    expect(env.deltas[`cluster.${CLUSTER}.upstream_rq_pending_overflow`]).toBe(c3?.observed?.codes['503'] ?? 0);
    expect(run.result.envoyAdmin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('an unreachable admin endpoint: Envoy checks INCONCLUSIVE with the reason, the rest judged', async () => {
    const { url } = await refusedPort();
    const run = await runScenario(seed(), { envoyAdmin: url });
    const results = run.result.steps[0]?.results ?? [];
    expect(results.map((r) => [r.kind, r.verdict])).toEqual([
      ['ratio', 'PASS'],
      ['envoy', 'INCONCLUSIVE'],
      ['envoy', 'INCONCLUSIVE'],
    ]);
    expect(results[1]?.reason).toMatch(/^Envoy admin endpoint unreachable: GET http:\/\/127\.0\.0\.1:\d+\/stats\?filter=/);
  });

  it('no admin endpoint at all (--target without envoyAdmin): INCONCLUSIVE, "not read"', async () => {
    const rig = await startRehearsal(seed(), {});
    try {
      const run = await runScenario(seed(), { target: rig.url });
      expect(run.unreachable).toBeUndefined();
      const env = run.result.steps[0]?.results.filter((r) => r.kind === 'envoy') ?? [];
      expect(env.map((r) => r.verdict)).toEqual(['INCONCLUSIVE', 'INCONCLUSIVE']);
      expect(env[0]?.reason).toBe('Envoy stats were not read for this step (no admin endpoint)');
      // the scenario's own envoyAdmin is used with --target (in a pod: http://localhost:15000)
      const withAdmin = await runScenario(seed(`envoyAdmin: ${rig.adminUrl}\n`), { target: rig.url });
      expect(withAdmin.result.steps[0]?.results.map((r) => r.verdict)).toEqual(['PASS', 'PASS', 'PASS']);
    } finally {
      await rig.close();
    }
  });

  // Duration steps make one warmup call per connection: the snapshots must leave them out too.
  it('a duration step with warmup: deltas and code counts cover the same calls, single and pooled', async () => {
    const sc = loadScenario(
      `name: envoy-warmup
target: http://httpbin:8000/get
${TASK_MESH}steps:
  - name: single
    load: { c: 3, t: 1s, qps: 60, allowInitialErrors: true }
    expect:
      envoy: { upstream_rq_pending_overflow: "== code 503 count", upstream_rq_total: "== code 200 count" }
  - name: pooled
    policy: until-conclusive
    repeat: 2
    load: { c: 3, t: 500ms, qps: 60, allowInitialErrors: true }
    expect:
      envoy: { upstream_rq_pending_overflow: "== code 503 count", upstream_rq_total: "== code 200 count" }
`,
      'envoy-warmup.yaml',
      { meshChecks: MESH_CHECKS },
    );
    for (const seedN of [3, 4]) {
      const run = await runScenario(sc, { seed: seedN });
      for (const [i, step] of run.result.steps.entries()) {
        expect(step.results.map((r) => r.verdict), `${step.key} seed ${seedN}`).toEqual(['PASS', 'PASS']);
        expect(step.observed?.batches).toBe(i === 0 ? 1 : 2);
        // the warmup did happen, and was not counted
        expect(run.loads[step.key]?.batches.map((b) => b.Tripbench?.WarmupCalls)).toEqual(i === 0 ? [3] : [3, 3]);
      }
    }
  }, 60_000);
});
