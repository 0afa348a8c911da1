/**
 * The outbound listener of a TCP service port: Envoy's tcp_proxy filter to the service's cluster
 * (Istio's stat_prefix is the cluster name), with the cluster's circuit breakers as Envoy's
 * tcp_proxy and TCP connection pool apply them (envoyproxy/envoy
 * source/common/tcp_proxy/tcp_proxy.cc `Filter::establishUpstreamConnection`,
 * source/common/conn_pool/conn_pool_base.cc `ConnPoolImplBase::newStreamImpl`):
 *
 * - the connections resource is checked first, before any host is picked: at max_connections the
 *   downstream connection is closed at once (`onInitFailure(ResourceLimitExceeded)`, NoFlush),
 *   flag UO, `upstream_cx_overflow` +1, and no upstream connection is attempted. The check is
 *   there because tcp_proxy never returns a connection to the pool, so a queued stream would wait
 *   for a release that never comes: unlike HTTP/1.1 (§2.3) the TCP limit is hard.
 * - then the TCP pool's newStream: a stream waits for its own new connection, so it is pending
 *   while the upstream connects, and `max_pending_requests` bounds the connections being opened
 *   at once (§2.1 note); over it, `upstream_rq_pending_overflow` +1, the pool fails the stream
 *   (Overflow → LocalClose), tcp_proxy's one connect attempt is used up
 *   (`upstream_cx_connect_attempts_exceeded`, flag URX) and the downstream is closed.
 *   `max_requests` does not apply (the TCP pool's `enforceMaxRequests()` is false).
 * - a refused or timed-out connect (`connect_timeout` = DestinationRule `tcp.connectTimeout`):
 *   UF, then URX for the exhausted attempt, the downstream closed.
 *
 * Each downstream connection gets its own upstream connection and the resources are the
 * cluster's, shared by every worker, so the per-worker pools hold no state that changes an
 * outcome here; the lane only picks the worker's load balancer.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { formatFlags } from './accessLog.js';
import type { TcpLogEntry } from './accessLog.js';
import type { Cluster } from './cluster.js';
import type { StatStore } from './stats.js';

export interface TcpProxyOptions {
  cluster: Cluster;
  store: StatStore;
  /** the worker lane of a new downstream connection */
  laneFor: () => number;
  /** called once per connection when it is over (for the access log) */
  onDone?: (e: TcpLogEntry) => void;
}

/** tcp.<stat_prefix>.* (ALL_TCP_PROXY_STATS, source/common/tcp_proxy/tcp_proxy.h): the ones the emulator moves. */
const TCP_PROXY_COUNTERS = ['downstream_cx_total', 'downstream_cx_rx_bytes_total', 'downstream_cx_tx_bytes_total', 'downstream_cx_no_route', 'idle_timeout'] as const;

export class TcpProxy {
  readonly statPrefix: string;

  constructor(private readonly o: TcpProxyOptions) {
    // Istio's outbound tcp_proxy stat_prefix is the cluster's name (no alt_stat_name `;`).
    this.statPrefix = `tcp.${o.cluster.config.name}.`;
    for (const n of TCP_PROXY_COUNTERS) o.store.counter(this.statPrefix + n);
    o.cluster.stats.counter('upstream_cx_rx_bytes_total');
    o.cluster.stats.counter('upstream_cx_tx_bytes_total');
    o.cluster.stats.counter('upstream_cx_connect_attempts_exceeded');
  }

  private tcp(n: (typeof TCP_PROXY_COUNTERS)[number], by = 1): void {
    this.o.store.counter(this.statPrefix + n).inc(by);
  }

