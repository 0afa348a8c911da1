/**
 * The emulated sidecar: a downstream HTTP/1.1 listener whose connections are each assigned to
 * a worker lane, an outbound cluster and router, and an admin endpoint. This is one Node
 * process, so "workers" are lanes: each lane has its own connection pools and load balancer
 * (Envoy's per-worker state), all lanes share the cluster's counters (Envoy's atomics).
 */
import { createServer, ServerResponse as NodeServerResponse } from 'node:http';
import { EnvoyServerResponse } from './nodeHttpPinned.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createH2cServer } from 'node:http2';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { UsageError } from '../shared/errors.js';
import { makeRng } from '../shared/random.js';
import { createAdminServer } from './admin.js';
import { checkLoopback, listen, parseListen, urlOf } from './bind.js';
import type { ListenAddress } from './bind.js';
import { Cluster } from './cluster.js';
import type { SidecarConfig } from './envoyConfig.js';
import { parseHostPort } from './host.js';
import type { AccessLogEntry } from './accessLog.js';
import { Http1Responder, Http2Responder } from './downstream.js';
import { isGrpcContentType } from './grpcLocalReply.js';
import { OutboundHttp } from './outbound.js';
import { outboundListener } from './outboundListener.js';
import { SniProxy } from './sniProxy.js';
import type { TcpLogEntry } from './sniProxy.js';
import { TcpProxy } from './tcpProxy.js';
import { Router } from './router.js';
import { FORTIO_SAMPLE_INCLUSION_PREFIXES, ISTIO_DEFAULT_INCLUSION_PREFIXES, StatStore } from './stats.js';
import type { RawHeaders } from './upstreamConn.js';

export type WorkerAssignment = 'random' | 'round-robin' | 'least-connections';

// Calibrated on the seed experiment driven by `tripbench load` (docs/rehearsal.md, §2.7): Node's
// own loopback connect already plays the handshake (an extra one makes clients sharing a worker
// lose most of their races, c=2 ~30 %), and the hop sets the cycle time, hence connect / cycle
// and the cross-worker collisions at c=2 (3 ms left c=2 near 20 %, 5 ms gives ~15 %).
export const DEFAULT_MTLS_HANDSHAKE_MS = 0;
export const DEFAULT_HOP_LATENCY_MS = 5;
export const DEFAULT_MESH_JITTER = 0.5;
export const DEFAULT_CONCURRENCY = 2;
export const DEFAULT_WORKER_ASSIGNMENT: WorkerAssignment = 'random';

export interface SidecarOptions {
  config: SidecarConfig;
  /** upstream endpoints "host:port" */
  upstreams: readonly string[];
  /** "host:port"; default 127.0.0.1:0 (ephemeral) */
  listen?: string;
  /** "host:port", or false for no admin endpoint; default 127.0.0.1:0 */
  admin?: string | false;
  allowRemote?: boolean;
  /** worker lanes (Envoy --concurrency) */
  concurrency?: number;
  workerAssignment?: WorkerAssignment;
  /** mean extra time per new upstream connection (mTLS handshake), ms */
  mtlsHandshakeMs?: number;
  /** mean time each upstream request spends crossing the mesh (network RTT + server-side sidecar), ms */
  hopLatencyMs?: number;
  /** relative spread of the handshake and hop times: uniform in mean × [1 − j, 1 + j] */
  meshJitter?: number;
  /** 0 = random */
  seed?: number;
  /** Istio stats inclusion prefixes; undefined = the fortio sample's; [] = Istio's default trimming; ['*'] = all */
  statsInclusionPrefixes?: string[];
  /** port the emulated service listens on (only for the listener's stat prefix) */
  servicePort?: number;
  /** largest request body buffered (Envoy buffers for retries) */
  maxRequestBodyBytes?: number;
  /** called once per downstream request when it is over */
  onAccessLog?: (e: AccessLogEntry) => void;
  /** "host:port" serving the ServiceEntries' TLS hosts (SNI passthrough, PassthroughCluster for TLS) */
  tlsUpstream?: string;
  /** CA (PEM) the sidecar trusts when it originates TLS (DestinationRule tls SIMPLE); default: Node's roots */
  upstreamCaPem?: string;
  /** called once per TCP proxy connection (SNI-routed TLS, a TCP service's port) when it is over */
  onTcpLog?: (e: TcpLogEntry) => void;
}

export interface SidecarHandle {
  url: string;
  address: ListenAddress;
  adminUrl: string | undefined;
  adminAddress: ListenAddress | undefined;
  clusterName: string;
  store: StatStore;
  cluster: Cluster;
  /** a cluster stat by its short name, e.g. stat('upstream_rq_pending_overflow') */
  stat(name: string): number;
  /** POST /reset_counters without HTTP */
  resetCounters(): void;
  close(): Promise<void>;
}

function chooseLane(kind: WorkerAssignment, lanes: number, counts: number[], rr: { next: number }, rng: () => number): number {
  switch (kind) {
    case 'round-robin':
      return rr.next++ % lanes;
    case 'least-connections': {
      // Envoy's exact connection balancer: the lane with the fewest open downstream connections.
      let best = 0;
      for (let i = 1; i < lanes; i++) if ((counts[i] ?? 0) < (counts[best] ?? 0)) best = i;
      return best;
    }
    default:
      // The kernel spreads accepted sockets over workers without regard to their load.
      return Math.floor(rng() * lanes);
  }
}

