import { describe, expect, it } from 'vitest';
import { formatProblem, loadYamlDocuments, validate } from '../../src/shared/yamlConfig.js';
import { loadIstioResources } from '../../src/istio/resources.js';
import { parseIstioVersion, toSidecarConfig } from '../../src/rehearsal/pilot.js';
import type { IstioVersion } from '../../src/rehearsal/pilot.js';
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
      'dr.yaml:2:7: kind: must be one of DestinationRule, VirtualService, ServiceEntry, Sidecar, Service (got "Gateway")',
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
    expect(problems('')).toEqual(['dr.yaml:1:1: (document): no DestinationRule, VirtualService, ServiceEntry, Sidecar or Service in this file']);
    expect(problems('# only a comment\n')).toEqual(['dr.yaml:1:1: (document): no DestinationRule, VirtualService, ServiceEntry, Sidecar or Service in this file']);
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
