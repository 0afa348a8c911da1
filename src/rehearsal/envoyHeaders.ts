/**
 * The headers an Istio sidecar's Envoy adds to the upstream request and writes on the
 * downstream response, as Istio's task pages show them (circuit-breaking: `server: envoy`,
 * `x-envoy-upstream-service-time` last; egress: `X-B3-*`, `X-Envoy-Attempt-Count`,
 * `X-Envoy-Decorator-Operation: httpbin.org:80/*`). Envoy keeps header names lowercase (its
 * HeaderMap) and writes them so on HTTP/1.1; it never forwards hop-by-hop headers and writes no
 * `connection` header of its own on a keep-alive HTTP/1.1 response.
 */
import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http2';
import type { Rng } from '../shared/random.js';
import type { PeerMetadataHeaders } from './peerMetadata.js';
import type { RawHeaders } from './upstreamConn.js';

export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** Istio's default trace sampling: meshConfig.defaultConfig.tracing.sampling = 1 (%). */
export const DEFAULT_TRACE_SAMPLING_PERCENT = 1;

/** The Zipkin (B3) context the sidecar starts for a request without one (Istio: 128-bit trace ids). */
export interface TraceContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

function hex(rng: Rng, digits: number): string {
  let s = '';
  while (s.length < digits) s += Math.floor(rng() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return s.slice(0, digits);
}

export function newTrace(rng: Rng, samplingPercent = DEFAULT_TRACE_SAMPLING_PERCENT): TraceContext {
  return { traceId: hex(rng, 32), spanId: hex(rng, 16), sampled: rng() * 100 < samplingPercent };
}

/**
 * `x-envoy-decorator-operation`: Istio's route decorator `<service host>:<port>/*`, read off the
 * outbound cluster name `outbound|<port>|<subset>|<host>`.
 */
export function decoratorOperation(clusterName: string): string | undefined {
  const m = /^outbound\|(\d+)\|[^|]*\|(.+)$/.exec(clusterName);
  return m ? `${m[2]}:${m[1]}/*` : undefined;
}

export interface UpstreamRequestParts {
  method: string;
  path: string;
  headers: RawHeaders;
  bodyLength: number;
  attempt: number;
  /** 0 = no route timeout */
  timeoutMs: number;
  trace: TraceContext;
  decorator: string | undefined;
  requestId: string;
  /** Istio's metadata exchange headers (telemetry v2, Istio >= 1.5); undefined = none */
  peerMetadata?: PeerMetadataHeaders | undefined;
}

const ENVOY_SET = new Set(['x-envoy-attempt-count', 'x-envoy-expected-rq-timeout-ms', 'x-envoy-decorator-operation', 'x-envoy-peer-metadata', 'x-envoy-peer-metadata-id', 'content-length']);
const B3 = new Set(['x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags']);

/**
 * The request headers the sidecar sends upstream for one attempt, in order, names lowercase
 * (`host` stays a header: HTTP/2 pools turn it into `:authority`). `te: trailers` survives, as
 * gRPC needs it over HTTP/2 (Envoy's header_utility.cc keeps TE only when it is "trailers").
 */
export function upstreamRequestHeaders(p: UpstreamRequestParts): RawHeaders {
  const out: RawHeaders = [];
  let hasProto = false;
  let hasB3 = false;
  for (const [k, v] of p.headers) {
    const l = k.toLowerCase();
    if (l === 'te' && v.trim().toLowerCase() === 'trailers') {
      out.push([l, 'trailers']);
      continue;
    }
    if (HOP_BY_HOP.has(l) || ENVOY_SET.has(l) || l === 'x-request-id') continue;
    if (l === 'x-forwarded-proto') hasProto = true;
    if (B3.has(l)) hasB3 = true;
    out.push([l, v]);
  }
  if (!hasProto) out.push(['x-forwarded-proto', 'http']);
  out.push(['x-request-id', p.requestId]);
  if (p.decorator !== undefined) out.push(['x-envoy-decorator-operation', p.decorator]);
  out.push(['x-envoy-attempt-count', String(p.attempt)]);
  if (p.timeoutMs > 0) out.push(['x-envoy-expected-rq-timeout-ms', String(p.timeoutMs)]);
  if (p.peerMetadata) out.push(['x-envoy-peer-metadata', p.peerMetadata.metadata], ['x-envoy-peer-metadata-id', p.peerMetadata.id]);
  // A request that carries a trace keeps it (the app propagates); otherwise the sidecar starts one.
  if (!hasB3) out.push(['x-b3-traceid', p.trace.traceId], ['x-b3-spanid', p.trace.spanId], ['x-b3-sampled', p.trace.sampled ? '1' : '0']);
  if (p.bodyLength > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(p.method)) out.push(['content-length', String(p.bodyLength)]);
  return out;
}

/** The HTTP/1.1 request head for those headers. */
export function http1RequestHead(method: string, path: string, headers: RawHeaders): string {
  const lines: string[] = [`${method} ${path} HTTP/1.1`];
  for (const [k, v] of headers) {
    // TE is hop-by-hop on HTTP/1.1: only an HTTP/2 upstream gets it.
    if (k !== 'te') lines.push(`${k}: ${v}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

/** The request head the sidecar writes upstream for one HTTP/1.1 attempt. */
export function upstreamRequestHead(p: UpstreamRequestParts): string {
  return http1RequestHead(p.method, p.path, upstreamRequestHeaders(p));
}

/** The downstream request's x-request-id, or the one Envoy generates (a UUID v4). */
export function requestIdOf(headers: ReadonlyMap<string, string>): string {
  return headers.get('x-request-id') ?? randomUUID();
}

/**
 * A proxied response's headers: lowercase names in the upstream's order, hop-by-hop dropped,
 * `server` and `date` overwritten in place (appended when absent), then
 * `x-envoy-upstream-service-time`.
 */
export function downstreamResponseHeaders(upstream: RawHeaders, serviceTimeMs: number, now: Date): RawHeaders {
  const out: RawHeaders = [];
  let server = false;
  let date = false;
  for (const [k, v] of upstream) {
    const l = k.toLowerCase();
    if (HOP_BY_HOP.has(l)) continue;
    if (l === 'server') {
      if (!server) out.push(['server', 'envoy']);
      server = true;
    } else if (l === 'date') {
      if (!date) out.push(['date', now.toUTCString()]);
      date = true;
    } else {
      out.push([l, v]);
    }
  }
  if (!date) out.push(['date', now.toUTCString()]);
  if (!server) out.push(['server', 'envoy']);
  out.push(['x-envoy-upstream-service-time', String(Math.round(serviceTimeMs))]);
  return out;
}

/** A local reply's headers in Envoy's order: content-length, content-type, the reply's own, date, server. */
export function localReplyHeaders(bodyLength: number, extra: Record<string, string>, now: Date): RawHeaders {
  const out: RawHeaders = [['content-length', String(bodyLength)]];
  if (bodyLength > 0) out.push(['content-type', 'text/plain']);
  for (const [k, v] of Object.entries(extra)) out.push([k.toLowerCase(), v]);
  out.push(['date', now.toUTCString()], ['server', 'envoy']);
  return out;
}

/**
 * The domains Istio puts on a VirtualService's virtual host (outbound route `<port>`): for an
 * in-mesh short name `httpbin` in namespace `ns`, every suffix form of
 * `httpbin.ns.svc.cluster.local`, each also with `:<port>`; an external host as written, with and
 * without the port; `*.x` wildcards as suffixes.
 */
export function virtualHostDomains(hosts: readonly string[], namespace: string, port: number): string[] {
  const out: string[] = [];
  for (const raw of hosts) {
    const h = raw.toLowerCase();
    let forms: string[];
    if (h === '*' || h.startsWith('*.')) forms = [h];
    else if (!h.includes('.')) forms = [`${h}.${namespace}.svc.cluster.local`, h, `${h}.${namespace}`, `${h}.${namespace}.svc`];
    else if (h.endsWith('.svc.cluster.local')) {
      const [name, ns] = h.split('.') as [string, string];
      forms = [h, name, `${name}.${ns}`, `${name}.${ns}.svc`];
    } else forms = [h];
    for (const f of forms) out.push(f, f === '*' || f.startsWith('*.') ? f : `${f}:${port}`);
  }
  return [...new Set(out)];
}

const IP_OR_LOCAL = /^(\[[0-9a-f:.]+\]|\d{1,3}(\.\d{1,3}){3}|localhost)(:\d+)?$/i;

/**
 * Envoy's virtual host selection by `:authority` (exact, then `*.suffix`, then `*`). An IP or
 * localhost authority is the app calling the emulator's listener in place of the service name,
 * so it selects the service's virtual host.
 */
export function authorityMatches(domains: readonly string[], authority: string): boolean {
  const a = authority.toLowerCase();
  if (a === '' || IP_OR_LOCAL.test(a)) return true;
  for (const d of domains) {
    if (d === '*' || d === a) return true;
    if (d.startsWith('*.') && a.split(':')[0]?.endsWith(d.slice(1))) return true;
  }
  return false;
}

/** Raw header pairs into node:http2's header object: a repeated name becomes an array, in order. */
export function addHeaders(out: OutgoingHttpHeaders, headers: RawHeaders): OutgoingHttpHeaders {
  for (const [k, v] of headers) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
  }
  return out;
}
