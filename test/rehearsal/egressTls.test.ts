/**
 * HTTPS egress through the sidecar, with real TLS on loopback: the ClientHello's SNI picks the
 * ServiceEntry's chain, the stream passes through untouched (the handshake is between the client
 * and the upstream, which sees the SNI), stats as Envoy names them for the TCP proxy and its
 * cluster; no chain → BlackHoleCluster (closed) or PassthroughCluster; Istio 1.0 needs the
 * VirtualService `tls:` route. TLS origination: a DestinationRule tls SIMPLE makes the sidecar
 * open TLS for a plain-HTTP client.
 */
import { connect as netConnect, createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRehearsalCerts } from '../../src/rehearsal/certs.js';
import type { RehearsalCerts } from '../../src/rehearsal/certs.js';
import { parseClientHello } from '../../src/rehearsal/clientHello.js';
import { formatTcpAccessLog, parseIstioVersion, sidecarConfigFromYaml, startSidecar, startTarget } from '../../src/rehearsal/index.js';
import type { TcpLogEntry } from '../../src/rehearsal/sniProxy.js';
import { GOOGLE_SE } from '../helpers/meshFixtures.js';
import type { SidecarHandle, TargetHandle } from '../../src/rehearsal/index.js';
import { get } from '../helpers/rehearsalServers.js';


/** Istio 1.0's egress task: the VirtualService that routes the TLS stream by SNI. */
const GOOGLE_TLS_VS = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: google
spec:
  hosts:
  - www.google.com
  tls:
  - match:
    - port: 443
      sni_hosts:
      - www.google.com
    route:
    - destination:
        host: www.google.com
        port:
          number: 443
      weight: 100
`;

let certs: RehearsalCerts;
let tlsTarget: TargetHandle;

beforeAll(async () => {
  certs = makeRehearsalCerts(['www.google.com', 'edition.cnn.com']);
  tlsTarget = await startTarget({ seed: 3, tls: { cert: certs.certPem, key: certs.keyPem } });
});
afterAll(async () => {
  await tlsTarget.close();
});

async function sidecarFor(yaml: string[], version = '1.30', policy?: 'REGISTRY_ONLY' | 'ALLOW_ANY', onTcpLog?: (e: TcpLogEntry) => void): Promise<SidecarHandle> {
  const config = sidecarConfigFromYaml(
    yaml.map((text, i) => ({ text, file: `r${i}.yaml` })),
    { istioVersion: parseIstioVersion(version)!, ...(policy ? { outboundTrafficPolicy: policy } : {}) },
  );
  return startSidecar({ config, upstreams: ['127.0.0.1:1'], tlsUpstream: `127.0.0.1:${tlsTarget.address.port}`, admin: false, statsInclusionPrefixes: ['*'], ...(onTcpLog ? { onTcpLog } : {}) });
}

/** `curl https://<sni>/get` through the sidecar's listener, verifying against the rehearsal CA. */
function httpsGet(port: number, sni: string): Promise<{ status: number; authorized: boolean } | { error: string }> {
  return new Promise((resolve) => {
    let secured = false;
    const s = tlsConnect({ host: '127.0.0.1', port, servername: sni, ca: certs.caPem }, () => {
      secured = true;
      s.write(`GET /get HTTP/1.1\r\nHost: ${sni}\r\nConnection: close\r\n\r\n`);
    });
    let got = '';
    let error = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('error', (e) => (error = e.message));
    s.on('close', () => resolve(secured ? { status: Number(got.split(' ')[1]), authorized: s.authorized } : { error: error || 'closed before the handshake' }));
  });
}

const stats = (s: SidecarHandle, re: RegExp): Record<string, number> => Object.fromEntries(s.store.snapshot({ filter: re }).map((e) => [e.name, e.value]));

describe('the ClientHello parser', () => {
  it("reads Node's own ClientHello SNI, says need-more on a partial one and not-tls on HTTP", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const hello = new Promise<Buffer>((resolve) => srv.once('connection', (sock) => sock.once('data', (d: Buffer) => (sock.destroy(), resolve(d)))));
    const c = tlsConnect({ host: '127.0.0.1', port: (srv.address() as { port: number }).port, servername: 'WWW.Google.com' });
    c.on('error', () => undefined);
    const bytes = await hello;
    srv.close();
    expect(parseClientHello(bytes)).toEqual({ kind: 'client-hello', sni: 'www.google.com' });
    expect(parseClientHello(bytes.subarray(0, 40))).toEqual({ kind: 'need-more' });
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ kind: 'not-tls' });
    expect(parseClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0, 0, 0])).kind).toBe('invalid');
  });
});

