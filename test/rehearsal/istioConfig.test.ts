import { describe, expect, it } from 'vitest';
import { formatProblem, loadYamlDocuments, validate } from '../../src/shared/yamlConfig.js';
import { loadIstioResources, parseIstioVersion, toSidecarConfig, CURRENT_ISTIO, defaultClusterName, targetClusterName } from '../../src/rehearsal/istio.js';
import type { MeshResource } from '../../src/scenario/types.js';
import type { IstioVersion } from '../../src/rehearsal/istio.js';
import { UNLIMITED } from '../../src/rehearsal/envoyConfig.js';
import { matchRoute } from '../../src/rehearsal/routeMatch.js';
import { TASK_DR, destinationRule, virtualService } from '../helpers/meshFixtures.js';

const v = (s: string): IstioVersion => parseIstioVersion(s) as IstioVersion;

function problems(text: string, file = 'dr.yaml'): string[] {
  return loadIstioResources([{ text, file }]).problems.map(formatProblem);
}

describe('YAML problems are one line with file:line:col and the field path', () => {
  it('unknown field', () => {
    const p = problems(destinationRule('connectionPool:\n  tcp:\n    maxConnection: 1'));
    expect(p).toEqual(['dr.yaml:10:9: spec.trafficPolicy.connectionPool.tcp.maxConnection: unknown field']);
  });

  it('negative limit', () => {
    const p = problems(destinationRule('connectionPool:\n  http:\n    http1MaxPendingRequests: -1'));
    expect(p).toEqual(['dr.yaml:10:34: spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: must not be negative (got -1)']);
  });

  it('wrong kind and wrong apiVersion', () => {
    expect(problems('apiVersion: networking.istio.io/v1\nkind: Gateway\nspec: {}\n')).toEqual([
      'dr.yaml:2:7: kind: must be one of DestinationRule, VirtualService, ServiceEntry, Sidecar (got "Gateway")',
    ]);
    expect(problems('apiVersion: v1\nkind: DestinationRule\nspec: {host: x}\n')[0]).toMatch(/^dr\.yaml:1:13: apiVersion: unsupported apiVersion "v1"/);
  });

  it('invalid YAML and duplicate keys', () => {
    expect(problems('apiVersion: x\n  kind: : DestinationRule\n')[0]).toMatch(/^dr\.yaml:1:13: \(yaml\): Nested mappings/);
    expect(problems('a: 1\na: 2\n')[0]).toMatch(/^dr\.yaml:2:1: \(yaml\): .*[Uu]nique/);
  });

  it("Istio's egress YAML (ServiceEntry + VirtualService + DestinationRule in one file) loads as `run` loads it", () => {
    const se = 'apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: { name: ext }\nspec:\n  hosts: [httpbin.org]\n  ports: [{ number: 80, name: http, protocol: HTTP }]\n  resolution: DNS\n  location: MESH_EXTERNAL\n';
    const vs = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: ext }\nspec:\n  hosts: [httpbin.org]\n  http:\n    - timeout: 3s\n      route: [{ destination: { host: httpbin.org }, weight: 100 }]\n';
    const dr = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: ext }\nspec:\n  host: httpbin.org\n';
    const all = loadIstioResources([{ text: `${se}---\n${vs}---\n${dr}`, file: 'egress.yaml' }]);
    expect(all.problems).toEqual([]);
    expect(all.resources.serviceEntries?.[0]?.spec.hosts).toEqual(['httpbin.org']);
    expect(toSidecarConfig(all.resources, { istioVersion: v('1.4'), servicePort: 80 }).routes[0]?.timeoutMs).toBe(3000);
    // Without a DestinationRule the ServiceEntry's host names the cluster, as in `run`.
    const seOnly = loadIstioResources([{ text: `${se}---\n${vs}`, file: 'egress.yaml' }]).resources;
    expect(toSidecarConfig(seOnly, { istioVersion: v('1.4'), servicePort: 80 }).cluster.name).toBe('outbound|80||httpbin.org');
    expect(problems(se.replace('resolution: DNS', 'resolution: MAGIC'), 'se.yaml')).toEqual(['se.yaml:7:15: spec.resolution: must be one of NONE, STATIC, DNS, DNS_ROUND_ROBIN (got "MAGIC")']);
  });

  it('route regexes are RE2: a JavaScript-only construct is a located error, a backtracking bomb matches in linear time', () => {
    const vs = (re: string): string => virtualService(`match:\n  - uri:\n      regex: '${re}'`);
    expect(problems(vs('/a(?=b)'), 'vs.yaml')).toEqual(['vs.yaml:11:18: spec.http[0].match[0].uri.regex: invalid RE2 regex: invalid or unsupported Perl syntax: `(?=`']);
    const { resources } = loadIstioResources([{ text: vs('/(([^a]+)+)+a'), file: 'vs.yaml' }]);
    const routes = toSidecarConfig(resources, { istioVersion: v('1.4') }).routes;
    const t0 = performance.now();
    expect(matchRoute(routes, { method: 'GET', path: `/${'x'.repeat(60)}`, headers: new Map(), authority: 'httpbin', scheme: 'http' })).toBeUndefined();
    expect(matchRoute(routes, { method: 'GET', path: '/xxa', headers: new Map(), authority: 'httpbin', scheme: 'http' })?.name).toBe('route-0');
    // A JavaScript RegExp takes minutes on the first path; RE2 microseconds (bound generous for a busy machine).
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a second DestinationRule or VirtualService is located at file:line:col, naming where the first is', () => {
    const dr = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nspec: { host: a }\n';
    expect(problems(`${dr}---\n${dr}`)).toEqual(['dr.yaml:6:7: kind: a second DestinationRule (the first is at dr.yaml:1:1): the emulator models one cluster']);
  });

  it('a file with no resource at all', () => {
    expect(problems('')).toEqual(['dr.yaml:1:1: (document): no DestinationRule, VirtualService, ServiceEntry or Sidecar in this file']);
    expect(problems('# only a comment\n')).toEqual(['dr.yaml:1:1: (document): no DestinationRule, VirtualService, ServiceEntry or Sidecar in this file']);
  });

  it('wrong types, bad durations, missing host', () => {
    const p = problems(destinationRule('connectionPool:\n  tcp:\n    maxConnections: "1"\n    connectTimeout: 10\noutlierDetection:\n  interval: soon').replace('  host: httpbin\n', ''));
    expect(p).toContain('dr.yaml:6:3: spec: missing required field "host"');
    expect(p.some((x) => x === 'dr.yaml:9:25: spec.trafficPolicy.connectionPool.tcp.maxConnections: must be an integer (got "1")')).toBe(true);
    expect(p.some((x) => x.includes('connectTimeout: must be of type string'))).toBe(true);
    expect(p.some((x) => x.includes('outlierDetection.interval: must be a non-negative duration'))).toBe(true);
  });

  it('durations Envoy needs positive: connectTimeout, interval, baseEjectionTime below 1ms', () => {
    const p = problems(destinationRule('connectionPool:\n  tcp:\n    connectTimeout: 0s\noutlierDetection:\n  interval: 0s\n  baseEjectionTime: 500us\nportLevelSettings:\n- port: {number: 80}\n  connectionPool:\n    tcp:\n      connectTimeout: 0ms'));
    expect(p).toEqual([
      'dr.yaml:10:25: spec.trafficPolicy.connectionPool.tcp.connectTimeout: must be at least 1ms (got "0s")',
      'dr.yaml:12:17: spec.trafficPolicy.outlierDetection.interval: must be at least 1ms (got "0s")',
      'dr.yaml:13:25: spec.trafficPolicy.outlierDetection.baseEjectionTime: must be at least 1ms (got "500us")',
      'dr.yaml:18:27: spec.trafficPolicy.portLevelSettings[0].connectionPool.tcp.connectTimeout: must be at least 1ms (got "0ms")',
    ]);
    expect(problems(destinationRule('connectionPool:\n  tcp:\n    connectTimeout: 1ms\noutlierDetection:\n  interval: 1ms'))).toEqual([]);
  });

  it('VirtualService fields are checked too', () => {
    const p = problems(virtualService('timeout: 3s\nretries:\n  attempt: 3'), 'vs.yaml');
    expect(p).toEqual(['vs.yaml:11:7: spec.http[0].retries.attempt: unknown field']);
  });

  it('multi-document files and the generic API', () => {
    const { docs, problems: yp } = loadYamlDocuments(`${TASK_DR}---\n${virtualService('timeout: 3s')}`, 'both.yaml');
    expect(yp).toEqual([]);
    expect(docs).toHaveLength(2);
    expect(docs[1]?.locate(['spec', 'http', 0, 'timeout'])).toEqual({ line: 28, col: 14 });
    expect(validate(docs[0]!, { type: 'object', properties: { kind: { const: 'X' } } })[0]?.message).toBe('must be "X" (got "DestinationRule")');
  });
});

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

