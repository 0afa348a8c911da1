/**
 * Envoy's HTTP/2 upstream pool through real sockets (http2/conn_pool.cc, conn_pool_base.cc):
 * streams multiplexed up to the stream limit, maxRequestsPerConnection draining, and the
 * requests breaker (`http2MaxRequests`) rejecting at attach with the counter of the Envoy version.
 */
import { describe, expect, it } from 'vitest';
import { OVERFLOW_BODY, parseIstioVersion, sidecarConfigFromYaml, startSidecar } from '../../src/rehearsal/index.js';
import type { SidecarHandle } from '../../src/rehearsal/index.js';
import type { AccessLogEntry } from '../../src/rehearsal/accessLog.js';
import { constants as h2c } from 'node:http2';
import { makeRehearsalCerts } from '../../src/rehearsal/certs.js';
import { destinationRule } from '../helpers/meshFixtures.js';
import { h2Request, h2Session, startH2Upstream } from '../helpers/h2Servers.js';
import type { H2Upstream } from '../helpers/h2Servers.js';
import { get } from '../helpers/rehearsalServers.js';
import { waitFor } from '../helpers/waitFor.js';

/** httpbin's Service with its port 8000 named for HTTP/2 (Istio's explicit protocol selection). */
const HTTP2_SERVICE = `apiVersion: v1
kind: Service
metadata: { name: httpbin }
spec:
  ports:
  - { name: http2-web, port: 8000, targetPort: 80 }
`;

interface RigOptions {
  hold?: boolean;
  istio?: string;
  service?: string;
  /** the upstream resets every stream with this HTTP/2 error code */
  resetWith?: number;
  log?: AccessLogEntry[];
}

async function rig(http: string, o: RigOptions = {}): Promise<{ up: H2Upstream; sidecar: SidecarHandle; close(): Promise<void> }> {
  const up = await startH2Upstream({ hold: o.hold ?? true, ...(o.resetWith !== undefined ? { resetWith: o.resetWith } : {}) });
  const version = parseIstioVersion(o.istio ?? '1.30');
  if (!version) throw new Error('bad version');
  const config = sidecarConfigFromYaml(
    [
      { text: destinationRule(`connectionPool:\n  http:\n${http.split('\n').map((l) => `    ${l}`).join('\n')}`), file: 'dr.yaml' },
      { text: o.service ?? HTTP2_SERVICE, file: 'svc.yaml' },
    ],
    { istioVersion: version, servicePort: 8000 },
  );
  const log = o.log;
  const sidecar = await startSidecar({ config, upstreams: [`127.0.0.1:${up.port}`], admin: false, concurrency: 1, seed: 3, hopLatencyMs: 0, ...(log ? { onAccessLog: (e: AccessLogEntry) => log.push(e) } : {}) });
  return {
    up,
    sidecar,
    close: async () => {
      await sidecar.close();
      await up.close();
    },
  };
}

