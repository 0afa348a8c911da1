/**
 * Envoy's local reply to a gRPC request (source/common/http/utility.cc, prepareLocalReply /
 * encodeLocalReply, the `is_grpc_` branch): a trailers-only response, HTTP status 200 whatever
 * the local status was, `content-type: application/grpc`, `grpc-status` from the HTTP code
 * (source/common/grpc/status.cc httpToGrpcStatus, unless the reply names one), `grpc-message` =
 * the body percent-encoded, no body and no content-length. The router's modify_headers
 * (`x-envoy-overloaded`) run first, so those headers come right after `:status`.
 */
import type { LocalReply } from './localReply.js';
import type { RawHeaders } from './upstreamConn.js';

/** Grpc::Common::hasGrpcContentType: application/grpc, or followed by '+' or ';' (not grpc-web). */
export function isGrpcContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const c = contentType.trim().toLowerCase();
  return c === 'application/grpc' || c.startsWith('application/grpc+') || c.startsWith('application/grpc;');
}

/** Grpc::Utility::httpToGrpcStatus (gRPC's doc/http-grpc-status-mapping.md). */
export function httpToGrpcStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

/**
 * Http::Utility::PercentEncoding::encode with its default reserved set: bytes outside
 * [0x20, 0x7e] and '%' become %XX, so Envoy's own texts (spaces, ':', '/') stay as they are.
 */
export function grpcMessageEncode(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    out += b < 0x20 || b > 0x7e || b === 0x25 ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  }
  return out;
}

/** The headers of the trailers-only answer (status 200 is implied), then date and server as the connection manager adds them. */
export function grpcLocalReplyHeaders(r: LocalReply, now: Date): RawHeaders {
  const out: RawHeaders = [];
  for (const [k, v] of Object.entries(r.headers)) out.push([k.toLowerCase(), v]);
  out.push(['content-type', 'application/grpc'], ['grpc-status', String(httpToGrpcStatus(r.status))]);
  // A JSON-formatted body ends in '\n', which a header cannot carry; Envoy trims it.
  const body = r.body.endsWith('\n') ? r.body.slice(0, -1) : r.body;
  if (body !== '') out.push(['grpc-message', grpcMessageEncode(body)]);
  out.push(['date', now.toUTCString()], ['server', 'envoy']);
  return out;
}
