/**
 * The outbound listener's TLS filter chains: the ClientHello's SNI picks the chain pilot wrote
 * for a ServiceEntry's TLS/HTTPS port, whose tcp_proxy passes the stream through untouched to
 * that host's cluster `outbound|443||<host>`; no chain matches → the catch-all chain, tcp_proxy to
 * PassthroughCluster (ALLOW_ANY) or BlackHoleCluster (REGISTRY_ONLY: no host, the connection is
 * closed). Stats as Envoy names them: `tcp.<stat_prefix>.*` for the proxy (Istio's stat_prefix is
 * the cluster name), `cluster.<name>.upstream_cx_*` for the cluster.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { TcpLogEntry } from './accessLog.js';
import { parseClientHello } from './clientHello.js';
import type { OutboundTrafficPolicy, TlsPassthrough } from './envoyConfig.js';
import { BLACK_HOLE_CLUSTER, PASSTHROUGH_CLUSTER } from './outbound.js';
import type { StatStore } from './stats.js';

export type { TcpLogEntry } from './accessLog.js';

export interface SniProxyOptions {
  chains: readonly TlsPassthrough[];
  policy: OutboundTrafficPolicy;
  store: StatStore;
  /** where the outside TLS hosts are served (the rehearsal's HTTPS upstream); undefined = none */
  upstream: { address: string; port: number } | undefined;
  connectTimeoutMs: number;
  /** called once per TLS connection when it is over (for the access log) */
  onDone?: (e: TcpLogEntry) => void;
}

type TcpLog = (cluster: string, flags: string, upstreamHost: string | undefined, upstreamLocalAddress: string | undefined, rx: number, tx: number) => void;

function sniMatches(patterns: readonly string[], sni: string): boolean {
  return patterns.some((p) => p === sni || (p.startsWith('*.') && sni.endsWith(p.slice(1))) || p === '*');
}

export class SniProxy {
  constructor(private readonly o: SniProxyOptions) {
    for (const c of o.chains) this.registerStats(c.clusterName, c.statName);
    if (o.policy === 'ALLOW_ANY') this.registerStats(PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER);
    else {
      o.store.counter(`tcp.${BLACK_HOLE_CLUSTER}.downstream_cx_total`);
      o.store.counter(`cluster.${BLACK_HOLE_CLUSTER}.upstream_cx_none_healthy`);
    }
  }

  private registerStats(prefix: string, statName: string): void {
    const s = this.o.store;
    for (const n of ['downstream_cx_total', 'downstream_cx_rx_bytes_total', 'downstream_cx_tx_bytes_total', 'downstream_cx_no_route', 'idle_timeout']) s.counter(`tcp.${prefix}.${n}`);
    for (const n of ['upstream_cx_total', 'upstream_cx_connect_fail', 'upstream_cx_rx_bytes_total', 'upstream_cx_tx_bytes_total', 'upstream_cx_destroy']) s.counter(`cluster.${statName}.${n}`);
  }

  /** A new downstream connection whose first bytes looked like TLS: read the ClientHello, then route it. */
  accept(socket: Socket, first: Buffer): void {
    const start = new Date();
    const t0 = performance.now();
    let buf = first;
    const decide = (): void => {
      const r = parseClientHello(buf);
      if (r.kind === 'need-more') return;
      socket.off('data', onData);
      socket.pause();
      // tls_inspector found no ClientHello it can read: Envoy closes the connection.
      if (r.kind !== 'client-hello') {
        socket.destroy();
        return;
      }
      const chain = this.o.chains.find((c) => sniMatches(c.sniHosts, r.sni));
      const downstreamLocalAddress = `${socket.localAddress ?? ''}:${socket.localPort ?? 0}`;
      const downstreamRemoteAddress = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`;
      const log: TcpLog = (cluster, flags, upstreamHost, upstreamLocalAddress, rx, tx) =>
        this.o.onDone?.({
          start,
          durationMs: performance.now() - t0,
          sni: r.sni,
          cluster,
          upstreamHost,
          upstreamLocalAddress,
          downstreamLocalAddress,
          downstreamRemoteAddress,
          bytesReceived: rx,
          bytesSent: tx,
          flags,
        });
      if (chain) this.proxy(socket, buf, chain.clusterName, chain.statName, log);
      else if (this.o.policy === 'ALLOW_ANY') this.proxy(socket, buf, PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER, log);
      else {
        const s = this.o.store;
        s.counter(`tcp.${BLACK_HOLE_CLUSTER}.downstream_cx_total`).inc();
        s.counter(`cluster.${BLACK_HOLE_CLUSTER}.upstream_cx_none_healthy`).inc();
        socket.destroy();
        log(BLACK_HOLE_CLUSTER, 'UH', undefined, undefined, buf.length, 0);
      }
    };
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      decide();
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    decide();
  }

  private proxy(down: Socket, initial: Buffer, prefix: string, statName: string, log: TcpLog): void {
    const s = this.o.store;
    const tcp = (n: string): ReturnType<StatStore['counter']> => s.counter(`tcp.${prefix}.${n}`);
    const cl = (n: string): ReturnType<StatStore['counter']> => s.counter(`cluster.${statName}.${n}`);
    tcp('downstream_cx_total').inc();
    const target = this.o.upstream;
    let rx = initial.length;
    let tx = 0;
    tcp('downstream_cx_rx_bytes_total').inc(initial.length);
    if (!target) {
      cl('upstream_cx_none_healthy').inc();
      down.destroy();
      log(prefix, 'UH', undefined, undefined, rx, tx);
      return;
    }
    const hostKey = `${target.address}:${target.port}`;
    cl('upstream_cx_total').inc();
    const up = connect({ host: target.address, port: target.port });
    up.setNoDelay(true);
    let connected = false;
    let upstreamLocal: string | undefined;
    let finished = false;
    const finish = (flags: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (connected) cl('upstream_cx_destroy').inc();
      log(prefix, flags, hostKey, upstreamLocal, rx, tx);
    };
    const timer = setTimeout(() => up.destroy(new Error('connect timeout')), this.o.connectTimeoutMs);
    timer.unref();
    up.once('connect', () => {
      connected = true;
      upstreamLocal = `${up.localAddress ?? ''}:${up.localPort ?? 0}`;
      clearTimeout(timer);
      up.write(initial);
      cl('upstream_cx_tx_bytes_total').inc(initial.length);
      down.on('data', (c: Buffer) => {
        rx += c.length;
        tcp('downstream_cx_rx_bytes_total').inc(c.length);
        cl('upstream_cx_tx_bytes_total').inc(c.length);
      });
      up.on('data', (c: Buffer) => {
        tx += c.length;
        tcp('downstream_cx_tx_bytes_total').inc(c.length);
        cl('upstream_cx_rx_bytes_total').inc(c.length);
      });
      down.pipe(up);
      up.pipe(down);
      down.resume();
    });
    up.on('error', () => {
      if (!connected) cl('upstream_cx_connect_fail').inc();
      down.destroy();
      finish(connected ? '-' : 'UF');
    });
    up.on('close', () => {
      down.destroy();
      finish('-');
    });
    down.on('close', () => {
      up.destroy();
      finish('-');
    });
  }
}
