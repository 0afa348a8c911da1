/**
 * The messages of fortio's gRPC services, from the types of fortio's ping.proto (Apache-2.0,
 * fortio authors) and grpc/health/v1/health.proto: the ping server and the gRPC client
 * (load -grpc, grpcping) speak the same bytes.
 *
 * Written as the static code `pbjs -t static` generates, on protobufjs/minimal's Reader and
 * Writer: the reflection build (Root.fromJSON, fromObject/toObject) cost ~35 ms of CPU at every
 * `load -grpc` start and an object conversion per call (docs/benchmarks.md, "gRPC"). proto3 wire
 * format as grpc-go writes it: fields at their default value are not sent.
 */
import pb from 'protobufjs/minimal.js';

/** fortio's PingMessage, 64-bit fields as bigint */
export interface PingMessageValue {
  seq: bigint;
  ts: bigint;
  payload: string;
  delayNanos: bigint;
}

/** grpc.health.v1 ServingStatus numbers and names */
export const SERVING_STATUS_NAMES: Readonly<Record<number, string>> = { 0: 'UNKNOWN', 1: 'SERVING', 2: 'NOT_SERVING', 3: 'SERVICE_UNKNOWN' };

/** Field tags: (field number << 3) | wire type (0 varint, 2 length-delimited). */
const TAG_1_VARINT = (1 << 3) | 0;
const TAG_2_VARINT = (2 << 3) | 0;
const TAG_1_BYTES = (1 << 3) | 2;
const TAG_3_BYTES = (3 << 3) | 2;
const TAG_4_VARINT = (4 << 3) | 0;

const toBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.length);

/** A 64-bit varint as Long (with the `long` package) or number, read back as a signed bigint. */
function int64(r: pb.Reader): bigint {
  const v = r.int64() as unknown;
  return typeof v === 'number' ? BigInt(v) : BigInt.asIntN(64, BigInt(String(v)));
}

export function encodePing(m: Partial<PingMessageValue>): Buffer {
  const w = pb.Writer.create();
  // Writer.int64 takes a decimal string for the full 64-bit range
  if (m.seq) w.uint32(TAG_1_VARINT).int64(m.seq.toString());
  if (m.ts) w.uint32(TAG_2_VARINT).int64(m.ts.toString());
  if (m.payload) w.uint32(TAG_3_BYTES).string(m.payload);
  if (m.delayNanos) w.uint32(TAG_4_VARINT).int64(m.delayNanos.toString());
  return toBuffer(w.finish());
}

export function decodePing(b: Buffer): PingMessageValue {
  const r = pb.Reader.create(b);
  const m: PingMessageValue = { seq: 0n, ts: 0n, payload: '', delayNanos: 0n };
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag) {
      case TAG_1_VARINT:
        m.seq = int64(r);
        break;
      case TAG_2_VARINT:
        m.ts = int64(r);
        break;
      case TAG_3_BYTES:
        m.payload = r.string();
        break;
      case TAG_4_VARINT:
        m.delayNanos = int64(r);
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return m;
}

/**
 * Checks a PingMessage's wire format without building it: what a load call needs of the reply
 * (a malformed one is grpc-go's unmarshal error), without the bigint conversions.
 */
export function checkPing(b: Buffer): void {
  const r = pb.Reader.create(b);
  while (r.pos < r.len) r.skipType(r.uint32() & 7);
}

export function encodeHealthRequest(service: string): Buffer {
  const w = pb.Writer.create();
  if (service !== '') w.uint32(TAG_1_BYTES).string(service);
  return toBuffer(w.finish());
}

export function decodeHealthRequest(b: Buffer): string {
  const r = pb.Reader.create(b);
  let service = '';
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === TAG_1_BYTES) service = r.string();
    else r.skipType(tag & 7);
  }
  return service;
}

export function encodeHealthResponse(status: number): Buffer {
  const w = pb.Writer.create();
  if (status !== 0) w.uint32(TAG_1_VARINT).int32(status);
  return toBuffer(w.finish());
}

export function decodeHealthResponse(b: Buffer): number {
  const r = pb.Reader.create(b);
  let status = 0;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === TAG_1_VARINT) status = r.int32();
    else r.skipType(tag & 7);
  }
  return status;
}
