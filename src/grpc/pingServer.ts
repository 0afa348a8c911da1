/**
 * fortio's gRPC ping server (fgrpc/pingsrv.go): `fgrpc.PingServer/Ping` echoes the message with
 * `ts` set to the server's receive time (Unix ns) after sleeping `delayNanos`, and the standard
 * `grpc.health.v1.Health/Check` answers SERVING for "" and the health service name ("ping"),
 * NOT_SERVING for "<name>_down", and NOT_FOUND for any other service (Go's health.Server).
 * Messages are encoded with protobufjs from the types of fortio's ping.proto (Apache-2.0,
 * fortio authors) and grpc/health/v1/health.proto, declared inline below.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export const DEFAULT_HEALTH_SERVICE_NAME = 'ping';
export const DEFAULT_GRPC_PORT = '8079';

const root = protobuf.Root.fromJSON({
  nested: {
    fgrpc: {
      nested: {
        PingMessage: {
          fields: {
            seq: { type: 'int64', id: 1 },
            ts: { type: 'int64', id: 2 },
            payload: { type: 'string', id: 3 },
            delayNanos: { type: 'int64', id: 4 },
          },
        },
      },
    },
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: { fields: { status: { type: 'int32', id: 1 } } },
              },
            },
          },
        },
      },
    },
  },
});

const PingMessage = root.lookupType('fgrpc.PingMessage');
const HealthCheckRequest = root.lookupType('grpc.health.v1.HealthCheckRequest');
const HealthCheckResponse = root.lookupType('grpc.health.v1.HealthCheckResponse');

/** fortio's PingMessage, 64-bit fields as bigint */
export interface PingMessageValue {
  seq: bigint;
  ts: bigint;
  payload: string;
  delayNanos: bigint;
}

/** grpc.health.v1 ServingStatus numbers and names */
export const SERVING_STATUS_NAMES: Readonly<Record<number, string>> = { 0: 'UNKNOWN', 1: 'SERVING', 2: 'NOT_SERVING', 3: 'SERVICE_UNKNOWN' };

const big = (v: unknown): bigint => (v === undefined || v === null ? 0n : BigInt(String(v)));

export function encodePing(m: Partial<PingMessageValue>): Buffer {
  const o = {
    seq: (m.seq ?? 0n).toString(),
    ts: (m.ts ?? 0n).toString(),
    payload: m.payload ?? '',
    delayNanos: (m.delayNanos ?? 0n).toString(),
  };
  return Buffer.from(PingMessage.encode(PingMessage.fromObject(o)).finish());
}

export function decodePing(b: Buffer): PingMessageValue {
  const o = PingMessage.toObject(PingMessage.decode(b), { longs: String }) as Record<string, unknown>;
  return { seq: big(o['seq']), ts: big(o['ts']), payload: typeof o['payload'] === 'string' ? o['payload'] : '', delayNanos: big(o['delayNanos']) };
}

export function encodeHealthRequest(service: string): Buffer {
  return Buffer.from(HealthCheckRequest.encode(HealthCheckRequest.fromObject({ service })).finish());
}
export function decodeHealthRequest(b: Buffer): string {
  const o = HealthCheckRequest.toObject(HealthCheckRequest.decode(b)) as Record<string, unknown>;
  return typeof o['service'] === 'string' ? o['service'] : '';
}
export function encodeHealthResponse(status: number): Buffer {
  return Buffer.from(HealthCheckResponse.encode(HealthCheckResponse.fromObject({ status })).finish());
}
export function decodeHealthResponse(b: Buffer): number {
  const o = HealthCheckResponse.toObject(HealthCheckResponse.decode(b)) as Record<string, unknown>;
  return typeof o['status'] === 'number' ? o['status'] : 0;
}

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

/** Starts the ping + health server on host:port ("0" for any free port). */
export async function startPingServer(host: string, port: string, healthServiceName = DEFAULT_HEALTH_SERVICE_NAME): Promise<GrpcServerHandle> {
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
      const out = encodePing({ ...m, ts: BigInt(Date.now()) * 1_000_000n });
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
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