describe('HTTPS egress by SNI (Istio 1.30)', () => {
  it("the access log has one TCP proxy line per connection, in Istio's format, naming the cluster and the SNI (the egress task's `kubectl logs … | grep 'outbound|443||www.google.com'`)", async () => {
    const lines: string[] = [];
    let logged: () => void = () => undefined;
    const done = new Promise<void>((r) => (logged = r));
    const s = await sidecarFor([GOOGLE_SE], '1.30', undefined, (e) => (lines.push(formatTcpAccessLog(e, 30)), logged()));
    try {
      expect(await httpsGet(s.address.port, 'www.google.com')).toEqual({ status: 200, authorized: true });
      await done;
      expect(lines).toHaveLength(1);
      const port = tlsTarget.address.port;
      expect(lines[0]).toMatch(
        new RegExp(`^\\[\\S+Z\\] "- - -" 0 - - - "-" \\d+ \\d+ \\d+ - "-" "-" "-" "-" "127\\.0\\.0\\.1:${port}" outbound\\|443\\|\\|www\\.google\\.com 127\\.0\\.0\\.1:\\d+ 127\\.0\\.0\\.1:${s.address.port} 127\\.0\\.0\\.1:\\d+ www\\.google\\.com -$`),
      );
    } finally {
      await s.close();
    }
  });

  it('the TLS stand-in offers h2 and http/1.1 by ALPN, as the outside hosts do', async () => {
    const alpn = (protocols: string[]): Promise<string | false> =>
      new Promise((resolve, reject) => {
        const c = tlsConnect({ host: '127.0.0.1', port: tlsTarget.address.port, servername: 'www.google.com', ca: certs.caPem, ALPNProtocols: protocols }, () => {
          resolve(c.alpnProtocol ?? false);
          c.destroy();
        });
        c.on('error', reject);
      });
    expect(await alpn(['h2', 'http/1.1'])).toBe('h2');
    expect(await alpn(['http/1.1'])).toBe('http/1.1');
  });

  it('a ServiceEntry for www.google.com:443: the TLS stream passes through to its upstream, which sees the SNI; tcp and cluster stats count it', async () => {
    const s = await sidecarFor([GOOGLE_SE]);
    try {
      const seen = tlsTarget.serverNames().length;
      expect(await httpsGet(s.address.port, 'www.google.com')).toEqual({ status: 200, authorized: true });
      expect(tlsTarget.serverNames().slice(seen)).toEqual(['www.google.com']);
      const st = stats(s, /^(tcp\.outbound\|443\|\|www\.google\.com\.downstream_cx_total|cluster\.outbound\|443\|\|www\.google\.com;\.upstream_cx_(total|connect_fail))$/);
      expect(st).toEqual({
        'tcp.outbound|443||www.google.com.downstream_cx_total': 1,
        'cluster.outbound|443||www.google.com;.upstream_cx_total': 1,
        'cluster.outbound|443||www.google.com;.upstream_cx_connect_fail': 0,
      });
      expect(s.store.get('tcp.outbound|443||www.google.com.downstream_cx_tx_bytes_total')).toBeGreaterThan(100);
      expect(s.store.get('cluster.outbound|443||www.google.com;.upstream_cx_rx_bytes_total')).toBe(s.store.get('tcp.outbound|443||www.google.com.downstream_cx_tx_bytes_total'));
    } finally {
      await s.close();
    }
  });

  it('REGISTRY_ONLY without a ServiceEntry: BlackHoleCluster, the connection is closed before any handshake', async () => {
    const s = await sidecarFor([GOOGLE_SE], '1.30', 'REGISTRY_ONLY');
    try {
      const seen = tlsTarget.serverNames().length;
      const r = await httpsGet(s.address.port, 'edition.cnn.com');
      expect(r).toHaveProperty('error');
      expect(tlsTarget.serverNames().length).toBe(seen);
      expect(stats(s, /BlackHoleCluster/)).toEqual({ 'cluster.BlackHoleCluster.upstream_cx_none_healthy': 1, 'tcp.BlackHoleCluster.downstream_cx_total': 1 });
    } finally {
      await s.close();
    }
  });

  it('ALLOW_ANY: an unknown SNI goes to PassthroughCluster', async () => {
    const s = await sidecarFor([GOOGLE_SE]);
    try {
      expect(await httpsGet(s.address.port, 'edition.cnn.com')).toEqual({ status: 200, authorized: true });
      expect(stats(s, /^(tcp|cluster)\.PassthroughCluster\.(downstream|upstream)_cx_total$/)).toEqual({ 'cluster.PassthroughCluster.upstream_cx_total': 1, 'tcp.PassthroughCluster.downstream_cx_total': 1 });
    } finally {
      await s.close();
    }
  });

  it('Istio 1.0 (REGISTRY_ONLY by default): the ServiceEntry alone is refused; with the VirtualService tls route it passes', async () => {
    const alone = await sidecarFor([GOOGLE_SE], '1.0');
    try {
      expect(await httpsGet(alone.address.port, 'www.google.com')).toHaveProperty('error');
    } finally {
      await alone.close();
    }
    const routed = await sidecarFor([GOOGLE_SE, GOOGLE_TLS_VS], '1.0');
    try {
      expect(await httpsGet(routed.address.port, 'www.google.com')).toEqual({ status: 200, authorized: true });
      // Before 1.23 the stat name has no ";".
      expect(routed.store.get('cluster.outbound|443||www.google.com.upstream_cx_total')).toBe(1);
    } finally {
      await routed.close();
    }
  });

  it('plain HTTP on the same listener still reaches the HTTP routes', async () => {
    const s = await sidecarFor([GOOGLE_SE], '1.30', 'REGISTRY_ONLY');
    try {
      const sock = netConnect(s.address.port, '127.0.0.1');
      const line = await new Promise<string>((resolve) => {
        sock.on('connect', () => sock.write('GET /get HTTP/1.1\r\nHost: edition.cnn.com\r\n\r\n'));
        sock.once('data', (d: Buffer) => resolve(d.toString('latin1').split('\r\n')[0] as string));
      });
      sock.destroy();
      expect(line).toBe('HTTP/1.1 502 Bad Gateway');
    } finally {
      await s.close();
    }
  });
});