  /** A new downstream connection on the service's port. */
  accept(down: Socket): void {
    const start = new Date();
    const t0 = performance.now();
    const c = this.o.cluster;
    const cs = c.stats;
    const rm = c.resources;
    down.setNoDelay(true);
    down.on('error', () => down.destroy());
    this.tcp('downstream_cx_total');
    const flags = new Set<string>();
    let rx = 0;
    let tx = 0;
    let upstreamHost: string | undefined;
    let upstreamLocal: string | undefined;
    let logged = false;
    const downstreamLocalAddress = `${down.localAddress ?? ''}:${down.localPort ?? 0}`;
    const downstreamRemoteAddress = `${down.remoteAddress ?? ''}:${down.remotePort ?? 0}`;
    const log = (): void => {
      if (logged) return;
      logged = true;
      this.o.onDone?.({
        start,
        durationMs: performance.now() - t0,
        sni: '',
        cluster: c.config.name,
        upstreamHost,
        upstreamLocalAddress: upstreamLocal,
        downstreamLocalAddress,
        downstreamRemoteAddress,
        bytesReceived: rx,
        bytesSent: tx,
        flags: formatFlags(flags),
      });
    };
    // onInitFailure: ConnectionCloseType::NoFlush, the bytes the client sent are never read.
    const refuse = (flag: string): void => {
      flags.add(flag);
      down.destroy();
      log();
    };
    if (!rm.connections.canCreate()) {
      cs.inc('upstream_cx_overflow');
      refuse('UO');
      return;
    }
    const host = c.chooseHost(this.o.laneFor(), new Set(), 1);
    if (!host) {
      cs.inc('upstream_cx_none_healthy');
      refuse('UH');
      return;
    }
    if (!rm.pendingRequests.canCreate()) {
      cs.inc('upstream_rq_pending_overflow');
      cs.counter('upstream_cx_connect_attempts_exceeded').inc();
      refuse('URX');
      return;
    }
    // Until the upstream is connected tcp_proxy reads nothing (readDisable): the client's bytes wait in the socket.
    down.pause();
    upstreamHost = host.key;
    rm.pendingRequests.inc();
    cs.inc('upstream_rq_pending_total');
    rm.connections.inc();
    cs.inc('upstream_cx_total');
    host.cxTotal++;
    host.cxActive++;
    let pending = true;
    let connected = false;
    const up = connect({ host: host.address, port: host.port });
    up.setNoDelay(true);
    const endPending = (): void => {
      if (!pending) return;
      pending = false;
      rm.pendingRequests.dec();
    };
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      endPending();
      rm.connections.dec();
      host.cxActive--;
      if (connected) cs.inc('upstream_cx_destroy');
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      cs.inc('upstream_cx_connect_timeout');
      up.destroy(new Error('connect timeout'));
    }, c.config.connectTimeoutMs);
    timer.unref();
    up.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      endPending();
      c.reportLocalOrigin(host, 'connect-success');
      upstreamLocal = `${up.localAddress ?? ''}:${up.localPort ?? 0}`;
      down.on('data', (chunk: Buffer) => {
        rx += chunk.length;
        this.tcp('downstream_cx_rx_bytes_total', chunk.length);
        cs.counter('upstream_cx_tx_bytes_total').inc(chunk.length);
      });
      up.on('data', (chunk: Buffer) => {
        tx += chunk.length;
        this.tcp('downstream_cx_tx_bytes_total', chunk.length);
        cs.counter('upstream_cx_rx_bytes_total').inc(chunk.length);
      });
      down.pipe(up);
      up.pipe(down);
      down.resume();
    });
    up.on('error', () => {
      clearTimeout(timer);
      if (!connected) {
        cs.inc('upstream_cx_connect_fail');
        host.cxConnectFail++;
        c.reportLocalOrigin(host, timedOut ? 'timeout' : 'connect-failed');
        // The one connect attempt (max_connect_attempts 1) is spent: URX after UF.
        flags.add('UF');
        flags.add('URX');
        cs.counter('upstream_cx_connect_attempts_exceeded').inc();
      }
      release();
      down.destroy();
      log();
    });
    up.on('close', () => {
      clearTimeout(timer);
      release();
      down.destroy();
      log();
    });
    down.on('close', () => {
      up.destroy();
      release();
      log();
    });
  }
}
