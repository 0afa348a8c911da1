/**
 * The version table (src/rehearsal/versions.ts) and each behaviour it switches, on both sides of
 * the version where it changes. Every case names the Envoy or Istio source it derives from
 * (envoy-circuit-breaking.md §8 gives the lines).
 */
import { describe, expect, it } from 'vitest';
import { ClusterStats } from '../../src/rehearsal/clusterStats.js';
import { ENVOY_DEFAULT_OUTLIER, type OutlierConfig } from '../../src/rehearsal/envoyConfig.js';
import { UpstreamHost } from '../../src/rehearsal/host.js';
import { loadIstioResources } from '../../src/istio/resources.js';
import { parseIstioVersion, toSidecarConfig } from '../../src/rehearsal/pilot.js';
import type { IstioVersion } from '../../src/rehearsal/pilot.js';
import { OutlierDetector } from '../../src/rehearsal/outlier.js';
import { StatStore } from '../../src/rehearsal/stats.js';
import { behaviourOf, DEFAULT_ISTIO_VERSION, envoyMinorOf, meshVersion } from '../../src/rehearsal/versions.js';
import type { EjectionRule } from '../../src/rehearsal/versions.js';
import { seededRng } from '../../src/shared/random.js';
import { TASK_DR, TASK_POOL_DR } from '../helpers/meshFixtures.js';
import { get, startRig } from '../helpers/rehearsalServers.js';
import { tripbenchLoad } from '../helpers/tripbenchLoad.js';

const v = (s: string): IstioVersion => parseIstioVersion(s) as IstioVersion;
const CN = 'outbound|8000||httpbin.default.svc.cluster.local';

