/**
 * Envoy's tls_inspector, the part the outbound listener needs: is the first flight of a new
 * connection a TLS ClientHello, and which server name does it ask for (RFC 8446 §4.1.2, RFC 6066
 * §3 server_name)? The bytes are only read, never changed: the stream is passed on as it came.
 */

/** TLS record content type "handshake" and handshake type "client_hello". */
const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const SERVER_NAME = 0x0000;
/** Envoy's tls_inspector gives up past 64 KiB (max_client_hello_size). */
export const MAX_CLIENT_HELLO = 64 * 1024;

export type ClientHelloResult =
  | { kind: 'need-more' }
  | { kind: 'not-tls' }
  /** sni: '' when the ClientHello carries no server_name */
  | { kind: 'client-hello'; sni: string }
  | { kind: 'invalid'; reason: string };

/** Whether the first byte can start a TLS record (tls_inspector's cheap check before parsing). */
export function looksLikeTls(first: Buffer): boolean {
  return first.length > 0 && first[0] === HANDSHAKE;
}

/** The handshake bytes of the leading handshake records, or why they cannot be read yet. */
function handshakeBytes(buf: Buffer): Buffer | ClientHelloResult {
  const parts: Buffer[] = [];
  let have = 0;
  let at = 0;
  let need = -1;
  while (need < 0 || have < need) {
    if (buf.length < at + 5) return { kind: 'need-more' };
    if (buf[at] !== HANDSHAKE) return at === 0 ? { kind: 'not-tls' } : { kind: 'invalid', reason: 'ClientHello interrupted by a non-handshake record' };
    if (buf[at + 1] !== 0x03) return { kind: 'invalid', reason: `unknown record version ${buf[at + 1]}.${buf[at + 2]}` };
    const len = buf.readUInt16BE(at + 3);
    if (len === 0) return { kind: 'invalid', reason: 'empty handshake record' };
    if (buf.length < at + 5 + len) return { kind: 'need-more' };
    parts.push(buf.subarray(at + 5, at + 5 + len));
    have += len;
    at += 5 + len;
    if (need < 0) {
      const first = Buffer.concat(parts);
      if (first.length < 4) continue;
      if (first[0] !== CLIENT_HELLO) return { kind: 'invalid', reason: `first handshake message is type ${first[0]}, not ClientHello` };
      need = 4 + first.readUIntBE(1, 3);
      if (need > MAX_CLIENT_HELLO) return { kind: 'invalid', reason: `ClientHello of ${need} bytes is over ${MAX_CLIENT_HELLO}` };
    }
  }
  return Buffer.concat(parts).subarray(0, need);
}

/** Reads the SNI of a ClientHello at the start of `buf` (all bytes received so far). */
export function parseClientHello(buf: Buffer): ClientHelloResult {
  if (buf.length > 0 && buf[0] !== HANDSHAKE) return { kind: 'not-tls' };
  if (buf.length > MAX_CLIENT_HELLO + 5 * 16) return { kind: 'invalid', reason: 'no complete ClientHello in the first 64 KiB' };
  const hs = handshakeBytes(buf);
  if (!Buffer.isBuffer(hs)) return hs;
  const bad = (reason: string): ClientHelloResult => ({ kind: 'invalid', reason });
  let p = 4 + 2 + 32; // handshake header, legacy_version, random
  const skip = (lenBytes: 1 | 2): boolean => {
    if (p + lenBytes > hs.length) return false;
    const n = lenBytes === 1 ? (hs[p] as number) : hs.readUInt16BE(p);
    p += lenBytes + n;
    return p <= hs.length;
  };
  if (!skip(1)) return bad('truncated session id');
  if (!skip(2)) return bad('truncated cipher suites');
  if (!skip(1)) return bad('truncated compression methods');
  if (p === hs.length) return { kind: 'client-hello', sni: '' }; // no extensions at all
  if (p + 2 > hs.length) return bad('truncated extensions');
  const end = p + 2 + hs.readUInt16BE(p);
  if (end > hs.length) return bad('extensions longer than the ClientHello');
  p += 2;
  while (p + 4 <= end) {
    const type = hs.readUInt16BE(p);
    const len = hs.readUInt16BE(p + 2);
    const data = p + 4;
    if (data + len > end) return bad('truncated extension');
    if (type === SERVER_NAME) {
      if (len < 2) return bad('empty server_name extension');
      let q = data + 2;
      const listEnd = Math.min(data + 2 + hs.readUInt16BE(data), data + len);
      while (q + 3 <= listEnd) {
        const nameType = hs[q] as number;
        const n = hs.readUInt16BE(q + 1);
        if (q + 3 + n > listEnd) return bad('truncated server name');
        if (nameType === 0) return { kind: 'client-hello', sni: hs.toString('latin1', q + 3, q + 3 + n).toLowerCase() };
        q += 3 + n;
      }
      return { kind: 'client-hello', sni: '' };
    }
    p = data + len;
  }
  return { kind: 'client-hello', sni: '' };
}
