import { describe, expect, it } from 'vitest';
import { ClusterStats } from '../../src/rehearsal/clusterStats.js';
import { ENVOY_DEFAULT_OUTLIER, type OutlierConfig } from '../../src/rehearsal/envoyConfig.js';
import { UpstreamHost } from '../../src/rehearsal/host.js';
import { OutlierDetector } from '../../src/rehearsal/outlier.js';
import { seededRng } from '../../src/shared/random.js';
import { prometheusName, renderJson, renderPrometheus, renderText, StatStore } from '../../src/rehearsal/stats.js';

const CN = 'outbound|8000||httpbin.default.svc.cluster.local';

describe('stat store and renderers', () => {
  it('text is sorted `name: value`; filter, usedonly, json; Istio inclusion trims', () => {
    const s = new StatStore(['cluster.outbound']);
    s.counter(`cluster.${CN}.upstream_rq_pending_overflow`).inc(40);
    s.counter(`cluster.${CN}.upstream_cx_total`);
    s.gauge(`cluster.${CN}.circuit_breakers.default.remaining_pending`, () => 1);
    s.counter('http.outbound_0.0.0.0_8000.fault.aborts_injected').inc();
    expect(renderText(s.snapshot())).toBe(
      `cluster.${CN}.circuit_breakers.default.remaining_pending: 1\ncluster.${CN}.upstream_cx_total: 0\ncluster.${CN}.upstream_rq_pending_overflow: 40\n`,
    );
    expect(renderText(s.snapshot({ filter: /pending_overflow$/ }))).toBe(`cluster.${CN}.upstream_rq_pending_overflow: 40\n`);
    // remaining_* is set when Envoy creates it (used); a counter never incremented is not.
    expect(s.snapshot({ usedOnly: true }).map((e) => e.name)).toEqual([`cluster.${CN}.circuit_breakers.default.remaining_pending`, `cluster.${CN}.upstream_rq_pending_overflow`]);
    expect(JSON.parse(renderJson(s.snapshot({ filter: /overflow/ })))).toEqual({ stats: [{ name: `cluster.${CN}.upstream_rq_pending_overflow`, value: 40 }] });
    expect(s.get('http.outbound_0.0.0.0_8000.fault.aborts_injected')).toBe(1);
    s.resetCounters();
    expect(s.get(`cluster.${CN}.upstream_rq_pending_overflow`)).toBe(0);
  });

  it('prometheus: envoy_ prefix, cluster_name label, response code labels, TYPE lines', () => {
    expect(prometheusName(`cluster.${CN}.upstream_rq_pending_overflow`, [CN])).toEqual({ name: 'envoy_cluster_upstream_rq_pending_overflow', labels: [['cluster_name', CN]] });
    expect(prometheusName(`cluster.${CN}.upstream_rq_503`, [CN])).toEqual({ name: 'envoy_cluster_upstream_rq', labels: [['response_code', '503'], ['cluster_name', CN]] });
    expect(prometheusName(`cluster.${CN}.upstream_rq_5xx`, [CN])).toEqual({ name: 'envoy_cluster_upstream_rq', labels: [['response_code_class', '5xx'], ['cluster_name', CN]] });
    const s = new StatStore();
    s.counter(`cluster.${CN}.upstream_rq_pending_overflow`).inc(21);
    s.gauge(`cluster.${CN}.circuit_breakers.default.rq_pending_open`, () => 0);
    expect(renderPrometheus(s.snapshot(), [CN])).toBe(
      `# TYPE envoy_cluster_circuit_breakers_default_rq_pending_open gauge\nenvoy_cluster_circuit_breakers_default_rq_pending_open{cluster_name="${CN}"} 0\n` +
        `# TYPE envoy_cluster_upstream_rq_pending_overflow counter\nenvoy_cluster_upstream_rq_pending_overflow{cluster_name="${CN}"} 21\n`,
    );
  });
});

function detector(cfg: Partial<OutlierConfig>, hosts: UpstreamHost[]): { d: OutlierDetector; stats: ClusterStats; clock: { t: number } } {
  const clock = { t: 1000 };
  const stats = new ClusterStats(new StatStore(), CN);
  const full: OutlierConfig = { ...ENVOY_DEFAULT_OUTLIER, intervalMs: 100, baseEjectionTimeMs: 1000, maxEjectionPercent: 100, ...cfg };
  return { d: new OutlierDetector(full, hosts, stats, seededRng(1), () => undefined, () => clock.t), stats, clock };
}

describe('outlier detection', () => {
  it('ejects when the consecutive counter equals the threshold; a success resets it', () => {
    const h = new UpstreamHost('127.0.0.1', 1);
    const { d, stats } = detector({}, [h]);
    for (let i = 0; i < 4; i++) d.putHttpCode(h, 500);
    d.putHttpCode(h, 200);
    for (let i = 0; i < 4; i++) d.putHttpCode(h, 503);
    expect(h.ejected).toBe(false);
    d.putHttpCode(h, 502);
    expect(h.ejected).toBe(true);
    expect(stats.get('outlier_detection.ejections_enforced_consecutive_5xx')).toBe(1);
    expect(stats.get('outlier_detection.ejections_active')).toBe(1);
  });

  it('1.1-1.4 gateway mapping: plain 500s never eject, 503s and connect failures do', () => {
    const h = new UpstreamHost('127.0.0.1', 1);
    const { d, stats } = detector({ consecutiveGatewayFailure: 1, enforcingConsecutiveGatewayFailure: 100, enforcingConsecutive5xx: 0 }, [h]);
    for (let i = 0; i < 10; i++) d.putHttpCode(h, 500);
    expect(h.ejected).toBe(false);
    // Detected (not enforced) at the 5th and the 10th: Envoy resets the counter after every
    // detection (outlier_detection_impl.cc onConsecutiveErrorWorker).
    expect(stats.get('outlier_detection.ejections_detected_consecutive_5xx')).toBe(2);
    d.putLocalOrigin(h, 'connect-failed');
    expect(h.ejected).toBe(true);
    expect(stats.get('outlier_detection.ejections_enforced_consecutive_gateway_failure')).toBe(1);
  });

  it('ejection lasts base × multiplier and ends only at a sweep; legacy multiplier never decays', () => {
    const h = new UpstreamHost('127.0.0.1', 1);
    const { d, clock } = detector({ consecutive5xx: 1, legacyBackoff: true }, [h]);
    d.putHttpCode(h, 500);
    clock.t += 999;
    d.sweep();
    expect(h.ejected).toBe(true);
    clock.t += 1;
    d.sweep();
    expect(h.ejected).toBe(false);
    d.putHttpCode(h, 500);
    expect(d.ejectionDurationMs(h)).toBe(2000);
    clock.t += 10_000;
    d.sweep();
    d.putHttpCode(h, 500);
    expect(d.ejectionDurationMs(h)).toBe(3000);
  });

  it('max ejection percent caps ejections but one host may always go (Envoy 1.27 rule)', () => {
    const hosts = [1, 2, 3].map((p) => new UpstreamHost('127.0.0.1', p));
    const { d, stats } = detector({ consecutive5xx: 1, maxEjectionPercent: 10, ejectionRule: 'after-le-or-first' }, hosts);
    for (const h of hosts) d.putHttpCode(h, 500);
    expect(hosts.filter((h) => h.ejected)).toHaveLength(1);
    expect(stats.get('outlier_detection.ejections_overflow')).toBe(2);
  });
});
