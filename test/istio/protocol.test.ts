/**
 * Istio's protocol selection (Service port appProtocol, then the name's prefix; ServiceEntry
 * protocol) and what pilot makes of it: an HTTP/2 cluster for grpc/http2 ports, or for an HTTP
 * port whose DestinationRule says h2UpgradePolicy UPGRADE (Istio >= 1.3).
 */
import { describe, expect, it } from 'vitest';
import { isHttp2Protocol, isTcpProxyProtocol, servicePortProtocol } from '../../src/istio/protocol.js';
import { loadIstioResources } from '../../src/istio/resources.js';
import type { IstioResources } from '../../src/istio/resources.js';
import { parseIstioVersion, toSidecarConfig } from '../../src/rehearsal/pilot.js';
import type { IstioVersion } from '../../src/rehearsal/pilot.js';
import { destinationRule } from '../helpers/meshFixtures.js';

const v = (s: string): IstioVersion => parseIstioVersion(s) as IstioVersion;

function service(ports: string): string {
  return `apiVersion: v1\nkind: Service\nmetadata: { name: httpbin }\nspec:\n  ports:\n${ports}\n`;
}

function load(...texts: string[]): IstioResources {
  const { resources, problems } = loadIstioResources(texts.map((text, i) => ({ text, file: `r${i}.yaml` })));
  expect(problems).toEqual([]);
  return resources;
}

describe('port protocol selection', () => {
  it('appProtocol wins over the name; the name is read up to its first "-"', () => {
    const r = load(service(`  - { name: http-web, port: 8000, appProtocol: grpc }\n  - { name: grpc-api, port: 8079 }\n  - { name: http2, port: 9000 }\n  - { name: grpc-web, port: 9001 }\n  - { name: web, port: 9002 }\n  - { name: tcp-db, port: 5432 }`));
    expect([8000, 8079, 9000, 9001, 9002, 5432, 1].map((p) => servicePortProtocol(r, p))).toEqual(['grpc', 'grpc', 'http2', 'grpc-web', undefined, 'tcp', undefined]);
    expect(['grpc', 'http2', 'grpc-web', 'http', 'tcp', undefined].map((p) => isHttp2Protocol(p as never))).toEqual([true, true, true, false, false, false]);
  });

  it('a ServiceEntry port protocol names it too', () => {
    const se = `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: { name: api }\nspec:\n  hosts: [api.example.com]\n  ports:\n  - { number: 443, protocol: GRPC, name: api }\n`;
    expect(servicePortProtocol(load(se), 443)).toBe('grpc');
  });

  it('TCP is one port protocol: a tcp* name, appProtocol tcp, ServiceEntry TCP, or declared (a tcp:// target, -service-protocol), which wins', () => {
    const r = load(service(`  - { name: tcp, port: 9000 }\n  - { name: db, port: 5432, appProtocol: TCP }\n  - { name: http-web, port: 8000 }`));
    expect([9000, 5432, 8000].map((p) => isTcpProxyProtocol(servicePortProtocol(r, p)))).toEqual([true, true, false]);
    const se = `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: { name: db }\nspec:\n  hosts: [db.example.com]\n  ports:\n  - { number: 5432, protocol: TCP, name: db }\n`;
    expect(servicePortProtocol(load(se), 5432)).toBe('tcp');
    const dr = destinationRule('connectionPool:\n  tcp:\n    maxConnections: 1');
    expect(toSidecarConfig(load(dr, service('  - { name: http-web, port: 8000 }')), { istioVersion: v('1.30'), serviceProtocol: 'tcp' }).servicePortProtocol).toBe('tcp');
    expect(toSidecarConfig(load(dr, service('  - { name: tcp, port: 8000 }')), { istioVersion: v('1.30') }).servicePortProtocol).toBe('tcp');
    expect(toSidecarConfig(load(dr, service('  - { name: tcp, port: 8000 }')), { istioVersion: v('1.30'), serviceProtocol: 'grpc' }).cluster.http2).toBe(true);
  });

  it('a bad Service is one line naming its field', () => {
    const { problems } = loadIstioResources([{ text: service('  - { name: grpc, port: 0 }'), file: 'svc.yaml' }]);
    expect(problems.map((p) => `${p.file}:${p.line}: ${p.path}`)).toEqual(['svc.yaml:6: spec.ports[0].port']);
  });
});

describe('the cluster protocol pilot writes', () => {
  it('grpc and http2 ports are HTTP/2 upstream; an unnamed or http port stays HTTP/1.1', () => {
    const dr = destinationRule('connectionPool:\n  http:\n    http2MaxRequests: 1');
    expect(toSidecarConfig(load(dr, service('  - { name: grpc, port: 8000 }')), { istioVersion: v('1.30') }).cluster.http2).toBe(true);
    expect(toSidecarConfig(load(dr, service('  - { name: http, port: 8000 }')), { istioVersion: v('1.30') }).cluster.http2).toBe(false);
    expect(toSidecarConfig(load(dr), { istioVersion: v('1.30') }).cluster.http2).toBe(false);
  });

  it('h2UpgradePolicy UPGRADE makes an HTTP port HTTP/2 from Istio 1.3, never a tcp port', () => {
    const dr = destinationRule('connectionPool:\n  http:\n    h2UpgradePolicy: UPGRADE');
    expect(toSidecarConfig(load(dr), { istioVersion: v('1.30') }).cluster.http2).toBe(true);
    expect(toSidecarConfig(load(dr, service('  - { name: http, port: 8000 }')), { istioVersion: v('1.30') }).cluster.http2).toBe(true);
    expect(toSidecarConfig(load(dr), { istioVersion: v('1.2') }).cluster.http2).toBe(false);
    expect(toSidecarConfig(load(dr, service('  - { name: tcp, port: 8000 }')), { istioVersion: v('1.30') }).cluster.http2).toBe(false);
  });

  it('maxConcurrentStreams reaches an HTTP/2 cluster from Istio 1.21, with a warning where it does not', () => {
    const dr = destinationRule('connectionPool:\n  http:\n    maxConcurrentStreams: 3');
    const svc = service('  - { name: http2, port: 8000 }');
    expect(toSidecarConfig(load(dr, svc), { istioVersion: v('1.21') }).cluster.maxConcurrentStreams).toBe(3);
    const old = toSidecarConfig(load(dr, svc), { istioVersion: v('1.20') });
    expect(old.cluster.maxConcurrentStreams).toBe(0);
    expect(old.warnings.join('\n')).toMatch(/maxConcurrentStreams is read by pilot from Istio 1\.21/);
    const h1 = toSidecarConfig(load(dr), { istioVersion: v('1.30') });
    expect(h1.cluster.maxConcurrentStreams).toBe(0);
    expect(h1.warnings.join('\n')).toMatch(/applies to HTTP\/2 clusters only/);
  });
});
