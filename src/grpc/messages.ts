/**
 * The messages of fortio's gRPC services, encoded with protobufjs from the types of fortio's
 * ping.proto (Apache-2.0, fortio authors) and grpc/health/v1/health.proto, declared inline:
 * the ping server and the gRPC client (load -grpc, grpcping) speak the same bytes.
 */
import protobuf from 'protobufjs';

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
