/**
 * The sidecar's access log against Istio's default TEXT format (istio/istio
 * pilot/pkg/model/telemetry_logging.go EnvoyTextLogFormat, "for Istio 1.9 onwards"; before 1.9
 * without %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%) and Envoy's response flags
 * (source/common/stream_info/utility.cc short names, printed in enum order).
 */
import { describe, expect, it } from 'vitest';
import { formatAccessLog, formatTcpAccessLog } from '../../src/rehearsal/index.js';
import type { AccessLogEntry } from '../../src/rehearsal/index.js';
import { formatFlags } from '../../src/rehearsal/accessLog.js';
import { destinationRule, virtualService } from '../helpers/meshFixtures.js';
import { closedPort, get, startRig } from '../helpers/rehearsalServers.js';

const ENTRY: AccessLogEntry = {
  start: new Date('2026-12-06T12:17:11.640Z'),
  method: 'GET',
  path: '/headers',
  protocol: 'HTTP/1.1',
  status: 200,
  flags: '-',
  details: 'via_upstream',
  transportFailure: undefined,
  bytesReceived: 0,
  bytesSent: 599,
  durationMs: 214,
  upstreamServiceTimeMs: 213.6,
  forwardedFor: undefined,
  userAgent: 'curl/8.5.0',
  requestId: '17fde8f7-fa62-9b39-8999-302324e6def2',
  authority: 'httpbin.org',
  upstreamHost: '35.173.6.94:80',
  upstreamCluster: 'outbound|80||httpbin.org',
  upstreamLocalAddress: undefined,
  downstreamLocalAddress: '35.173.6.94:80',
  downstreamRemoteAddress: '172.30.109.82:55314',
  routeName: undefined,
  lane: 0,
  connection: 1,
};

describe("Istio's access-log line", () => {
  it('Istio 1.9+: with response code details, as the egress task shows it', () => {
    expect(formatAccessLog(ENTRY, 9)).toBe(
      '[2026-12-06T12:17:11.640Z] "GET /headers HTTP/1.1" 200 - via_upstream - "-" 0 599 214 214 "-" "curl/8.5.0" "17fde8f7-fa62-9b39-8999-302324e6def2" "httpbin.org" "35.173.6.94:80" outbound|80||httpbin.org - 35.173.6.94:80 172.30.109.82:55314 - -',
    );
  });

  it('Istio 1.8: the format before the details fields', () => {
    expect(formatAccessLog(ENTRY, 8)).toBe(
      '[2026-12-06T12:17:11.640Z] "GET /headers HTTP/1.1" 200 - "-" 0 599 214 214 "-" "curl/8.5.0" "17fde8f7-fa62-9b39-8999-302324e6def2" "httpbin.org" "35.173.6.94:80" outbound|80||httpbin.org - 35.173.6.94:80 172.30.109.82:55314 - -',
    );
  });

  it('a TCP proxy connection (TLS passthrough): the same format, "- - -" and code 0, the SNI as %REQUESTED_SERVER_NAME% (the egress task page’s line)', () => {
    const tcp = {
      start: new Date('2019-01-24T12:48:54.977Z'),
      durationMs: 1289,
      sni: 'www.google.com',
      cluster: 'outbound|443||www.google.com',
      upstreamHost: '172.217.161.36:443',
      upstreamLocalAddress: '172.30.109.82:59480',
      downstreamLocalAddress: '172.217.161.36:443',
      downstreamRemoteAddress: '172.30.109.82:59478',
      bytesReceived: 601,
      bytesSent: 17766,
      flags: '-',
    };
    expect(formatTcpAccessLog(tcp, 30)).toBe(
      '[2019-01-24T12:48:54.977Z] "- - -" 0 - - - "-" 601 17766 1289 - "-" "-" "-" "-" "172.217.161.36:443" outbound|443||www.google.com 172.30.109.82:59480 172.217.161.36:443 172.30.109.82:59478 www.google.com -',
    );
    expect(formatTcpAccessLog({ ...tcp, cluster: 'BlackHoleCluster', upstreamHost: undefined, upstreamLocalAddress: undefined, bytesSent: 0, flags: 'UH' }, 30)).toContain(
      ' "-" BlackHoleCluster - 172.217.161.36:443 172.30.109.82:59478 www.google.com -',
    );
  });

  it('flags print in Envoy’s order, comma-joined', () => {
    expect(formatFlags(new Set(['URX', 'UF']))).toBe('UF,URX');
    expect(formatFlags(new Set(['FI', 'DI']))).toBe('DI,FI');
    expect(formatFlags(new Set())).toBe('-');
  });
});

