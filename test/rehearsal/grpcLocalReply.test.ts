/**
 * gRPC through the sidecar on real HTTP/2 framing (@grpc/grpc-js client, fortio's ping service
 * upstream): calls pass with their trailers, and a tripped call is Envoy's trailers-only local
 * reply: HTTP 200, grpc-status 14 (httpToGrpcStatus(503)), grpc-message = the overflow text.
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { decodePing, encodePing, startPingServer } from '../../src/grpc/pingServer.js';
import { httpToGrpcStatus, grpcMessageEncode } from '../../src/rehearsal/grpcLocalReply.js';
import { OVERFLOW_BODY, parseIstioVersion, sidecarConfigFromYaml, startSidecar } from '../../src/rehearsal/index.js';
import type { AccessLogEntry } from '../../src/rehearsal/index.js';
import { destinationRule } from '../helpers/meshFixtures.js';
import { h2Request, h2Session } from '../helpers/h2Servers.js';
import { get } from '../helpers/rehearsalServers.js';
import { waitFor } from '../helpers/waitFor.js';

const GRPC_SERVICE = `apiVersion: v1
kind: Service
metadata: { name: httpbin }
spec:
  ports:
  - { name: grpc, port: 8079 }
`;

const id = (b: Buffer): Buffer => b;

function ping(client: grpc.Client, delayMs: number): Promise<{ err: grpc.ServiceError | null; seq: bigint }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest('/fgrpc.PingServer/Ping', id, id, encodePing({ seq: 7n, delayNanos: BigInt(delayMs) * 1_000_000n }), (err, res) => {
      resolve({ err, seq: res ? decodePing(res).seq : -1n });
    });
  });
}

describe('gRPC local replies', () => {
  it('maps HTTP codes as Envoy does and percent-encodes only what a header cannot carry', () => {
    expect([503, 504, 502, 429, 404, 400, 401, 403, 500].map(httpToGrpcStatus)).toEqual([14, 14, 14, 14, 12, 13, 16, 7, 2]);
    expect(grpcMessageEncode(OVERFLOW_BODY)).toBe(OVERFLOW_BODY);
    expect(grpcMessageEncode('50% é\n')).toBe('50%25 %C3%A9%0A');
  });

  it('a call over http2MaxRequests comes back as HTTP 200 + grpc-status 14, trailers-only, across real HTTP/2 framing', async () => {
    const up = await startPingServer('127.0.0.1', '0');
    const version = parseIstioVersion('1.30');
    if (!version) throw new Error('bad version');
    const config = sidecarConfigFromYaml(
      [
        { text: destinationRule('connectionPool:\n  http:\n    http2MaxRequests: 1'), file: 'dr.yaml' },
        { text: GRPC_SERVICE, file: 'svc.yaml' },
      ],
      { istioVersion: version, servicePort: 8079 },
    );
    expect(config.servicePortProtocol).toBe('grpc');
    expect(config.cluster.http2).toBe(true);
    const logs: AccessLogEntry[] = [];
    const sidecar = await startSidecar({ config, upstreams: [`127.0.0.1:${up.port}`], admin: false, concurrency: 1, seed: 5, onAccessLog: (e) => logs.push(e) });
    const client = new grpc.Client(sidecar.url.replace('http://', ''), grpc.credentials.createInsecure());
    try {
      const ok = await ping(client, 0);
      expect(ok.err).toBeNull();
      expect(ok.seq).toBe(7n);
      const held = ping(client, 2000);
      await waitFor(() => sidecar.stat('upstream_rq_active') === 1, 'the held call upstream');
      const tripped = await ping(client, 0);
      expect(tripped.err?.code).toBe(grpc.status.UNAVAILABLE);
      expect(tripped.err?.details).toBe(OVERFLOW_BODY);
      expect(tripped.err?.metadata.get('x-envoy-overloaded')).toEqual(['true']);
      // The same answer as bytes on the wire: one HEADERS frame with END_STREAM.
      const s = h2Session(sidecar.url);
      const raw = await h2Request(s, '/fgrpc.PingServer/Ping', { 'content-type': 'application/grpc', te: 'trailers' }, Buffer.from([0, 0, 0, 0, 0]));
      s.close();
      expect(raw.status).toBe(200);
      expect(raw.endOnHeaders).toBe(true);
      expect(raw.headers['content-type']).toBe('application/grpc');
      expect(raw.headers['grpc-status']).toBe('14');
      expect(raw.headers['grpc-message']).toBe(OVERFLOW_BODY);
      expect(raw.headers['content-length']).toBeUndefined();
      expect(raw.body).toBe('');
      // An HTTP/1.1 request that says it is gRPC gets the same form (Envoy decides by content-type).
      const h1 = await get(`${sidecar.url}/fgrpc.PingServer/Ping`, { 'content-type': 'application/grpc' });
      expect(h1.status).toBe(200);
      expect(h1.headers['grpc-status']).toBe('14');
      expect(h1.headers['content-length']).toBe('0');
      expect(sidecar.stat('upstream_rq_active_overflow')).toBe(3);
      expect((await held).err).toBeNull();
      await waitFor(() => logs.length === 5, 'five access log lines');
      const trippedLogs = logs.filter((l) => l.flags === 'UO');
      expect(trippedLogs.map((l) => [l.status, l.protocol, l.details])).toEqual([
        [200, 'HTTP/2', 'upstream_reset_before_response_started{overflow}'],
        [200, 'HTTP/2', 'upstream_reset_before_response_started{overflow}'],
        [200, 'HTTP/1.1', 'upstream_reset_before_response_started{overflow}'],
      ]);
    } finally {
      client.close();
      await sidecar.close();
      await up.close();
    }
  });
});
