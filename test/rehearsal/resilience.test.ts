/**
 * Outlier detection, route timeout, fault injection and retries through real sockets
 * (envoy-circuit-breaking.md §2.4, §2.8, §4, §5.2–5.4).
 */
import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { destinationRule, virtualService } from '../helpers/meshFixtures.js';
import { waitFor } from '../helpers/waitFor.js';
import { closedPort, get, startResettingServer, startRig, startScriptedServer } from '../helpers/rehearsalServers.js';

const od = (extra: string): string =>
  destinationRule(`loadBalancer:\n  simple: ROUND_ROBIN\noutlierDetection:\n  interval: 50ms\n  baseEjectionTime: 400ms\n  maxEjectionPercent: 100\n${extra}`);

describe('outlier detection', () => {
  it('five consecutive 5xx eject an endpoint for baseEjectionTime; the sweep brings it back', async () => {
    const bad = await startScriptedServer([500]);
    // 2 s: long enough that the calls below all see the ejection however slowly a busy machine makes them
    const dr = od('  consecutive5xxErrors: 5').replace('baseEjectionTime: 400ms', 'baseEjectionTime: 2s');
    const rig = await startRig({ dr, istioVersion: 'current', concurrency: 1, upstreams: [`127.0.0.1:${bad.port}`] });
    try {
      const t0 = performance.now(); // the ejection comes after this
      const codes: number[] = [];
      for (let i = 0; i < 10; i++) codes.push((await get(`${rig.sidecar.url}/get`)).status);
      expect(codes.filter((c) => c === 500)).toHaveLength(5);
      expect(bad.requests()).toBe(5);
      for (let i = 0; i < 6; i++) expect((await get(`${rig.sidecar.url}/get`)).status).toBe(200);
      expect(bad.requests()).toBe(5);
      const s = rig.sidecar.stat;
      expect(s('outlier_detection.ejections_enforced_consecutive_5xx')).toBe(1);
      expect(s('outlier_detection.ejections_active')).toBe(1);
      expect(s('membership_healthy')).toBe(1);
      // the sweep after base ejection time brings it back
      await waitFor(() => s('outlier_detection.ejections_active') === 0, 'the ejection to end');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(2000);
      for (let i = 0; i < 4; i++) await get(`${rig.sidecar.url}/get`);
      expect(bad.requests()).toBeGreaterThan(5);
    } finally {
      await rig.close();
      await bad.close();
    }
  });

  it('maxEjectionPercent caps ejections', async () => {
    const bads = await Promise.all([startScriptedServer([500]), startScriptedServer([500]), startScriptedServer([500])]);
    const rig = await startRig({
      dr: od('  consecutive5xxErrors: 1').replace('maxEjectionPercent: 100', 'maxEjectionPercent: 34'),
      istioVersion: 'current',
      concurrency: 1,
      onlyUpstreams: bads.map((b) => `127.0.0.1:${b.port}`),
    });
    try {
      for (let i = 0; i < 6; i++) expect((await get(`${rig.sidecar.url}/get`)).status).toBe(500);
      expect(rig.sidecar.stat('outlier_detection.ejections_active')).toBe(1);
      expect(rig.sidecar.stat('outlier_detection.ejections_overflow')).toBeGreaterThanOrEqual(1);
    } finally {
      await rig.close();
      await Promise.all(bads.map((b) => b.close()));
    }
  });

  // Istio 1.3.0 cluster.go 886–890 (envoy-circuit-breaking.md §8.2): with outlierDetection set,
  // pilot always writes healthy_panic_threshold = minHealthPercent (0 = panic off); 1.1–1.2 left
  // Envoy's 50 %.
  it.each(['current', '1.4', '1.3'])('Istio %s: all endpoints ejected → 503 no healthy upstream (panic off)', async (istioVersion) => {
    const bad = await startScriptedServer([500]);
    const dr = od('  consecutive5xxErrors: 1').replace('400ms', '10s');
    const cur = await startRig({ dr, istioVersion, onlyUpstreams: [`127.0.0.1:${bad.port}`] });
    try {
      expect((await get(`${cur.sidecar.url}/get`)).status).toBe(500);
      const r = await get(`${cur.sidecar.url}/get`);
      expect(r.status).toBe(503);
      expect(r.body).toBe('no healthy upstream');
      expect(cur.sidecar.stat('upstream_cx_none_healthy')).toBe(1);
    } finally {
      await cur.close();
      await bad.close();
    }
  });

  it('Istio 1.2 keeps Envoy’s 50 % panic threshold: an ejected single host keeps serving', async () => {
    const bad = await startScriptedServer([500]);
    const dr = od('  consecutive5xxErrors: 1').replace('400ms', '10s');
    const old = await startRig({ dr, istioVersion: '1.2', onlyUpstreams: [`127.0.0.1:${bad.port}`] });
    try {
      expect((await get(`${old.sidecar.url}/get`)).status).toBe(500);
      expect((await get(`${old.sidecar.url}/get`)).status).toBe(500);
      expect(old.sidecar.stat('lb_healthy_panic')).toBeGreaterThanOrEqual(1);
    } finally {
      await old.close();
      await bad.close();
    }
  });
});