describe('flags and details through the sidecar', () => {
  const logged = async (o: Parameters<typeof startRig>[0], path = '/get', headers: Record<string, string> = {}): Promise<AccessLogEntry> => {
    const log: AccessLogEntry[] = [];
    const rig = await startRig({ ...o, onAccessLog: (e) => log.push(e) });
    try {
      await get(`${rig.sidecar.url}${path}`, headers);
      // The access log is written when the stream is over, after the client has the answer.
      while (log.length === 0) await new Promise((r) => setImmediate(r));
      return log[0] as AccessLogEntry;
    } finally {
      await rig.close();
    }
  };

  it('a proxied 200: via_upstream, the upstream host and the cluster', async () => {
    const e = await logged({}, '/get', { 'user-agent': 'curl/8.5.0' });
    expect(e).toMatchObject({ status: 200, flags: '-', details: 'via_upstream', upstreamCluster: 'outbound|8000||httpbin.default.svc.cluster.local', userAgent: 'curl/8.5.0', routeName: 'default' });
    expect(e.upstreamHost).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.upstreamServiceTimeMs).toBeGreaterThanOrEqual(0);
  });

  it('connect failure with retries exhausted: UF,URX and the transport failure reason (Istio 1.30 / Envoy 1.38)', async () => {
    const port = await closedPort();
    const e = await logged({ onlyUpstreams: [`127.0.0.1:${port}`] });
    expect(e.status).toBe(503);
    expect(e.flags).toBe('UF,URX');
    expect(e.details).toBe('upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}');
    expect(e.transportFailure).toBe('delayed connect error: Connection refused');
    expect(formatAccessLog(e)).toContain(' 503 UF,URX upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused} - "delayed connect error: Connection refused" ');
  });

  it('connect failure at Istio 1.4 (Envoy 1.13): UF,URX, no transport failure reason', async () => {
    const port = await closedPort();
    const e = await logged({ istioVersion: '1.4', onlyUpstreams: [`127.0.0.1:${port}`] });
    expect(e.flags).toBe('UF,URX');
    expect(e.details).toBe('upstream_reset_before_response_started{connection_failure}');
    expect(e.transportFailure).toBeUndefined();
  });

  it('fault delay then abort: DI,FI and fault_filter_abort; no upstream host', async () => {
    const e = await logged({ vs: virtualService('fault:\n  delay:\n    fixedDelay: 10ms\n    percentage:\n      value: 100\n  abort:\n    httpStatus: 500\n    percentage:\n      value: 100') });
    expect(e).toMatchObject({ status: 500, flags: 'DI,FI', details: 'fault_filter_abort', upstreamHost: undefined });
  });

  it('every endpoint ejected: UH no_healthy_upstream', async () => {
    const log: AccessLogEntry[] = [];
    const rig = await startRig({ dr: destinationRule('outlierDetection:\n  consecutive5xxErrors: 1\n  interval: 10s\n  baseEjectionTime: 10s\n  maxEjectionPercent: 100'), onAccessLog: (e) => log.push(e) });
    try {
      expect((await get(`${rig.sidecar.url}/status/500`)).status).toBe(500);
      expect((await get(`${rig.sidecar.url}/get`)).status).toBe(503);
      while (log.length < 2) await new Promise((r) => setImmediate(r));
      expect(log[1]).toMatchObject({ status: 503, flags: 'UH', details: 'no_healthy_upstream' });
    } finally {
      await rig.close();
    }
  });
});