describe('HTTP/2 upstream pool', () => {
  it('multiplexes concurrent requests on one upstream connection, from HTTP/1.1 and h2c clients alike', async () => {
    const r = await rig('http2MaxRequests: 100');
    try {
      const s = h2Session(r.sidecar.url);
      const calls: Array<Promise<{ status: number }>> = [h2Request(s, '/a')];
      await waitFor(() => r.up.held() === 1, 'the first stream upstream');
      calls.push(h2Request(s, '/b'), get(`${r.sidecar.url}/c`));
      await waitFor(() => r.up.held() === 3, 'three streams upstream');
      expect(r.sidecar.stat('upstream_rq_active')).toBe(3);
      r.up.release();
      const rs = await Promise.all(calls);
      expect(rs.map((x) => x.status)).toEqual([200, 200, 200]);
      expect(r.up.sessions()).toBe(1);
      expect(r.sidecar.stat('upstream_cx_http2_total')).toBe(1);
      expect(r.sidecar.stat('upstream_cx_http1_total')).toBe(0);
      expect(r.sidecar.stat('upstream_rq_total')).toBe(3);
      // Only the first stream waited (for the connection being set up); the others found a free stream.
      expect(r.sidecar.stat('upstream_rq_pending_total')).toBe(1);
      s.close();
    } finally {
      await r.close();
    }
  });

  it('maxConcurrentStreams: 1 opens a connection per concurrent stream (Istio >= 1.21)', async () => {
    const r = await rig('maxConcurrentStreams: 1');
    try {
      const s = h2Session(r.sidecar.url);
      const calls = [h2Request(s, '/a'), h2Request(s, '/b')];
      await waitFor(() => r.up.held() === 2, 'two streams upstream');
      expect(r.up.sessions()).toBe(2);
      r.up.release();
      expect((await Promise.all(calls)).map((x) => x.status)).toEqual([200, 200]);
      expect(r.sidecar.stat('upstream_cx_http2_total')).toBe(2);
      s.close();
    } finally {
      await r.close();
    }
    // Istio 1.20 has no such field: one connection carries both.
    const old = await rig('maxConcurrentStreams: 1', { istio: '1.20' });
    try {
      const s = h2Session(old.sidecar.url);
      const calls = [h2Request(s, '/a'), h2Request(s, '/b')];
      await waitFor(() => old.up.held() === 2, 'two streams upstream');
      expect(old.up.sessions()).toBe(1);
      old.up.release();
      await Promise.all(calls);
      s.close();
    } finally {
      await old.close();
    }
  });

  it('maxRequestsPerConnection drains a connection after N streams', async () => {
    const r = await rig('maxRequestsPerConnection: 2', { hold: false });
    try {
      const s = h2Session(r.sidecar.url);
      for (let i = 0; i < 4; i++) expect((await h2Request(s, `/${i}`)).status).toBe(200);
      expect(r.up.sessions()).toBe(2);
      expect(r.sidecar.stat('upstream_cx_max_requests')).toBe(2);
      expect(r.sidecar.stat('upstream_cx_http2_total')).toBe(2);
      s.close();
    } finally {
      await r.close();
    }
  });

  for (const [istio, counter, absent] of [
    ['1.30', 'upstream_rq_active_overflow', 'upstream_rq_pending_overflow'],
    ['1.29', 'upstream_rq_pending_overflow', 'upstream_rq_active_overflow'],
  ] as const) {
    it(`http2MaxRequests: 1 rejects the second concurrent stream at attach: ${counter} (Istio ${istio})`, async () => {
      const r = await rig('http2MaxRequests: 1', { istio });
      try {
        const s = h2Session(r.sidecar.url);
        const first = h2Request(s, '/held');
        await waitFor(() => r.up.held() === 1, 'the first stream upstream');
        const second = await h2Request(s, '/second');
        expect(second.status).toBe(503);
        expect(second.body).toBe(OVERFLOW_BODY);
        expect(second.headers['x-envoy-overloaded']).toBe('true');
        expect(r.sidecar.stat(counter)).toBe(1);
        expect(r.sidecar.stat(absent)).toBe(0);
        // The stream found a connection with room: it never waited as pending.
        expect(r.sidecar.stat('upstream_rq_pending_total')).toBe(1);
        r.up.release();
        expect((await first).status).toBe(200);
        s.close();
      } finally {
        await r.close();
      }
    });
  }

  describe('an upstream RST_STREAM before response headers (router.cc onUpstreamReset)', () => {
    const lastLog = async (log: AccessLogEntry[]): Promise<AccessLogEntry> => {
      // the access log is written when the stream is over, after the client has the answer
      await waitFor(() => log.length > 0, 'the access log line');
      return log.at(-1) as AccessLogEntry;
    };

    it('INTERNAL_ERROR: 503 UR "reset reason: remote reset", upstream_rq_rx_reset, not retried by Istio\'s default policy', async () => {
      const log: AccessLogEntry[] = [];
      const r = await rig('http2MaxRequests: 100', { resetWith: h2c.NGHTTP2_INTERNAL_ERROR, log });
      try {
        const s = h2Session(r.sidecar.url);
        const res = await h2Request(s, '/reset');
        expect(res.status).toBe(503);
        expect(res.body).toBe('upstream connect error or disconnect/reset before headers. reset reason: remote reset');
        const e = await lastLog(log);
        expect(e.flags).toBe('UR');
        expect(e.details).toBe('upstream_reset_before_response_started{remote_reset}');
        expect(r.up.streams()).toBe(1);
        expect(r.sidecar.stat('upstream_rq_rx_reset')).toBe(1);
        expect(r.sidecar.stat('upstream_rq_tx_reset')).toBe(0);
        expect(r.sidecar.stat('upstream_rq_pending_failure_eject')).toBe(0);
        expect(r.sidecar.stat('upstream_rq_503')).toBe(1);
        // A stream reset leaves the connection up: the next request reuses it.
        expect((await h2Request(s, '/again')).status).toBe(503);
        expect(r.up.sessions()).toBe(1);
        expect(r.sidecar.stat('upstream_cx_destroy')).toBe(0);
        expect(r.sidecar.stat('upstream_rq_active')).toBe(0);
        s.close();
      } finally {
        await r.close();
      }
    });

    it('REFUSED_STREAM: retried (refused-stream is in Istio\'s default retry_on), then 503 UR,URX "remote refused stream reset"; no rx_reset', async () => {
      const log: AccessLogEntry[] = [];
      const r = await rig('http2MaxRequests: 100', { resetWith: h2c.NGHTTP2_REFUSED_STREAM, log });
      try {
        const s = h2Session(r.sidecar.url);
        const res = await h2Request(s, '/refused');
        expect(res.status).toBe(503);
        expect(res.body).toBe('upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote refused stream reset');
        const e = await lastLog(log);
        expect(e.flags).toBe('UR,URX');
        expect(e.details).toBe('upstream_reset_before_response_started{remote_refused_stream_reset}');
        // Istio's default: 2 retries, so 3 attempts reach the upstream
        expect(r.up.streams()).toBe(3);
        expect(r.sidecar.stat('upstream_rq_retry')).toBe(2);
        expect(r.sidecar.stat('upstream_rq_rx_reset')).toBe(0);
        expect(r.sidecar.stat('upstream_rq_pending_failure_eject')).toBe(0);
        s.close();
      } finally {
        await r.close();
      }
    });

    it('the upstream connection dropped under an active stream: 503 UC "connection termination", upstream_rq_pending_failure_eject', async () => {
      const log: AccessLogEntry[] = [];
      const r = await rig('http2MaxRequests: 100', { log });
      try {
        const s = h2Session(r.sidecar.url);
        const call = h2Request(s, '/held');
        await waitFor(() => r.up.held() === 1, 'the stream upstream');
        r.up.dropSessions();
        const res = await call;
        expect(res.status).toBe(503);
        expect(res.body).toBe('upstream connect error or disconnect/reset before headers. reset reason: connection termination');
        expect((await lastLog(log)).flags).toBe('UC');
        expect(r.sidecar.stat('upstream_rq_pending_failure_eject')).toBe(1);
        expect(r.sidecar.stat('upstream_rq_rx_reset')).toBe(0);
        expect(r.sidecar.stat('upstream_cx_destroy_remote_with_active_rq')).toBe(1);
        s.close();
      } finally {
        await r.close();
      }
    });
  });

  describe('TLS origination to an HTTP/2 upstream (DestinationRule tls SIMPLE, h2 by ALPN)', () => {
    const SNI = 'httpbin.default.svc.cluster.local';
    const certs = makeRehearsalCerts([SNI]);
    const tlsRig = async (caPem: string | undefined): Promise<{ up: H2Upstream; sidecar: SidecarHandle; log: AccessLogEntry[]; close(): Promise<void> }> => {
      const up = await startH2Upstream({ tls: { key: certs.keyPem, cert: certs.certPem } });
      const config = sidecarConfigFromYaml(
        [
          { text: destinationRule(`tls:\n  mode: SIMPLE\n  sni: ${SNI}\nconnectionPool:\n  http:\n    http2MaxRequests: 100`), file: 'dr.yaml' },
          { text: HTTP2_SERVICE, file: 'svc.yaml' },
        ],
        { istioVersion: parseIstioVersion('1.30')!, servicePort: 8000 },
      );
      expect(config.tlsOrigination).toEqual({ sni: SNI });
      expect(config.cluster.http2).toBe(true);
      const log: AccessLogEntry[] = [];
      const sidecar = await startSidecar({
        config,
        upstreams: [`127.0.0.1:${up.port}`],
        admin: false,
        concurrency: 1,
        hopLatencyMs: 0,
        onAccessLog: (e) => log.push(e),
        ...(caPem !== undefined ? { upstreamCaPem: caPem } : {}),
      });
      return { up, sidecar, log, close: async () => (await sidecar.close(), await up.close()) };
    };

    it('multiplexes streams over one TLS connection: SNI from the DestinationRule, ALPN h2, ssl.handshake once', async () => {
      const r = await tlsRig(certs.caPem);
      try {
        const s = h2Session(r.sidecar.url);
        const rs = await Promise.all([h2Request(s, '/a'), h2Request(s, '/b'), get(`${r.sidecar.url}/c`)]);
        expect(rs.map((x) => x.status)).toEqual([200, 200, 200]);
        expect(r.up.tlsConnections()).toEqual([{ servername: SNI, alpn: 'h2' }]);
        expect(r.up.sessions()).toBe(1);
        expect(r.sidecar.stat('ssl.handshake')).toBe(1);
        expect(r.sidecar.stat('upstream_cx_http2_total')).toBe(1);
        expect(r.sidecar.stat('upstream_rq_200')).toBe(3);
        s.close();
      } finally {
        await r.close();
      }
    });

    it('an upstream certificate the sidecar does not trust fails the connect: 503 UF, no handshake counted', async () => {
      const other = makeRehearsalCerts([SNI]);
      const r = await tlsRig(other.caPem);
      try {
        const res = await get(`${r.sidecar.url}/get`);
        expect(res.status).toBe(503);
        await waitFor(() => r.log.length > 0, 'the access log line');
        expect(r.log[0]!.flags).toContain('UF');
        expect(r.sidecar.stat('ssl.handshake')).toBe(0);
        expect(r.sidecar.stat('upstream_cx_connect_fail')).toBeGreaterThan(0);
        expect(r.up.streams()).toBe(0);
      } finally {
        await r.close();
      }
    });
  });
});