describe('route timeout and faults', () => {
  it('a 3 s route timeout on /delay/5 answers 504 upstream request timeout after about 3 s', async () => {
    const rig = await startRig({ vs: virtualService('timeout: 3s') });
    try {
      const r = await get(`${rig.sidecar.url}/delay/5`);
      expect(r.status).toBe(504);
      expect(r.body).toBe('upstream request timeout');
      expect(r.ms).toBeGreaterThanOrEqual(2990);
      expect(r.ms).toBeLessThan(4500); // cut near 3 s, well before the 5 s answer
      expect(rig.sidecar.stat('upstream_rq_timeout')).toBe(1);
      expect(rig.sidecar.stat('upstream_rq_504')).toBe(1);
    } finally {
      await rig.close();
    }
  }, 60_000);

  it('fault abort 50 % gives about 50 % of the code, with Envoy’s body', async () => {
    const rig = await startRig({ vs: virtualService('fault:\n  abort:\n    httpStatus: 418\n    percentage:\n      value: 50'), statsInclusionPrefixes: ['*'] });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      let aborted = 0;
      for (let i = 0; i < 200; i++) {
        const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          request(`${rig.sidecar.url}/get`, { agent }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          })
            .on('error', reject)
            .end();
        });
        if (r.status === 418) {
          aborted++;
          expect(r.body).toBe('fault filter abort');
        }
      }
      expect(aborted).toBeGreaterThan(70);
      expect(aborted).toBeLessThan(130);
      expect(rig.target.requests()).toBe(200 - aborted);
      expect(rig.sidecar.store.get('http.outbound_0.0.0.0_8000.fault.aborts_injected')).toBe(aborted);
    } finally {
      agent.destroy();
      await rig.close();
    }
  });

  it('fault delay holds the request before the router, outside the route timeout', async () => {
    const rig = await startRig({ vs: virtualService('timeout: 100ms\nfault:\n  delay:\n    fixedDelay: 250ms\n    percentage:\n      value: 100') });
    try {
      const r = await get(`${rig.sidecar.url}/get`);
      expect(r.status).toBe(200);
      expect(r.ms).toBeGreaterThanOrEqual(245);
    } finally {
      await rig.close();
    }
  });
});

