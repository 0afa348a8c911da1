import { describe, expect, it } from 'vitest';
import { loadIstioResources } from '../../src/istio/resources.js';
import { parseIstioVersion, toSidecarConfig, CURRENT_ISTIO } from '../../src/rehearsal/pilot.js';
import type { IstioVersion } from '../../src/rehearsal/pilot.js';
import { UNLIMITED } from '../../src/rehearsal/envoyConfig.js';
import { TASK_DR, destinationRule, virtualService } from '../helpers/meshFixtures.js';

const v = (s: string): IstioVersion => parseIstioVersion(s) as IstioVersion;

describe('Istio → Envoy mapping', () => {
  // envoy-circuit-breaking.md §8.2: Istio 1.1.0 cluster.go 52–59 (Envoy defaults, max_retries 1024),
  // 1.3.0 cluster.go 886–890 (healthy_panic_threshold always written), 1.4.0 cluster.go 70–91 (2^32−1).
  it('the task DR on Istio 1.2 / 1.3 / 1.4: unset limits and the panic threshold as each pilot wrote them', () => {
    const { resources, problems: p } = loadIstioResources([{ text: TASK_DR, file: 'dr.yaml' }]);
    expect(p).toEqual([]);
    const c = toSidecarConfig(resources, { istioVersion: v('1.2') }).cluster;
    expect(c.name).toBe('outbound|8000||httpbin.default.svc.cluster.local');
    expect(c.thresholds).toEqual({ maxConnections: 1, maxPendingRequests: 1, maxRequests: 1024, maxRetries: 1024 });
    expect(c.maxRequestsPerConnection).toBe(1);
    expect(c.outlier).toMatchObject({ consecutiveGatewayFailure: 1, enforcingConsecutiveGatewayFailure: 100, enforcingConsecutive5xx: 0, intervalMs: 1000, baseEjectionTimeMs: 180_000, maxEjectionPercent: 100, legacyBackoff: true });
    expect(c.healthyPanicThreshold).toBe(50);
    expect(toSidecarConfig(resources, { istioVersion: v('1.0') }).cluster.thresholds.maxRetries).toBe(3);
    const c13 = toSidecarConfig(resources, { istioVersion: v('1.3') }).cluster;
    expect(c13.healthyPanicThreshold).toBe(0);
    expect(c13.thresholds.maxRequests).toBe(1024);
    const c14 = toSidecarConfig(resources, { istioVersion: v('1.4') }).cluster;
    expect(c14.thresholds).toEqual({ maxConnections: 1, maxPendingRequests: 1, maxRequests: UNLIMITED, maxRetries: UNLIMITED });
    expect(c14.healthyPanicThreshold).toBe(0);
  });

  it('Istio 1.0 maps consecutiveErrors to consecutive_5xx; current pilot ignores it', () => {
    const { resources } = loadIstioResources([{ text: TASK_DR, file: 'dr.yaml' }]);
    expect(toSidecarConfig(resources, { istioVersion: v('1.0') }).cluster.outlier).toMatchObject({ consecutive5xx: 1, enforcingConsecutive5xx: 100 });
    const cur = toSidecarConfig(resources, { istioVersion: CURRENT_ISTIO });
    expect(cur.cluster.outlier).toMatchObject({ consecutive5xx: 5, enforcingConsecutive5xx: 100, enforcingConsecutiveGatewayFailure: 0, legacyBackoff: false, maxEjectionTimeMs: 300_000 });
    expect(cur.warnings.join('\n')).toMatch(/consecutiveErrors is ignored/);
  });

  it('from 1.5: unlimited defaults, 0 means unset, panic threshold = minHealthPercent (0 = off)', () => {
    const dr = destinationRule('connectionPool:\n  tcp:\n    maxConnections: 0\n  http:\n    http2MaxRequests: 2\noutlierDetection:\n  consecutive5xxErrors: 0\n  consecutiveGatewayErrors: 3');
    const { resources } = loadIstioResources([{ text: dr, file: 'dr.yaml' }]);
    const c = toSidecarConfig(resources, { istioVersion: v('1.22') }).cluster;
    expect(c.thresholds).toEqual({ maxConnections: UNLIMITED, maxPendingRequests: UNLIMITED, maxRequests: 2, maxRetries: UNLIMITED });
    expect(c.outlier).toMatchObject({ consecutive5xx: 0, enforcingConsecutive5xx: 0, consecutiveGatewayFailure: 3, enforcingConsecutiveGatewayFailure: 100, maxEjectionPercent: 10 });
    expect(c.healthyPanicThreshold).toBe(0);
    expect(c.lbPolicy).toBe('LEAST_REQUEST');
  });

  it('routes: default retry policy, VirtualService timeout/retries/fault', () => {
    const none = toSidecarConfig({}, { istioVersion: v('1.4') });
    expect(none.routes[0]?.retry).toMatchObject({ numRetries: 2, retriableStatusCodes: new Set([503]) });
    expect(none.routes[0]?.timeoutMs).toBe(0);
    const vs = virtualService('timeout: 3s\nretries:\n  attempts: 3\n  perTryTimeout: 500ms\n  retryOn: gateway-error,connect-failure,409\nfault:\n  abort:\n    httpStatus: 418\n    percentage:\n      value: 50\n  delay:\n    fixedDelay: 100ms\n    percent: 10');
    const { resources, problems: p } = loadIstioResources([{ text: vs, file: 'vs.yaml' }]);
    expect(p).toEqual([]);
    const r = toSidecarConfig(resources, { istioVersion: v('1.4') }).routes[0];
    expect(r?.timeoutMs).toBe(3000);
    expect(r?.retry?.numRetries).toBe(3);
    expect(r?.retry?.perTryTimeoutMs).toBe(500);
    expect([...(r?.retry?.retryOn ?? [])].sort()).toEqual(['connect-failure', 'gateway-error', 'retriable-status-codes']);
    expect([...(r?.retry?.retriableStatusCodes ?? [])]).toEqual([409]);
    expect(r?.fault).toEqual({ abort: { httpStatus: 418, percent: 50 }, delay: { fixedDelayMs: 100, percent: 10 } });
    const off = loadIstioResources([{ text: virtualService('retries:\n  attempts: 0'), file: 'vs.yaml' }]).resources;
    expect(toSidecarConfig(off, { istioVersion: v('1.4') }).routes[0]?.retry).toBeUndefined();
  });

  it('versions parse: Istio 1.N with the Envoy it ships, or an -envoy-version override', () => {
    expect(parseIstioVersion('1.4')).toEqual({ istio: { label: '1.4', minor: 4 }, envoy: { label: '1.13', minor: 13 } });
    expect(parseIstioVersion('v1.22.3')).toEqual({ istio: { label: '1.22', minor: 22 }, envoy: { label: '1.30', minor: 30 } });
    expect(parseIstioVersion('current')).toEqual(CURRENT_ISTIO);
    expect(CURRENT_ISTIO).toEqual({ istio: { label: '1.30', minor: 30 }, envoy: { label: '1.38', minor: 38 } });
    expect(parseIstioVersion('1.20', '1.27')?.envoy).toEqual({ label: '1.27', minor: 27 });
    expect(parseIstioVersion('1.20', '2.0')).toBeUndefined();
    expect(parseIstioVersion('2.0')).toBeUndefined();
    expect(parseIstioVersion('1.31')).toBeUndefined();
  });
});