describe('the version table', () => {
  it('defaults to the newest Istio modelled and pairs each Istio with its Envoy', () => {
    expect(DEFAULT_ISTIO_VERSION).toBe('1.30');
    expect([1, 4, 6, 16, 18, 20, 24, 28, 30].map((i) => `${i}:${envoyMinorOf(i)}`)).toEqual(['1:10', '4:13', '6:14', '16:24', '18:26', '20:28', '24:32', '28:36', '30:38']);
  });

  // Each Istio tag's istio.deps → istio/proxy WORKSPACE ENVOY_SHA and its commit date, against
  // Envoy's release dates (docs/rehearsal.md "Versions"). Before 1.10 the proxy is an Envoy main
  // build (1.(N+1).0-dev), modelled as 1.N: for 1.5 and 1.8 the Envoy-side row that moves at N+1
  // (be8d4caf unified HTTP/1 pool; envoyproxy/envoy#14235 back-off) had not landed by its date.
  it('Istio 1.0–1.16 pair as their istio/proxy Envoy builds', () => {
    const pairs = Array.from({ length: 17 }, (_, i) => envoyMinorOf(i));
    expect(pairs).toEqual([8, 10, 11, 12, 13, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(behaviourOf(v('1.5')).maxRequestsOnHttp1).toBe(false);
    expect(behaviourOf(v('1.6')).maxRequestsOnHttp1).toBe(true);
  });

  it('an -envoy-version override changes only the Envoy-side behaviours', () => {
    const own = behaviourOf(v('1.20'));
    const older = behaviourOf(parseIstioVersion('1.20', '1.26') as IstioVersion);
    expect(own.ejectionRule).toBe('after-le');
    expect(older.ejectionRule).toBe('before-lt');
    expect(older.defaultRetry503).toBe(own.defaultRetry503);
    expect(older.statNameSemicolon).toBe(own.statNameSemicolon);
  });

  // Istio pilot/pkg/networking/core/route/retry/retry.go: 503 retriable by default through 1.23;
  // 1.24 EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY=true.
  it('default retry policy: 503 retried through Istio 1.23, not from 1.24', () => {
    const r23 = toSidecarConfig({}, { istioVersion: v('1.23') }).routes[0]?.retry;
    const r24 = toSidecarConfig({}, { istioVersion: v('1.24') }).routes[0]?.retry;
    expect([...(r23?.retriableStatusCodes ?? [])]).toEqual([503]);
    expect(r23?.retryOn.has('retriable-status-codes')).toBe(true);
    expect([...(r24?.retriableStatusCodes ?? [])]).toEqual([]);
    expect([...(r24?.retryOn ?? [])].sort()).toEqual(['cancelled', 'connect-failure', 'refused-stream', 'unavailable']);
  });

  // Istio a291ab60 (istio/istio#24087) removed consecutiveErrors from pilot after 1.6.
  it('consecutiveErrors is read through Istio 1.6 (gateway failures) and ignored from 1.7', () => {
    const { resources } = loadIstioResources([{ text: TASK_DR, file: 'dr.yaml' }]);
    const o16 = toSidecarConfig(resources, { istioVersion: v('1.6') });
    const o17 = toSidecarConfig(resources, { istioVersion: v('1.7') });
    expect(o16.cluster.outlier).toMatchObject({ consecutiveGatewayFailure: 1, enforcingConsecutiveGatewayFailure: 100, enforcingConsecutive5xx: 0 });
    expect(o16.warnings.join('\n')).not.toMatch(/consecutiveErrors/);
    expect(o17.cluster.outlier).toMatchObject({ consecutive5xx: 5, consecutiveGatewayFailure: 5, enforcingConsecutiveGatewayFailure: 0 });
    expect(o17.warnings.join('\n')).toMatch(/consecutiveErrors is ignored by Istio 1\.7/);
  });

  // Envoy 1.17 added max_ejection_time and the decaying back-off (outlier_detection_impl.cc).
  it('legacy ejection back-off up to Envoy 1.16 (Istio 1.8), capped and decaying from 1.17 (Istio 1.9)', () => {
    const { resources } = loadIstioResources([{ text: TASK_DR, file: 'dr.yaml' }]);
    expect(toSidecarConfig(resources, { istioVersion: v('1.8') }).cluster.outlier?.legacyBackoff).toBe(true);
    expect(toSidecarConfig(resources, { istioVersion: v('1.9') }).cluster.outlier?.legacyBackoff).toBe(false);
  });

  // Istio cluster_builder.go 488 (istio/istio#51861): alt_stat_name = name + ";" from 1.23.
  it('cluster stat names carry ";" from Istio 1.23; /clusters keeps the plain name', () => {
    expect(toSidecarConfig({}, { istioVersion: v('1.22') }).cluster.statName).toBe(CN);
    expect(toSidecarConfig({}, { istioVersion: v('1.23') }).cluster.statName).toBe(`${CN};`);
    expect(toSidecarConfig({}, { istioVersion: v('1.23') }).cluster.name).toBe(CN);
  });
});

function detector(rule: EjectionRule, cfg: Partial<OutlierConfig>, n: number): { hosts: UpstreamHost[]; d: OutlierDetector; stats: ClusterStats } {
  const hosts = Array.from({ length: n }, (_, i) => new UpstreamHost('127.0.0.1', i + 1));
  const stats = new ClusterStats(new StatStore(), CN);
  const full: OutlierConfig = { ...ENVOY_DEFAULT_OUTLIER, intervalMs: 100, baseEjectionTimeMs: 1000, consecutive5xx: 1, ejectionRule: rule, ...cfg };
  return { hosts, d: new OutlierDetector(full, hosts, stats, seededRng(1), () => undefined, () => 1000), stats };
}

/**
 * Envoy's DetectorImpl::ejectHost across its three eras (outlier_detection_impl.cc; the cases of
 * outlier_detection_impl_test.cc MaxEjectionPercentage / the single-host cluster of ecd6bdd0).
 */
describe('max_ejection_percent per Envoy version', () => {
  const ruleOf = (envoy: number): EjectionRule => behaviourOf(meshVersion(20, envoy)).ejectionRule;

  it('the rule changes at Envoy 1.27 and 1.28', () => {
    expect([26, 27, 28].map(ruleOf)).toEqual(['before-lt', 'after-le-or-first', 'after-le']);
  });

  it('a single host at the default 10 %: ejected up to Envoy 1.27, refused with ejections_overflow from 1.28', () => {
    for (const envoy of [26, 27]) {
      const { hosts, stats, d } = detector(ruleOf(envoy), { maxEjectionPercent: 10 }, 1);
      d.putHttpCode(hosts[0] as UpstreamHost, 500);
      expect(hosts[0]?.ejected, `Envoy 1.${envoy}`).toBe(true);
      expect(stats.get('outlier_detection.ejections_overflow')).toBe(0);
    }
    const { hosts, stats, d } = detector(ruleOf(28), { maxEjectionPercent: 10 }, 1);
    d.putHttpCode(hosts[0] as UpstreamHost, 500);
    expect(hosts[0]?.ejected).toBe(false);
    expect(stats.get('outlier_detection.ejections_overflow')).toBe(1);
    expect(stats.get('outlier_detection.ejections_detected_consecutive_5xx')).toBe(1);
  });

  it('two hosts at 60 %: Envoy ≤ 1.26 ejects both (50 < 60 before the second), 1.27 and 1.28 one plus an overflow', () => {
    const run = (envoy: number): [number, number] => {
      const { hosts, stats, d } = detector(ruleOf(envoy), { maxEjectionPercent: 60 }, 2);
      for (const h of hosts) d.putHttpCode(h, 500);
      return [hosts.filter((h) => h.ejected).length, stats.get('outlier_detection.ejections_overflow')];
    };
    expect(run(26)).toEqual([2, 0]);
    expect(run(27)).toEqual([1, 1]);
    expect(run(28)).toEqual([1, 1]);
  });

  it('deprecated ejections_total counts a 5xx detection that passes the check even when not enforced', () => {
    const { hosts, stats, d } = detector('after-le', { maxEjectionPercent: 100, enforcingConsecutive5xx: 0 }, 1);
    d.putHttpCode(hosts[0] as UpstreamHost, 500);
    expect(hosts[0]?.ejected).toBe(false);
    expect(stats.get('outlier_detection.ejections_total')).toBe(1);
    expect(stats.get('outlier_detection.ejections_enforced_total')).toBe(0);
  });

  // onConsecutiveErrorWorker resets the counter after ejectHost, whatever ejectHost decided.
  it('the counter resets after a detection refused by max %: the next detection needs N fresh errors', () => {
    const { hosts, stats, d } = detector('after-le', { maxEjectionPercent: 10, consecutive5xx: 3 }, 1);
    const h = hosts[0] as UpstreamHost;
    for (let i = 0; i < 3; i++) d.putHttpCode(h, 500);
    expect(stats.get('outlier_detection.ejections_detected_consecutive_5xx')).toBe(1);
    for (let i = 0; i < 2; i++) d.putHttpCode(h, 500);
    expect(stats.get('outlier_detection.ejections_detected_consecutive_5xx')).toBe(1);
    d.putHttpCode(h, 500);
    expect(stats.get('outlier_detection.ejections_detected_consecutive_5xx')).toBe(2);
    expect(stats.get('outlier_detection.ejections_overflow')).toBe(2);
  });

  it('through the sidecar at Istio 1.30: a single endpoint with Istio’s default 10 % keeps serving after its 5xx', async () => {
    const rig = await startRig({ dr: 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: httpbin\nspec:\n  host: httpbin\n  trafficPolicy:\n    outlierDetection:\n      consecutive5xxErrors: 1\n', istioVersion: 'current' });
    try {
      expect((await get(`${rig.sidecar.url}/status/500`)).status).toBe(500);
      expect((await get(`${rig.sidecar.url}/get`)).status).toBe(200);
      expect(rig.sidecar.stat('outlier_detection.ejections_overflow')).toBe(1);
      expect(rig.sidecar.stat('upstream_cx_none_healthy')).toBe(0);
    } finally {
      await rig.close();
    }
  });
});

/**
 * Istio's circuit-breaking task: `pilot-agent request GET stats | grep httpbin | grep pending`
 * (istio.io content/en/docs/tasks/traffic-management/circuit-breaking, snip_tripping_the_circuit_breaker_5).
 * Envoy creates remaining_* only for thresholds with track_remaining; Istio sets it on DEFAULT
 * from 1.10 (a49a2fa6, istio/istio#31807: TrackRemaining in getDefaultCircuitBreakerThresholds).
 */
describe("the task's stats lines", () => {
  const pendingLines = async (istioVersion: string): Promise<string[]> => {
    const rig = await startRig({ dr: TASK_POOL_DR, admin: '127.0.0.1:0', istioVersion });
    try {
      await tripbenchLoad(`${rig.sidecar.url}/get`, 3, 30);
      const body = (await get(`${rig.sidecar.adminUrl as string}/stats`)).body;
      return body
        .split('\n')
        .filter((l) => l.includes('httpbin') && l.includes('pending'))
        .map((l) => l.replace(/: \d+$/, ': N'));
    } finally {
      await rig.close();
    }
  };

  it('Istio 1.30: the 7 lines of the current task page, with the ";" stat name', async () => {
    const p = `cluster.${CN};.`;
    expect(await pendingLines('current')).toEqual([
      `${p}circuit_breakers.default.remaining_pending: N`,
      `${p}circuit_breakers.default.rq_pending_open: N`,
      `${p}circuit_breakers.high.rq_pending_open: N`,
      `${p}upstream_rq_pending_active: N`,
      `${p}upstream_rq_pending_failure_eject: N`,
      `${p}upstream_rq_pending_overflow: N`,
      `${p}upstream_rq_pending_total: N`,
    ]);
  });

  it('Istio 1.10: remaining_pending appears (track_remaining), no ";" yet', async () => {
    const p = `cluster.${CN}.`;
    expect(await pendingLines('1.10')).toEqual([
      `${p}circuit_breakers.default.remaining_pending: N`,
      `${p}circuit_breakers.default.rq_pending_open: N`,
      `${p}circuit_breakers.high.rq_pending_open: N`,
      `${p}upstream_rq_pending_active: N`,
      `${p}upstream_rq_pending_failure_eject: N`,
      `${p}upstream_rq_pending_overflow: N`,
      `${p}upstream_rq_pending_total: N`,
    ]);
  });

  it.each(['1.5', '1.9'])('Istio %s: the 6 lines of the 2020 task page (no remaining_* without track_remaining), no ";"', async (version) => {
    const p = `cluster.${CN}.`;
    expect(await pendingLines(version)).toEqual([
      `${p}circuit_breakers.default.rq_pending_open: N`,
      `${p}circuit_breakers.high.rq_pending_open: N`,
      `${p}upstream_rq_pending_active: N`,
      `${p}upstream_rq_pending_failure_eject: N`,
      `${p}upstream_rq_pending_overflow: N`,
      `${p}upstream_rq_pending_total: N`,
    ]);
  });
});
