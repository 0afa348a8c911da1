import { describe, expect, it } from 'vitest';
import { defaultClusterName, targetClusterName } from '../../src/istio/naming.js';
import { loadIstioResources } from '../../src/istio/resources.js';
import type { MeshResource } from '../../src/scenario/types.js';
import { TASK_DR } from '../helpers/meshFixtures.js';

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
