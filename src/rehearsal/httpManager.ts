/**
 * The HTTP connection manager of the service's outbound listener: HTTP/1.1 and h2c (prior
 * knowledge) downstream codecs, the listener's `http.<stat_prefix>.downstream_*` stats, the access
 * log, and the outbound router (the service's cluster, PassthroughCluster or block_all). A TCP
 * service's port has none of it (Envoy's tcp_proxy is another filter), so the sidecar builds this
 * only for an HTTP port: its stats exist only where Envoy has them.
 */
import { createServer, ServerResponse as NodeServerResponse } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createH2cServer } from 'node:http2';
import type { Http2Server, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { AccessLogEntry } from './accessLog.js';
import type { Cluster } from './cluster.js';
import { Http1Responder, Http2Responder } from './downstream.js';
import type { SidecarConfig } from './envoyConfig.js';
import { isGrpcContentType } from './grpcLocalReply.js';
import { EnvoyServerResponse } from './nodeHttpPinned.js';
import { OutboundHttp } from './outbound.js';
import { Router } from './router.js';
import type { StatStore } from './stats.js';
import type { RawHeaders } from './upstreamConn.js';
import type { Rng } from '../shared/random.js';

export interface HttpManagerOptions {
  config: SidecarConfig;
  cluster: Cluster;
  endpoints: ReadonlyArray<{ address: string; port: number }>;
  lanes: number;
  store: StatStore;
  rng: Rng;
  /** the listener's port for its stat prefix `http.outbound_0.0.0.0_<port>.` */
  servicePort: number;
  hopLatencyMs: () => number;
  /** the worker lane of a new downstream connection; laneCounts[lane] is kept by the caller's balancer */
  chooseLane: () => number;
  laneCounts: number[];
  maxRequestBodyBytes: number;
  onAccessLog?: ((e: AccessLogEntry) => void) | undefined;
}

export interface HttpConnectionManager {
  server: Server;
  h2server: Http2Server;
  start(): void;
  close(): Promise<void>;
}

function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    (s as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

export function httpConnectionManager(o: HttpManagerOptions): HttpConnectionManager {
  const { cluster, store, rng, laneCounts } = o;
  const maxBody = o.maxRequestBodyBytes;
  const laneOf = new WeakMap<Socket, number>();
  const httpPrefix = `http.outbound_0.0.0.0_${o.servicePort}.`;
  const router = new Router(cluster, o.config.routes, rng, store, httpPrefix, o.hopLatencyMs, o.config.virtualHost);
  const outbound = new OutboundHttp({ config: o.config, router, endpoints: o.endpoints, lanes: o.lanes, store, rng, httpPrefix, hopLatencyMs: o.hopLatencyMs });
  const ds = {
    cxTotal: store.counter(`${httpPrefix}downstream_cx_total`),
    rqTotal: store.counter(`${httpPrefix}downstream_rq_total`),
  };
  let cxActive = 0;
  let rqActive = 0;
  store.gauge(`${httpPrefix}downstream_cx_active`, () => cxActive, () => ds.cxTotal.used);
  store.gauge(`${httpPrefix}downstream_rq_active`, () => rqActive, () => ds.rqTotal.used);
  for (const c of ['1xx', '2xx', '3xx', '4xx', '5xx', 'http1_total', 'http2_total']) store.counter(`${httpPrefix}downstream_rq_${c}`);
  for (const c of ['http1_total', 'http2_total']) store.counter(`${httpPrefix}downstream_cx_${c}`);

  const cxNumber = new WeakMap<Socket, number>();
  // An HTTP/2 stream shows its connection only through the session's socket proxy (node
  // lib/internal/http2/core.js proxySocketHandler), never the socket itself: h2 connections are
  // known by their peer address instead.
  const peerKey = (x: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string => `${x.remoteAddress ?? ''}:${x.remotePort ?? 0}`;
  const h2Conn = new Map<string, { lane: number; connection: number }>();
  /** One downstream request on either codec: access log when it is over, body buffered, then the outbound router. */
  const serve = (d: { method: string; path: string; protocol: string; headers: RawHeaders; socket: Socket; body: Readable }, makeResponder: (onDone: (r: Http1Responder | Http2Responder) => void) => Http1Responder | Http2Responder): void => {
    ds.rqTotal.inc();
    store.counter(`${httpPrefix}downstream_rq_${d.protocol === 'HTTP/2' ? 'http2' : 'http1'}_total`).inc();
    rqActive++;
    const start = new Date();
    const t0 = performance.now();
    const sock = d.socket;
    const h2c = d.protocol === 'HTTP/2' ? h2Conn.get(peerKey(sock)) : undefined;
    const lane = h2c?.lane ?? laneOf.get(sock) ?? 0;
    const connection = h2c?.connection ?? cxNumber.get(sock) ?? 0;
    const header = (n: string): string | undefined => {
      const v = d.headers.filter(([k]) => k.toLowerCase() === n).map(([, x]) => x);
      return v.length === 0 ? undefined : v.join(',');
    };
    let size = 0;
    // read now: an HTTP/2 session's socket is unbound (and throws) once the client has gone
    const downstreamLocalAddress = `${sock.localAddress ?? ''}:${sock.localPort ?? 0}`;
    const downstreamRemoteAddress = `${sock.remoteAddress ?? ''}:${sock.remotePort ?? 0}`;
    const responder = makeResponder((r) => {
      rqActive--;
      if (r.status > 0) store.counter(`${httpPrefix}downstream_rq_${Math.floor(r.status / 100)}xx`).inc();
      o.onAccessLog?.({
        start,
        method: d.method,
        path: d.path,
        protocol: d.protocol,
        status: r.status,
        flags: r.flags,
        details: r.log.details ?? '-',
        transportFailure: r.log.transportFailure,
        bytesReceived: size,
        bytesSent: r.bytesSent,
        durationMs: performance.now() - t0,
        upstreamServiceTimeMs: r.log.serviceTimeMs,
        forwardedFor: header('x-forwarded-for'),
        userAgent: header('user-agent'),
        requestId: r.log.requestId,
        authority: header('host'),
        upstreamHost: r.upstreamHost,
        upstreamCluster: r.log.cluster,
        upstreamLocalAddress: undefined,
        downstreamLocalAddress,
        downstreamRemoteAddress,
        routeName: r.log.routeName,
        lane,
        connection,
      });
    });
    const chunks: Buffer[] = [];
    let tooBig = false;
    d.body.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooBig = true;
      else chunks.push(c);
    });
    d.body.on('end', () => {
      if (tooBig) {
        responder.localReply({ status: 413, body: 'Payload Too Large', flag: '', headers: {}, details: 'request_payload_too_large' });
        return;
      }
      outbound.handle({ method: d.method, path: d.path, headers: d.headers, body: Buffer.concat(chunks), lane }, responder);
    });
  };
  const server = createServer({ ServerResponse: EnvoyServerResponse as unknown as typeof NodeServerResponse }, (req: IncomingMessage, res: ServerResponse) => {
    const headers: RawHeaders = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
    const grpc = isGrpcContentType(req.headers['content-type']);
    serve({ method: req.method ?? 'GET', path: req.url ?? '/', protocol: `HTTP/${req.httpVersion}`, headers, socket: req.socket, body: req }, (done) => new Http1Responder(res, grpc, done));
  });
  // h2c with prior knowledge on the same port: Envoy's HTTP connection manager picks its codec
  // from the first bytes (codec_type AUTO, http_connection_manager's conn_manager_utility.cc autoCreateCodec).
  const h2server = createH2cServer({ settings: { maxConcurrentStreams: 2147483647 } });
  h2server.on('stream', (stream: ServerHttp2Stream, h: IncomingHttpHeaders) => {
    const headers: RawHeaders = [];
    // The connection manager keeps :authority as the host of the request (HTTP/1.1's Host).
    if (typeof h[':authority'] === 'string') headers.push(['host', h[':authority']]);
    for (const [k, v] of Object.entries(h)) {
      if (k.startsWith(':') || v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [v]) headers.push([k, x]);
    }
    const grpc = isGrpcContentType(typeof h['content-type'] === 'string' ? h['content-type'] : undefined);
    serve({ method: String(h[':method'] ?? 'GET'), path: String(h[':path'] ?? '/'), protocol: 'HTTP/2', headers, socket: stream.session?.socket as Socket, body: stream }, (done) => new Http2Responder(stream, grpc, done));
  });
  h2server.on('sessionError', () => undefined);
  // Envoy's downstream idle timeout is long (1h); no Keep-Alive header, no early close.
  server.keepAliveTimeout = 0;
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  const onConnection = (protocol: 'http1' | 'http2') => (socket: Socket): void => {
    store.counter(`${httpPrefix}downstream_cx_${protocol}_total`).inc();
    const lane = o.chooseLane();
    laneOf.set(socket, lane);
    cxNumber.set(socket, ds.cxTotal.value + 1);
    const key = peerKey(socket);
    if (protocol === 'http2') {
      h2Conn.set(key, { lane, connection: ds.cxTotal.value + 1 });
      socket.once('close', () => h2Conn.delete(key));
    }
    laneCounts[lane] = (laneCounts[lane] ?? 0) + 1;
    ds.cxTotal.inc();
    cxActive++;
    socket.setNoDelay(true);
    socket.on('close', () => {
      laneCounts[lane] = (laneCounts[lane] ?? 1) - 1;
      cxActive--;
    });
  };
  server.on('connection', onConnection('http1'));
  h2server.on('connection', onConnection('http2'));
  return {
    server,
    h2server,
    start: () => outbound.start(),
    close: async () => {
      outbound.close();
      await Promise.all([closeServer(server), new Promise<void>((resolve) => h2server.close(() => resolve()))]);
    },
  };
}
