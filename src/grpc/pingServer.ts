/**
 * fortio's gRPC ping server (fgrpc/pingsrv.go): `fgrpc.PingServer/Ping` echoes the message with
 * `ts` set to the server's receive time (Unix ns) after sleeping `delayNanos`, and the standard
 * `grpc.health.v1.Health/Check` answers SERVING for "" and the health service name ("ping"),
 * NOT_SERVING for "<name>_down", and NOT_FOUND for any other service (Go's health.Server).
 * Messages are encoded by messages.ts (fortio's ping.proto and grpc.health.v1 types).
 */
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { decodeHealthRequest, decodePing, encodeHealthResponse, encodePing, type PingMessageValue } from './messages.js';

export { decodeHealthRequest, decodeHealthResponse, decodePing, encodeHealthRequest, encodeHealthResponse, encodePing, SERVING_STATUS_NAMES, type PingMessageValue } from './messages.js';

export const DEFAULT_HEALTH_SERVICE_NAME = 'ping';
export const DEFAULT_GRPC_PORT = '8079';

const id = (b: Buffer): Buffer => b;

/** A unary method whose messages stay raw bytes: protobufjs encodes and decodes them in the handlers. */
function unaryBytes(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return { path, requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id };
}

export const PING_SERVICE: grpc.ServiceDefinition = { Ping: unaryBytes('/fgrpc.PingServer/Ping') };

export const HEALTH_SERVICE: grpc.ServiceDefinition = { Check: unaryBytes('/grpc.health.v1.Health/Check') };

export interface GrpcServerHandle {
  port: number;
  close: () => Promise<void>;
}

/** TLS for the gRPC port (PEM text): with `ca`, client certificates are required and verified against it (mTLS). */
export interface PingServerTls {
  cert: string;
  key: string;
  ca?: string | undefined;
}

function serverCredentials(tls: PingServerTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.ca !== undefined && tls.ca !== '' ? Buffer.from(tls.ca) : null;
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], ca !== null);
}

/** Starts the ping + health server on host:port ("0" for any free port); plaintext (h2c) unless `tls` is given. */
export async function startPingServer(
  host: string,
  port: string,
  healthServiceName = DEFAULT_HEALTH_SERVICE_NAME,
  opts: { tls?: PingServerTls | undefined } = {},
): Promise<GrpcServerHandle> {
  const name = healthServiceName === '' ? DEFAULT_HEALTH_SERVICE_NAME : healthServiceName;
  const server = new grpc.Server();
  server.addService(PING_SERVICE, {
    Ping: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      let m: PingMessageValue;
      try {
        m = decodePing(call.request);
      } catch (e) {
        cb({ code: grpc.status.INTERNAL, details: `bad PingMessage: ${(e as Error).message}` });
        return;
      }
      // Unix ns with sub-ms digits (Date.now() has ms only): grpcping's server-side round trip is a difference of two of these
      const out = encodePing({ ...m, ts: BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)) });
      if (m.delayNanos > 0n) setTimeout(() => cb(null, out), Number(m.delayNanos / 1_000_000n));
      else cb(null, out);
    },
  });
  const statuses = new Map<string, number>([['', 1], [name, 1], [`${name}_down`, 2]]);
  server.addService(HEALTH_SERVICE, {
    Check: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const s = statuses.get(decodeHealthRequest(call.request));
      if (s === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      else cb(null, encodeHealthResponse(s));
    },
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, serverCredentials(opts.tls), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
