/**
 * The request of a run, built once. A `{uuid}` token (URL or payload) becomes a 36-byte slot
 * holding a placeholder UUID; only then is a fresh copy with new UUIDs made per request, so the
 * common case writes the very same Buffer every call.
 */
import { randomUUID } from '../shared/lazyCrypto.js';
import { urlPort } from '../shared/urlPort.js';
import type { HeaderPair, HttpOptions } from './options.js';
import { pushAll } from '../shared/arrays.js';
import { assertSendable } from './requestValidation.js';

export const UUID_TOKEN = '{uuid}';
const TOKEN_BYTES = Buffer.from(UUID_TOKEN, 'latin1');

/** Where the request goes: connect address parts and what goes on the wire. */
export interface RequestTarget {
  https: boolean;
  /** Host name or IP to resolve/connect to (IPv6 without brackets). */
  hostname: string;
  port: number;
  /** host[:port] as in the URL, the default Host header. */
  authority: string;
  /** `scheme://authority`, for undici's Client. */
  origin: string;
  /** Path and query, with placeholder UUIDs in place of `{uuid}`. */
  path: string;
  /** The TLS SNI: the host name, none for an IP address (RFC 6066 forbids IP literals there). */
  servername: string | undefined;
}

export interface RequestTemplate {
  target: RequestTarget;
  method: string;
  isHead: boolean;
  /** Complete HTTP/1.x request (head + payload) for the lean client. */
  bytes: Buffer;
  /** Offsets in `bytes` of 36-byte UUID slots; empty = the same bytes every time. */
  slots: number[];
  /** Header list as sent (for undici), in wire order. */
  headers: HeaderPair[];
  /** Payload with placeholders, null when there is none. */
  body: Buffer | null;
  bodySlots: number[];
  /** Placeholder UUIDs that stand for `{uuid}` tokens of the path. */
  pathMarkers: string[];
}

function replaceTokensInString(s: string, markers: string[]): string {
  let out = s;
  let i = out.indexOf(UUID_TOKEN);
  while (i >= 0) {
    const m = randomUUID();
    markers.push(m);
    out = out.slice(0, i) + m + out.slice(i + UUID_TOKEN.length);
    i = out.indexOf(UUID_TOKEN, i + m.length);
  }
  return out;
}

function replaceTokensInBytes(b: Uint8Array, markers: string[]): Buffer {
  const src = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (src.indexOf(TOKEN_BYTES) < 0) return Buffer.from(src);
  const parts: Buffer[] = [];
  let from = 0;
  let i = src.indexOf(TOKEN_BYTES);
  while (i >= 0) {
    const m = randomUUID();
    markers.push(m);
    parts.push(src.subarray(from, i), Buffer.from(m, 'latin1'));
    from = i + TOKEN_BYTES.length;
    i = src.indexOf(TOKEN_BYTES, from);
  }
  parts.push(src.subarray(from));
  return Buffer.concat(parts);
}

function slotsOf(buf: Buffer, markers: readonly string[]): number[] {
  const slots: number[] = [];
  for (const m of markers) {
    const at = buf.indexOf(m, 0, 'latin1');
    if (at >= 0) slots.push(at);
  }
  return slots;
}

export function requestTarget(o: HttpOptions, markers: string[] = []): RequestTarget {
  const u = new URL(replaceTokensInString(o.url, markers));
  const https = u.protocol === 'https:';
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = urlPort(u);
  return {
    https,
    hostname,
    port,
    authority: u.host,
    origin: `${u.protocol}//${u.host}`,
    path: `${u.pathname}${u.search}`,
    servername: /^[\d.]+$|:/.test(hostname) ? undefined : hostname,
  };
}

/**
 * fortio's header rules: Host, Connection: close, User-Agent, -H headers, Content-Type,
 * Content-Length. Special keys left in `o.headers` (options not made by makeHttpOptions) still
 * act as overrides instead of being sent twice.
 */
export function requestHeaders(o: HttpOptions, authority: string, payloadLength: number): HeaderPair[] {
  let host = o.host;
  let userAgent = o.userAgent;
  let contentType = o.contentType;
  let userLength = false;
  const extras: HeaderPair[] = [];
  for (const [k, v] of o.headers) {
    const l = k.toLowerCase();
    if (l === 'host') host = v;
    else if (l === 'user-agent') userAgent = v;
    else if (l === 'content-type') contentType = v;
    else {
      if (l === 'content-length') userLength = true;
      extras.push([k, v]);
    }
  }
  const h: HeaderPair[] = [];
  if (!o.http10 || host !== '') h.push(['Host', host !== '' ? host : authority]);
  if (!o.http10 && !o.keepAlive) h.push(['Connection', 'close']);
  if (userAgent !== '') h.push(['User-Agent', userAgent]);
  pushAll(h, extras);
  const ct = contentType !== '' ? contentType : payloadLength > 0 ? 'application/octet-stream' : '';
  if (ct !== '') h.push(['Content-Type', ct]);
  if ((payloadLength > 0 || ct !== '') && !userLength) h.push(['Content-Length', String(payloadLength)]);
  return h;
}

export function buildRequest(o: HttpOptions): RequestTemplate {
  const pathMarkers: string[] = [];
  const target = requestTarget(o, pathMarkers);
  const bodyMarkers: string[] = [];
  const body = o.payload !== null && o.payload.length > 0 ? replaceTokensInBytes(o.payload, bodyMarkers) : null;
  const headers = requestHeaders(o, target.authority, body?.length ?? 0);
  assertSendable(o.method, headers);
  let head = `${o.method} ${target.path} HTTP/${o.http10 ? '1.0' : '1.1'}\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  const bytes = body !== null ? Buffer.concat([headBytes, body]) : headBytes;
  return {
    target,
    method: o.method,
    isHead: o.method.toUpperCase() === 'HEAD',
    bytes,
    slots: slotsOf(bytes, [...pathMarkers, ...bodyMarkers]),
    headers,
    body,
    bodySlots: body !== null ? slotsOf(body, bodyMarkers) : [],
    pathMarkers,
  };
}

/** A copy of `template` with a fresh UUID written in each slot; `template` itself when there is none. */
export function withFreshUuids(template: Buffer, slots: readonly number[]): Buffer {
  if (slots.length === 0) return template;
  const b = Buffer.from(template);
  for (const at of slots) b.write(randomUUID(), at, 'latin1');
  return b;
}

/** The path with a fresh UUID for each `{uuid}` token. */
export function pathWithFreshUuids(path: string, markers: readonly string[]): string {
  let p = path;
  for (const m of markers) p = p.replace(m, randomUUID());
  return p;
}

export function requestBytes(t: RequestTemplate): Buffer {
  return withFreshUuids(t.bytes, t.slots);
}
