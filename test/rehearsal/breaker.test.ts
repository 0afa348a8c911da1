/**
 * Circuit-breaker semantics through real sockets (envoy-circuit-breaking.md §2.2–2.5).
 */
import { describe, expect, it } from 'vitest';
import { formatAccessLog, OVERFLOW_BODY } from '../../src/rehearsal/index.js';
import type { AccessLogEntry } from '../../src/rehearsal/index.js';
import { TASK_POOL_DR, destinationRule } from '../helpers/meshFixtures.js';
import { get, startRig } from '../helpers/rehearsalServers.js';
import { waitFor } from '../helpers/waitFor.js';
import { code, tripbenchLoad } from '../helpers/tripbenchLoad.js';

describe('connection pool and breakers', () => {
  it('one pending slot and maxRequestsPerConnection: 1 make every request wait for a connect', async () => {
    const rig = await startRig({
      dr: TASK_POOL_DR,
      concurrency: 1,
    });
    try {
      const r = await tripbenchLoad(`${rig.sidecar.url}/get`, 1, 10);
      expect(code(r.codes, 200)).toBe(10);
      expect(r.sockets).toBe(1); // downstream keep-alive is untouched by the upstream limit
      const s = rig.sidecar.stat;
      expect(s('upstream_rq_pending_total')).toBe(10);
      expect(s('upstream_cx_total')).toBe(10);
      expect(s('upstream_cx_max_requests')).toBe(10);
      expect(rig.target.connections()).toBe(10);
      expect(s('upstream_rq_pending_overflow')).toBe(0);
    } finally {
      await rig.close();
    }
  });

  it('two workers may each open a connection past maxConnections: 1, counted in upstream_cx_overflow', async () => {
    const dr = destinationRule('connectionPool:\n  tcp:\n    maxConnections: 1');
    const two = await startRig({ dr, concurrency: 2, workerAssignment: 'round-robin' });
    try {
      let answered = 0;
      const calls = [0, 1].map(() => get(`${two.sidecar.url}/get?delay=1500ms`).finally(() => answered++));
      // in parallel, one upstream connection per worker: both reach the target before either answers
      await waitFor(() => two.target.requests() === 2 || answered > 0, 'both requests upstream');
      expect(answered).toBe(0);
      const rs = await Promise.all(calls);
      expect(rs.map((r) => r.status)).toEqual([200, 200]);
      expect(two.target.connections()).toBe(2);
      expect(two.sidecar.stat('upstream_cx_overflow')).toBeGreaterThanOrEqual(1);
    } finally {
      await two.close();
    }
    const one = await startRig({ dr, concurrency: 1 });
    try {
      const t0 = performance.now();
      const rs = await Promise.all([get(`${one.sidecar.url}/get?delay=300ms`), get(`${one.sidecar.url}/get?delay=300ms`)]);
      expect(rs.map((r) => r.status)).toEqual([200, 200]);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(590); // one worker: the second waits pending
      expect(one.target.connections()).toBe(1);
      expect(one.sidecar.stat('upstream_cx_overflow')).toBeGreaterThanOrEqual(1);
    } finally {
      await one.close();
    }
  });

  it('pending overflow answers 503, x-envoy-overloaded: true and the 81-byte body, at once', async () => {
    const log: AccessLogEntry[] = [];
    const rig = await startRig({
      dr: destinationRule('connectionPool:\n  tcp:\n    maxConnections: 1\n  http:\n    http1MaxPendingRequests: 1'),
      concurrency: 1,
      onAccessLog: (e) => log.push(e),
    });
    try {
      let firstDone = false;
      const first = get(`${rig.sidecar.url}/get?delay=2s`).finally(() => (firstDone = true));
      await waitFor(() => rig.target.requests() === 1, 'the first request on the only connection');
      const second = get(`${rig.sidecar.url}/get?delay=10ms`); // takes the pending slot
      await waitFor(() => rig.sidecar.stat('upstream_rq_pending_total') === 2, 'the second request pending');
      const third = await get(`${rig.sidecar.url}/get`);
      expect(third.status).toBe(503);
      expect(third.headers['x-envoy-overloaded']).toBe('true');
      expect(third.headers['content-type']).toBe('text/plain');
      expect(third.headers.server).toBe('envoy');
      expect(third.body).toBe(OVERFLOW_BODY);
      expect(Buffer.byteLength(third.body)).toBe(81);
      expect(firstDone).toBe(false); // answered at once, not when the connection frees up
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      expect(rig.sidecar.stat('upstream_rq_pending_overflow')).toBe(1);
      expect(rig.sidecar.stat('upstream_rq_pending_total')).toBe(2);
      expect(rig.sidecar.stat('upstream_rq_503')).toBe(1);
      const uo = log.find((e) => e.flags === 'UO');
      expect(uo).toMatchObject({ status: 503, bytesSent: 81, upstreamHost: undefined });
      // Istio's default access-log format (telemetry_logging.go EnvoyTextLogFormat): no upstream host for an overflow (§2.4).
      expect(formatAccessLog(uo as AccessLogEntry)).toMatch(
        /^\[[^\]]+\] "GET \/get HTTP\/1\.1" 503 UO upstream_reset_before_response_started\{overflow\} - "-" 0 81 \d+ - "-" "-" "[0-9a-f-]{36}" "127\.0\.0\.1:\d+" "-" outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local - 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ - default$/,
      );
      expect(uo?.connection).toBe(3);
      expect(log.filter((e) => e.status === 200).every((e) => e.upstreamHost === `127.0.0.1:${rig.target.address.port}`)).toBe(true);
    } finally {
      await rig.close();
    }
  });

  // Envoy PR #44164 (1.38, envoy-circuit-breaking.md §8.11): a max_requests overflow counts in
  // upstream_rq_active_overflow; Envoy 1.37 (Istio 1.29) still counts it as a pending overflow.
  it.each([
    ['1.29', 'upstream_rq_pending_overflow'],
    ['current', 'upstream_rq_active_overflow'],
  ])('http2MaxRequests rejects without queueing (Istio %s: counted in %s)', async (istioVersion, counter) => {
    const rig = await startRig({
      dr: destinationRule('connectionPool:\n  tcp:\n    maxConnections: 10\n  http:\n    http2MaxRequests: 2'),
      istioVersion,
      concurrency: 1,
    });
    try {
      let slowDone = 0;
      const slow = [0, 1].map(() => get(`${rig.sidecar.url}/get?delay=2s`).finally(() => slowDone++));
      await waitFor(() => rig.target.requests() === 2, 'both slow requests upstream');
      const fast = await Promise.all([get(`${rig.sidecar.url}/get`), get(`${rig.sidecar.url}/get`)]);
      expect(slowDone).toBe(0); // rejected when attached, not held until a request finishes
      for (const r of fast) {
        expect(r.status).toBe(503);
        expect(r.body).toBe(OVERFLOW_BODY);
      }
      expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
      expect(rig.sidecar.stat(counter)).toBe(2);
      const other = counter === 'upstream_rq_pending_overflow' ? 'upstream_rq_active_overflow' : 'upstream_rq_pending_overflow';
      expect(rig.sidecar.stat(other)).toBe(0);
    } finally {
      await rig.close();
    }
  });

  // Envoy 1.13 (Istio 1.4/1.5) HTTP/1.1 pools did not apply max_requests (unified pools, be8d4caf, 1.14).
  it('Istio 1.5: http2MaxRequests does not limit HTTP/1.1 requests', async () => {
    const rig = await startRig({
      dr: destinationRule('connectionPool:\n  tcp:\n    maxConnections: 10\n  http:\n    http2MaxRequests: 1'),
      istioVersion: '1.5',
      concurrency: 1,
    });
    try {
      const rs = await Promise.all([get(`${rig.sidecar.url}/get?delay=200ms`), get(`${rig.sidecar.url}/get?delay=200ms`)]);
      expect(rs.map((r) => r.status)).toEqual([200, 200]);
      expect(rig.sidecar.stat('upstream_rq_pending_overflow')).toBe(0);
    } finally {
      await rig.close();
    }
  });

  it('circuit-breaker gauges read 0 / full again after the load (as in the Istio task)', async () => {
    const rig = await startRig({
      dr: TASK_POOL_DR,
      istioVersion: 'current',
    });
    try {
      await tripbenchLoad(`${rig.sidecar.url}/get`, 3, 30);
      const g = (n: string): number | undefined => rig.sidecar.store.get(`${rig.sidecar.cluster.stats.prefix}${n}`);
      expect(g('circuit_breakers.default.rq_pending_open')).toBe(0);
      expect(g('circuit_breakers.default.remaining_pending')).toBe(1);
      expect(g('circuit_breakers.high.rq_pending_open')).toBe(0);
      expect(g('upstream_rq_pending_active')).toBe(0);
    } finally {
      await rig.close();
    }
  });
});