describe('TLS origination (DestinationRule tls SIMPLE)', () => {
  it('a plain-HTTP client; the sidecar opens TLS with the DestinationRule’s SNI, verified against the CA', async () => {
    const se = GOOGLE_SE.replace(/www\.google\.com/g, 'edition.cnn.com').replace('number: 443\n    name: https\n    protocol: HTTPS', 'number: 80\n    name: http-port\n    protocol: HTTP');
    const dr = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: edition-cnn-com
spec:
  host: edition.cnn.com
  trafficPolicy:
    portLevelSettings:
    - port:
        number: 80
      tls:
        mode: SIMPLE
        sni: edition.cnn.com
`;
    const config = sidecarConfigFromYaml([{ text: `${se}---\n${dr}`, file: 'cnn.yaml' }], { istioVersion: parseIstioVersion('1.30')! });
    expect(config.tlsOrigination).toEqual({ sni: 'edition.cnn.com' });
    expect(config.warnings).toEqual([]);
    const s = await startSidecar({ config, upstreams: [`127.0.0.1:${tlsTarget.address.port}`], upstreamCaPem: certs.caPem, admin: false, hopLatencyMs: 0 });
    try {
      const seen = tlsTarget.serverNames().length;
      const r = await get(`${s.url}/get`, { host: 'edition.cnn.com' });
      expect(r.status).toBe(200);
      expect(r.headers.server).toBe('envoy');
      expect(tlsTarget.serverNames().slice(seen)).toEqual(['edition.cnn.com']);
      expect(s.clusterName).toBe('outbound|80||edition.cnn.com');
      expect(s.stat('ssl.handshake')).toBe(1);
      expect(s.stat('upstream_rq_200')).toBe(1);
    } finally {
      await s.close();
    }
  });
});
