/**
 * The emulated sidecar: the outbound listener (the service port's HTTP connection manager,
 * httpManager.ts, or a TCP port's tcp_proxy; the SNI chains beside either), whose connections are
 * each assigned to a worker lane, the outbound cluster, and an admin endpoint. This is one Node
 * process, so "workers" are lanes: each lane has its own connection pools and load balancer
 * (Envoy's per-worker state), all lanes share the cluster's counters (Envoy's atomics).
 */
import type { Server } from 'node:http';
import { isTcpProxyProtocol } from '../istio/protocol.js';
import { UsageError } from '../shared/errors.js';
import { makeRng } from '../shared/random.js';
import { createAdminServer } from './admin.js';
import { checkLoopback, listen, parseListen, urlOf } from './bind.js';
import type { ListenAddress } from './bind.js';
import { Cluster } from './cluster.js';
import type { SidecarConfig } from './envoyConfig.js';
import { parseHostPort } from './host.js';
import type { AccessLogEntry } from './accessLog.js';
import { httpConnectionManager } from './httpManager.js';
import { outboundListener } from './outboundListener.js';
import { SniProxy } from './sniProxy.js';
import type { TcpLogEntry } from './sniProxy.js';
import { TcpProxy } from './tcpProxy.js';
import { FORTIO_SAMPLE_INCLUSION_PREFIXES, ISTIO_DEFAULT_INCLUSION_PREFIXES, StatStore } from './stats.js';

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
  store.gauge('server.live', () => 1);
  store.gauge('server.state', () => 0);
  store.gauge('server.concurrency', () => lanes);
  store.gauge('cluster_manager.active_clusters', () => 1);
  store.gauge('listener_manager.total_listeners_active', () => 1);
  const startedAt = Date.now();
  store.gauge('server.uptime', () => Math.floor((Date.now() - startedAt) / 1000));

  const laneCounts = new Array<number>(lanes).fill(0);
  const rr = { next: 0 };
  const assignment = o.workerAssignment ?? DEFAULT_WORKER_ASSIGNMENT;
  const pickLane = (): number => chooseLane(assignment, lanes, laneCounts, rr, rng);
  const tcpService = isTcpProxyProtocol(o.config.servicePortProtocol);
  const http = tcpService
    ? undefined
    : httpConnectionManager({
        config: o.config,
        cluster,
        endpoints,
        lanes,
        store,
        rng,
        servicePort: o.servicePort ?? o.config.servicePort,
        hopLatencyMs: () => spread(hopMean),
        chooseLane: pickLane,
        laneCounts,
        maxRequestBodyBytes: o.maxRequestBodyBytes ?? 8 * 1024 * 1024,
        onAccessLog: o.onAccessLog,
      });

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
  const listener = outboundListener(
    sni,
    http ?? { tcp: new TcpProxy({ cluster, store, laneFor: pickLane, ...(o.onTcpLog ? { onDone: o.onTcpLog } : {}) }) },
  );
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
  http?.start();
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
      await Promise.all([http?.close(), listener.closeAll(), admin ? closeServer(admin) : Promise.resolve()]);
    },
  };
}