describe('retries and local failures', () => {
  // Envoy source/common/http/utility.cc local reply text (envoy-circuit-breaking.md §8.9): the
  // "retried and the latest" form from Envoy 1.22 (8a1d8a74); the socket's transport failure
  // reason "delayed connect error: 111" from 1.20 (envoyproxy/envoy#17766; the body carries it
  // since #12321); "remote connection failure" from 1.27 (2bba781a); the errno as text from 1.32
  // (#35154).
  const PREFIX = 'upstream connect error or disconnect/reset before headers. ';
  it.each([
    ['1.4', 'reset reason: connection failure'],
    ['1.11', 'reset reason: connection failure'],
    ['1.12', 'reset reason: connection failure, transport failure reason: delayed connect error: 111'],
    ['1.18', 'retried and the latest reset reason: connection failure, transport failure reason: delayed connect error: 111'],
    ['1.20', 'retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: 111'],
    ['1.23', 'retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: 111'],
    ['1.24', 'retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused'],
    ['current', 'retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused'],
  ])('connect failure at Istio %s: 503 "%s", retried by Istio’s default policy', async (istioVersion, tail) => {
    const port = await closedPort();
    const rig = await startRig({ istioVersion, onlyUpstreams: [`127.0.0.1:${port}`] });
    try {
      const r = await get(`${rig.sidecar.url}/get`);
      expect(r.status).toBe(503);
      expect(r.body).toBe(PREFIX + tail);
      expect(rig.sidecar.stat('upstream_rq_retry')).toBe(2);
      expect(rig.sidecar.stat('upstream_cx_connect_fail')).toBe(3);
      expect(rig.sidecar.stat('upstream_rq_pending_failure_eject')).toBe(3);
    } finally {
      await rig.close();
    }
  });

  it('upstream reset before headers: 503 connection termination', async () => {
    const srv = await startResettingServer();
    const rig = await startRig({ vs: virtualService('retries:\n  attempts: 0'), onlyUpstreams: [`127.0.0.1:${srv.port}`] });
    try {
      const r = await get(`${rig.sidecar.url}/get`);
      expect(r.status).toBe(503);
      expect(r.body).toBe('upstream connect error or disconnect/reset before headers. reset reason: connection termination');
      expect(rig.sidecar.stat('upstream_rq_retry')).toBe(0);
      // Envoy's HTTP/1.1 pool counts the connection, not a stream reset (that is HTTP/2's, h2Pool.test.ts)
      expect(rig.sidecar.stat('upstream_cx_destroy_remote_with_active_rq')).toBe(1);
      expect(rig.sidecar.stat('upstream_cx_destroy_with_active_rq')).toBe(1);
      expect(rig.sidecar.stat('upstream_rq_rx_reset')).toBe(0);
      expect(rig.sidecar.stat('upstream_rq_tx_reset')).toBe(0);
    } finally {
      await rig.close();
      await srv.close();
    }
  });

  it('retryOn 5xx retries an upstream 503 and returns the retried answer', async () => {
    const srv = await startScriptedServer([503, 200]);
    const rig = await startRig({ vs: virtualService('retries:\n  attempts: 2\n  retryOn: 5xx'), onlyUpstreams: [`127.0.0.1:${srv.port}`] });
    try {
      const r = await get(`${rig.sidecar.url}/get`);
      expect(r.status).toBe(200);
      const s = rig.sidecar.stat;
      expect(s('upstream_rq_retry')).toBe(1);
      expect(s('upstream_rq_retry_success')).toBe(1);
      expect(s('retry.upstream_rq_503')).toBe(1);
      expect(s('upstream_rq_200')).toBe(1);
    } finally {
      await rig.close();
      await srv.close();
    }
  });

  it('maxRetries bounds concurrent retries; the original answer goes back on retry overflow', async () => {
    const rig = await startRig({
      dr: destinationRule('connectionPool:\n  http:\n    maxRetries: 1'),
      vs: virtualService('retries:\n  attempts: 3\n  retryOn: 5xx'),
      istioVersion: 'current',
    });
    try {
      const rs = await Promise.all([1, 2, 3].map(() => get(`${rig.sidecar.url}/status/503?delay=200ms`)));
      expect(rs.map((r) => r.status)).toEqual([503, 503, 503]);
      for (const r of rs) expect(r.headers['x-envoy-overloaded']).toBeUndefined();
      expect(rig.sidecar.stat('upstream_rq_retry_overflow')).toBeGreaterThanOrEqual(2);
      expect(rig.sidecar.stat('upstream_rq_retry')).toBeGreaterThanOrEqual(1);
    } finally {
      await rig.close();
    }
  });
});