function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    (s as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

function closeH2(s: ReturnType<typeof createH2cServer>): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

export async function startSidecar(o: SidecarOptions): Promise<SidecarHandle> {
  const lanes = o.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(lanes) || lanes < 1) throw new UsageError(`concurrency must be a positive integer (got ${lanes})`);
  if (o.upstreams.length === 0) throw new UsageError('at least one upstream endpoint is required');
  const endpoints = o.upstreams.map((u) => {
    const hp = parseHostPort(u);
    if (!hp) throw new UsageError(`upstream: invalid endpoint ${JSON.stringify(u)} (want host:port)`);
    return hp;
  });
  const listenAddr = parseListen(o.listen ?? '127.0.0.1:0', 'listen');
  checkLoopback(listenAddr, o.allowRemote ?? false, 'listen');
  const adminAddr = o.admin === false ? undefined : parseListen(o.admin ?? '127.0.0.1:0', 'admin');
  if (adminAddr) checkLoopback(adminAddr, o.allowRemote ?? false, 'admin');

  const rng = makeRng(o.seed);
  const incl = o.statsInclusionPrefixes;
  const store = new StatStore(incl === undefined ? FORTIO_SAMPLE_INCLUSION_PREFIXES : incl.includes('*') ? undefined : incl.length === 0 ? ISTIO_DEFAULT_INCLUSION_PREFIXES : incl);
  const mean = o.mtlsHandshakeMs ?? DEFAULT_MTLS_HANDSHAKE_MS;
  const hopMean = o.hopLatencyMs ?? DEFAULT_HOP_LATENCY_MS;
  const jitter = Math.min(1, Math.max(0, o.meshJitter ?? DEFAULT_MESH_JITTER));
  const spread = (m: number): number => (m <= 0 ? 0 : m * (1 - jitter + 2 * jitter * rng()));
  const orig = o.config.tlsOrigination;
  const cluster = new Cluster({
    config: orig ? { ...o.config.cluster, tls: { sni: orig.sni, ...(o.upstreamCaPem !== undefined ? { caPem: o.upstreamCaPem } : {}) } } : o.config.cluster,
    endpoints,
    lanes,
    store,
    rng,
    handshakeMs: () => spread(mean),
  });
  const httpPrefix = `http.outbound_0.0.0.0_${o.servicePort ?? o.config.servicePort}.`;
  const router = new Router(cluster, o.config.routes, rng, store, httpPrefix, () => spread(hopMean), o.config.virtualHost);
  const outbound = new OutboundHttp({ config: o.config, router, endpoints, lanes, store, rng, httpPrefix, hopLatencyMs: () => spread(hopMean) });
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
  store.gauge('server.live', () => 1);
  store.gauge('server.state', () => 0);
  store.gauge('server.concurrency', () => lanes);
  store.gauge('cluster_manager.active_clusters', () => 1);
  store.gauge('listener_manager.total_listeners_active', () => 1);
  const startedAt = Date.now();
  store.gauge('server.uptime', () => Math.floor((Date.now() - startedAt) / 1000));

  const laneOf = new WeakMap<Socket, number>();
  const laneCounts = new Array<number>(lanes).fill(0);
  const rr = { next: 0 };
  const assignment = o.workerAssignment ?? DEFAULT_WORKER_ASSIGNMENT;
  const maxBody = o.maxRequestBodyBytes ?? 8 * 1024 * 1024;

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
    const lane = chooseLane(assignment, lanes, laneCounts, rr, rng);
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

  let tlsUpstream: { address: string; port: number } | undefined;
  if (o.tlsUpstream !== undefined) {
    tlsUpstream = parseHostPort(o.tlsUpstream);
    if (!tlsUpstream) throw new UsageError(`tls-upstream: invalid endpoint ${JSON.stringify(o.tlsUpstream)} (want host:port)`);
  }
  const sni = new SniProxy({
    chains: o.config.tlsPassthrough,
    policy: o.config.outboundPolicy,
    store,
    upstream: tlsUpstream,
    connectTimeoutMs: o.config.cluster.connectTimeoutMs,
    ...(o.onTcpLog ? { onDone: o.onTcpLog } : {}),
  });
  const tcp = o.config.tcpService
    ? new TcpProxy({ cluster, store, laneFor: () => chooseLane(assignment, lanes, laneCounts, rr, rng), ...(o.onTcpLog ? { onDone: o.onTcpLog } : {}) })
    : undefined;
  const listener = outboundListener(server, h2server, sni, tcp);
  const admin = adminAddr ? createAdminServer({ store, cluster, startedAt, concurrency: lanes }) : undefined;
  let bound: ListenAddress;
  let adminBound: ListenAddress | undefined;
  try {
    bound = await listen(listener.server, listenAddr);
    if (admin && adminAddr) adminBound = await listen(admin, adminAddr);
  } catch (e) {
    void listener.closeAll();
    admin?.close();
    throw e;
  }
  cluster.start();
  outbound.start();
  return {
    url: urlOf(bound),
    address: bound,
    adminUrl: adminBound ? urlOf(adminBound) : undefined,
    adminAddress: adminBound,
    clusterName: o.config.cluster.name,
    store,
    cluster,
    stat: (name) => cluster.stats.get(name),
    resetCounters: () => store.resetCounters(),
    close: async () => {
      cluster.close();
      outbound.close();
      await Promise.all([closeServer(server), closeH2(h2server), listener.closeAll(), admin ? closeServer(admin) : Promise.resolve()]);
    },
  };
}
