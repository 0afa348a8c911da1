/**
 * Istio's egress tasks over plain HTTP ("Accessing External Services"): cluster names as pilot
 * derives them from the resources, the outbound traffic policy (meshConfig, a verbatim Sidecar,
 * each version's default), unknown hosts on block_all (502) or PassthroughCluster, with the
 * stats Envoy names for them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSidecar } from '../../src/cli/sidecar.js';
import { runServer } from '../../src/cli/server.js';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import type { TargetHandle } from '../../src/rehearsal/index.js';
import { parseIstioVersion, sidecarConfigFromYaml, startSidecar, startTarget } from '../../src/rehearsal/index.js';
import type { SidecarHandle } from '../../src/rehearsal/index.js';
import type { SourceText } from '../../src/istio/resources.js';
import { get } from '../helpers/rehearsalServers.js';
import { HTTPBIN_SE, HTTPBIN_TIMEOUT_VS, sidecarResource } from '../helpers/meshFixtures.js';




const config = (texts: string[], version = '1.30', extra: Record<string, unknown> = {}) =>
  sidecarConfigFromYaml(
    texts.map((text, i): SourceText => ({ text, file: `r${i}.yaml` })),
    { istioVersion: parseIstioVersion(version)!, ...extra },
  );

describe('cluster names as pilot derives them', () => {
  it('a VirtualService on httpbin.org alone names outbound|80||httpbin.org, not a fixed default', () => {
    expect(config([HTTPBIN_TIMEOUT_VS]).cluster.name).toBe('outbound|80||httpbin.org');
    expect(config([HTTPBIN_TIMEOUT_VS]).servicePort).toBe(80);
  });

  it('a ServiceEntry port, a route destination port, a DestinationRule host', () => {
    expect(config([HTTPBIN_SE.replace('number: 80', 'number: 8080')]).cluster.name).toBe('outbound|8080||httpbin.org');
    expect(config([HTTPBIN_TIMEOUT_VS.replace('host: httpbin.org\n      weight', 'host: httpbin.org\n        port:\n          number: 8000\n      weight')]).cluster.name).toBe('outbound|8000||httpbin.org');
    const dr = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: h\n  namespace: shop\nspec:\n  host: httpbin\n';
    expect(config([dr]).cluster.name).toBe('outbound|8000||httpbin.shop.svc.cluster.local');
    expect(config([dr], '1.30', { servicePort: 9000 }).cluster.name).toBe('outbound|9000||httpbin.shop.svc.cluster.local');
  });

  it('an HTTPS ServiceEntry port gets its own SNI chain and outbound|443||host cluster (stat name with ";" from 1.23)', () => {
    const se = HTTPBIN_SE.replace('httpbin.org', 'www.google.com').replace('number: 80\n    name: http\n    protocol: HTTP', 'number: 443\n    name: https\n    protocol: HTTPS');
    expect(config([se]).tlsPassthrough).toEqual([{ sniHosts: ['www.google.com'], port: 443, clusterName: 'outbound|443||www.google.com', statName: 'outbound|443||www.google.com;' }]);
    expect(config([se], '1.22').tlsPassthrough[0]?.statName).toBe('outbound|443||www.google.com');
  });
});

describe('outbound traffic policy', () => {
  it("each version's default: REGISTRY_ONLY in Istio 1.0, ALLOW_ANY from 1.1", () => {
    expect(config([HTTPBIN_SE], '1.0').outboundPolicy).toBe('REGISTRY_ONLY');
    expect(config([HTTPBIN_SE], '1.1').outboundPolicy).toBe('ALLOW_ANY');
    expect(config([HTTPBIN_SE], '1.30')).toMatchObject({ outboundPolicy: 'ALLOW_ANY', outboundPolicySource: 'Istio 1.30 default' });
  });

  it('the mesh knob replaces the default; a Sidecar resource replaces both', () => {
    expect(config([HTTPBIN_SE], '1.30', { outboundTrafficPolicy: 'REGISTRY_ONLY' })).toMatchObject({ outboundPolicy: 'REGISTRY_ONLY', outboundPolicySource: 'mesh' });
    expect(config([HTTPBIN_SE, sidecarResource('ALLOW_ANY')], '1.0', { outboundTrafficPolicy: 'REGISTRY_ONLY' })).toMatchObject({ outboundPolicy: 'ALLOW_ANY', outboundPolicySource: 'Sidecar' });
  });

  it('a Sidecar with a bad mode is an error at its line', () => {
    expect(() => config([sidecarResource('DENY')])).toThrow(/r0\.yaml:8:11: spec\.outboundTrafficPolicy\.mode: must be one of/);
  });

  it('REGISTRY_ONLY: an unknown outside host gets block_all’s 502 (no body, server: envoy); a ServiceEntry host goes through', async () => {
    const target = await startTarget({ seed: 1 });
    const log: string[] = [];
    const s = await startSidecar({
      config: config([HTTPBIN_SE, sidecarResource('REGISTRY_ONLY')]),
      upstreams: [`127.0.0.1:${target.address.port}`],
      admin: false,
      hopLatencyMs: 0,
      onAccessLog: (e) => log.push(`${e.status} ${e.routeName ?? '-'} ${e.upstreamCluster ?? '-'} ${e.details}`),
    });
    try {
      const blocked = await get(`${s.url}/headers`, { host: 'edition.cnn.com' });
      expect(blocked.status).toBe(502);
      expect(blocked.body).toBe('');
      expect(blocked.headers.server).toBe('envoy');
      const ok = await get(`${s.url}/headers`, { host: 'httpbin.org' });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body).headers['X-Envoy-Decorator-Operation']).toBe('httpbin.org:80/*');
      // In-mesh names are Kubernetes Services the registry holds.
      expect((await get(`${s.url}/get`, { host: 'reviews:9080' })).status).toBe(200);
      expect(log.slice(0, 2)).toEqual(['502 block_all - direct_response', '200 default outbound|80||httpbin.org via_upstream']);
      expect(s.store.snapshot({ filter: /PassthroughCluster/ })).toEqual([]);
    } finally {
      await s.close();
      await target.close();
    }
  });

  it('ALLOW_ANY: an unknown outside host goes to PassthroughCluster, counted in its stats, not the service cluster', async () => {
    const target = await startTarget({ seed: 1 });
    const s = await startSidecar({ config: config([HTTPBIN_SE]), upstreams: [`127.0.0.1:${target.address.port}`], admin: false, hopLatencyMs: 0, statsInclusionPrefixes: ['*'] });
    try {
      const before = s.stat('upstream_rq_total');
      const r = await get(`${s.url}/status/418`, { host: 'edition.cnn.com' });
      expect(r.status).toBe(418);
      const stats = new Map(s.store.snapshot({ filter: /^cluster\.PassthroughCluster\.upstream_(rq_418|rq_4xx|rq_total|cx_total)$/ }).map((e) => [e.name, e.value]));
      expect(Object.fromEntries(stats)).toEqual({
        'cluster.PassthroughCluster.upstream_cx_total': 1,
        'cluster.PassthroughCluster.upstream_rq_418': 1,
        'cluster.PassthroughCluster.upstream_rq_4xx': 1,
        'cluster.PassthroughCluster.upstream_rq_total': 1,
      });
      expect(s.stat('upstream_rq_total')).toBe(before);
    } finally {
      await s.close();
      await target.close();
    }
  });
});

describe('tripbench sidecar -f', () => {
  it('takes a ServiceEntry and a Sidecar, says the policy and where it came from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-egress-'));
    const file = join(dir, 'egress.yaml');
    writeFileSync(file, `${HTTPBIN_SE}---\n${sidecarResource('REGISTRY_ONLY')}`);
    const out: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let handle: SidecarHandle | undefined;
    const run = runSidecar(['-f', file, '-listen', '127.0.0.1:0', '-admin', 'off'], { stderr: (x) => out.push(x), stopped }, (h) => (handle = h));
    while (!handle) await new Promise((r) => setTimeout(r, 5));
    stop();
    expect(await run).toBe(0);
    expect(handle.clusterName).toBe('outbound|80||httpbin.org');
    expect(out.join('')).toContain('tripbench sidecar outbound traffic policy REGISTRY_ONLY (Sidecar): other outside hosts → BlackHoleCluster\n');
  });

  it('tripbench server -tls-hosts serves HTTPS for those names; -ca-out writes the CA that verifies it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-tls-server-'));
    const ca = join(dir, 'ca.pem');
    const out: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let t: TargetHandle | undefined;
    const run = runServer(['-listen', '127.0.0.1:0', '-tls-hosts', 'www.google.com', '-ca-out', ca], { stderr: (x) => out.push(x), stopped }, (h) => (t = h));
    while (!t) await new Promise((r) => setTimeout(r, 5));
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: t!.address.port, servername: 'www.google.com', ca: readFileSync(ca, 'utf8') }, () => {
        s.write('GET /get HTTP/1.1\r\nHost: www.google.com\r\n\r\n');
      });
      s.once('data', () => {
        resolve(s.authorized);
        s.destroy();
      });
      s.on('error', reject);
    });
    expect(authorized).toBe(true);
    expect(t.serverNames()).toEqual(['www.google.com']);
    stop();
    expect(await run).toBe(0);
    expect(out.join('')).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+ \(TLS for www\.google\.com, CA in .*ca\.pem\)\n/);
  });
});