describe("Istio's outbound cluster name", () => {
  const dr = (host: string, namespace?: string): MeshResource => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: namespace ? { name: 'x', namespace } : { name: 'x' },
    spec: { host },
  });

  it("names Istio's outbound cluster from the DestinationRule host and the target port", () => {
    expect(targetClusterName('http://httpbin:8000/get', [dr('httpbin')])).toBe('outbound|8000||httpbin.default.svc.cluster.local');
    expect(targetClusterName('http://httpbin.test:8000/get', [dr('httpbin', 'test')])).toBe('outbound|8000||httpbin.test.svc.cluster.local');
    expect(targetClusterName('http://reviews:9080/', [dr('reviews.prod.svc.cluster.local')])).toBe('outbound|9080||reviews.prod.svc.cluster.local');
  });

  it('falls back to a ServiceEntry host, then to the URL host, with scheme default ports', () => {
    const se: MeshResource = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ext' }, spec: { hosts: ['httpbin.org'] } };
    expect(targetClusterName('http://httpbin.org/delay/5', [se])).toBe('outbound|80||httpbin.org');
    expect(targetClusterName('https://httpbin:8443/', [])).toBe('outbound|8443||httpbin.default.svc.cluster.local');
    expect(targetClusterName('https://api.example.com/', [])).toBe('outbound|443||api.example.com');
    expect(targetClusterName('not a url', [])).toBeUndefined();
  });

  it("names the sidecar's cluster from a parsed DestinationRule, httpbin when there is none", () => {
    expect(defaultClusterName([], 8000)).toBe('outbound|8000||httpbin.default.svc.cluster.local');
    expect(defaultClusterName([dr('reviews', 'prod')], 9080)).toBe('outbound|9080||reviews.prod.svc.cluster.local');
    const { resources } = loadIstioResources([{ text: TASK_DR, file: 'dr.yaml' }]);
    expect(defaultClusterName(resources.destinationRule ? [resources.destinationRule] : [], 8000)).toBe('outbound|8000||httpbin.default.svc.cluster.local');
  });
});
