/**
 * Envoy's HTTP/1.1 connection pool for one (worker lane × host), as in conn_pool_base.cc
 * (envoy-circuit-breaking.md §2.2–2.5): clients connecting / ready / busy / draining, a FIFO
 * of pending streams, cluster-wide resources checked with `current < max`, and the rule that a
 * pool with no connection at all may always open one even past max_connections.
 */
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ResourceManager } from './breaker.js';
import type { ClusterStats } from './clusterStats.js';
import type { ClusterConfig } from './envoyConfig.js';
import type { UpstreamHost } from './host.js';
import type { ResetReason } from './localReply.js';
import type { LocalOriginResult } from './outlier.js';
import { preciseDelay } from './preciseDelay.js';
import { UpstreamConnection } from './upstreamConn.js';
import type { RawHeaders, ResponseHandlers } from './upstreamConn.js';
import { http1RequestHead } from './envoyHeaders.js';

export interface PoolContext {
  readonly config: ClusterConfig;
  readonly resources: ResourceManager;
  readonly stats: ClusterStats;
  /** what a real mesh adds to every new upstream connection (mTLS handshake), in ms */
  handshakeMs(): number;
  reportLocalOrigin(host: UpstreamHost, result: LocalOriginResult): void;
}

/** One attempt's request as the router built it; each pool encodes it for its protocol. */
export interface UpstreamRequest {
  method: string;
  path: string;
  /** lowercase names, `host` included */
  headers: RawHeaders;
  body: Buffer;
  isHead: boolean;
}

/** A stream bound to an upstream connection. Exactly one of the handlers' onEnd/onReset follows send(). */
export interface AttachedStream {
  readonly host: UpstreamHost;
  send(req: UpstreamRequest, handlers: ResponseHandlers): void;
  /** abandon the stream (timeout, downstream gone): closes the connection, no handler is called */
  reset(): void;
}

export interface StreamCallbacks {
  onPoolReady(stream: AttachedStream): void;
  onPoolFailure(reason: ResetReason): void;
}

export interface Cancellable {
  cancel(): void;
}

/** What the router and the cluster need of a (lane × host) pool, whatever its protocol. */
export interface HostPool {
  readonly connectionCount: number;
  readonly pendingCount: number;
  /** A request routed to this pool's host. May call back synchronously. */
  newStream(cb: StreamCallbacks): Cancellable | undefined;
  /** Closes idle connections (host ejected). */
  closeIdle(): void;
  /** Tears everything down (sidecar shutdown). */
  shutdown(): void;
}

type ClientState = 'connecting' | 'ready' | 'busy' | 'draining' | 'closed';

class ActiveClient {
  state: ClientState = 'connecting';
  conn: UpstreamConnection | undefined;
  remaining: number;
  timedOut = false;
  connectTimer: NodeJS.Timeout | undefined;
  handshake: { cancel(): void } | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  durationTimer: NodeJS.Timeout | undefined;
  streamActive = false;
  closedLocally = false;
  constructor(maxRequests: number) {
    this.remaining = maxRequests > 0 ? maxRequests : Infinity;
  }
  clearTimers(): void {
    clearTimeout(this.connectTimer);
    this.handshake?.cancel();
    clearTimeout(this.idleTimer);
    clearTimeout(this.durationTimer);
  }
}

interface PendingStream {
  cb: StreamCallbacks;
}

export class ConnPool implements HostPool {
  private readonly connecting: ActiveClient[] = [];
  private readonly ready: ActiveClient[] = [];
  /** busy and draining clients (Envoy keeps both in one list, which matters for the exemption) */
  private readonly busy: ActiveClient[] = [];
  private readonly pending: PendingStream[] = [];
  private shuttingDown = false;

  constructor(
    private readonly ctx: PoolContext,
    readonly host: UpstreamHost,
    readonly lane: number,
  ) {}

  get connectionCount(): number {
    return this.connecting.length + this.ready.length + this.busy.length;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** A request routed to this pool's host. May call back synchronously. */
  newStream(cb: StreamCallbacks): Cancellable | undefined {
    const client = this.ready[0];
    if (client) {
      this.attach(client, cb);
      return undefined;
    }
    const r = this.ctx.resources;
    if (!r.pendingRequests.canCreate()) {
      this.ctx.stats.inc('upstream_rq_pending_overflow');
      cb.onPoolFailure('overflow');
      return undefined;
    }
    const p: PendingStream = { cb };
    this.pending.push(p);
    r.pendingRequests.inc();
    this.ctx.stats.inc('upstream_rq_pending_total');
    this.tryCreateNewConnections();
    return {
      cancel: () => {
        const i = this.pending.indexOf(p);
        if (i < 0) return;
        this.pending.splice(i, 1);
        r.pendingRequests.dec();
        this.ctx.stats.inc('upstream_rq_cancelled');
      },
    };
  }

  /** Closes idle connections (host ejected). */
  closeIdle(): void {
    for (const c of [...this.ready]) this.closeClient(c, true);
  }

  /** Tears everything down (sidecar shutdown). */
  shutdown(): void {
    this.shuttingDown = true;
    for (const p of this.pending.splice(0)) {
      this.ctx.resources.pendingRequests.dec();
      p.cb.onPoolFailure('local reset');
    }
    for (const c of [...this.connecting, ...this.ready, ...this.busy]) this.closeClient(c, true);
  }

  private attach(client: ActiveClient, cb: StreamCallbacks): boolean {
    const r = this.ctx.resources;
    const b = this.ctx.config.behaviour;
    // HTTP/1.1 pools honour max_requests only since Envoy 1.14's unified pools (§8.6).
    if (b.maxRequestsOnHttp1 && !r.requests.canCreate()) {
      // Envoy charges the requests breaker to the *pending* overflow counter (§2.2) until 1.38 (§8.11).
      this.ctx.stats.inc(b.activeOverflowStat ? 'upstream_rq_active_overflow' : 'upstream_rq_pending_overflow');
      cb.onPoolFailure('overflow');
      return false;
    }
    clearTimeout(client.idleTimer);
    client.remaining--;
    if (client.remaining <= 0) {
      this.ctx.stats.inc('upstream_cx_max_requests');
      this.setState(client, 'draining');
    } else {
      this.setState(client, 'busy');
    }
    client.streamActive = true;
    r.requests.inc();
    this.host.rqTotal++;
    this.host.rqActive++;
    this.ctx.stats.inc('upstream_rq_total');
    cb.onPoolReady(this.makeStream(client));
    return true;
  }

  private makeStream(client: ActiveClient): AttachedStream {
    let done = false;
    const finish = (): void => {
      done = true;
      client.streamActive = false;
      this.ctx.resources.requests.dec();
      this.host.rqActive--;
    };
    return {
      host: this.host,
      send: (req, h) => {
        const conn = client.conn;
        if (!conn || conn.closed) {
          finish();
          h.onReset();
          return;
        }
        conn.send(http1RequestHead(req.method, req.path, req.headers), req.body, req.isHead, {
          onHeaders: (s, hd) => {
            if (!done) h.onHeaders(s, hd);
          },
          onData: (d) => {
            if (!done) h.onData(d);
          },
          onEnd: () => {
            if (done) return;
            finish();
            // Free the pool before the router answers downstream, as Envoy does: the client
            // cannot send its next request before this point.
            this.onStreamComplete(client);
            h.onEnd();
          },
          onReset: () => {
            if (done) return;
            finish();
            this.ctx.stats.inc('upstream_rq_rx_reset');
            h.onReset();
          },
        });
      },
      reset: () => {
        if (done) return;
        finish();
        this.ctx.stats.inc('upstream_rq_tx_reset');
        this.closeClient(client, true);
      },
    };
  }

  private onStreamComplete(client: ActiveClient): void {
    if (client.state === 'closed') return;
    if (client.state === 'draining' || client.conn?.mustClose || this.shuttingDown) {
      this.closeClient(client, true);
      return;
    }
    this.setState(client, 'ready');
    this.onUpstreamReady();
    if (client.state === 'ready') this.armIdle(client);
  }

  private armIdle(client: ActiveClient): void {
    const t = this.ctx.config.idleTimeoutMs;
    if (t <= 0) return;
    clearTimeout(client.idleTimer);
    client.idleTimer = setTimeout(() => {
      if (client.state !== 'ready') return;
      this.ctx.stats.inc('upstream_cx_idle_timeout');
      this.closeClient(client, true);
    }, t);
    client.idleTimer.unref();
  }

  /** Pending streams take ready clients, oldest first. */
  private onUpstreamReady(): void {
    while (this.pending.length > 0 && this.ready.length > 0) {
      const p = this.pending.shift() as PendingStream;
      this.ctx.resources.pendingRequests.dec();
      this.attach(this.ready[0] as ActiveClient, p.cb);
    }
  }

  private tryCreateNewConnections(): void {
    // Envoy caps the connections opened per trigger at 3.
    for (let i = 0; i < 3; i++) {
      if (this.tryCreateNewConnection() !== 'created') break;
    }
  }

  private tryCreateNewConnection(): 'created' | 'created-past-limit' | 'no' {
    if (this.shuttingDown) return 'no';
    // Enough connections are on their way for the queued streams (each HTTP/1.1 client carries one).
    if (this.connecting.length >= this.pending.length) return 'no';
    const can = this.ctx.resources.connections.canCreate();
    if (!can) this.ctx.stats.inc('upstream_cx_overflow');
    if (can || this.connectionCount === 0) {
      this.createClient();
      return can ? 'created' : 'created-past-limit';
    }
    return 'no';
  }

  private createClient(): void {
    const cfg = this.ctx.config;
    const client = new ActiveClient(cfg.maxRequestsPerConnection);
    this.connecting.push(client);
    this.ctx.resources.connections.inc();
    this.ctx.stats.inc('upstream_cx_total');
    this.ctx.stats.inc('upstream_cx_http1_total');
    this.host.cxTotal++;
    this.host.cxActive++;
    const tls = cfg.tls;
    const socket = tls
      ? tlsConnect({ host: this.host.address, port: this.host.port, servername: tls.sni, ...(tls.caPem !== undefined ? { ca: tls.caPem } : {}) })
      : connect({ host: this.host.address, port: this.host.port });
    const conn = new UpstreamConnection(socket);
    client.conn = conn;
    client.connectTimer = setTimeout(() => {
      client.timedOut = true;
      socket.destroy();
    }, cfg.connectTimeoutMs);
    client.connectTimer.unref();
    // TLS origination: the connection is ready once the handshake (and certificate check) is done.
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      if (tls) this.ctx.stats.counter('ssl.handshake').inc();
      const h = this.ctx.handshakeMs();
      if (h <= 0) this.onConnected(client);
      else client.handshake = preciseDelay(h, () => this.onConnected(client));
    });
    conn.onClose(() => this.onClientClosed(client));
  }

  private onConnected(client: ActiveClient): void {
    if (client.state !== 'connecting') return;
    clearTimeout(client.connectTimer);
    this.ctx.reportLocalOrigin(this.host, 'connect-success');
    const d = this.ctx.config.maxConnectionDurationMs;
    if (d > 0) {
      client.durationTimer = setTimeout(() => {
        this.ctx.stats.inc('upstream_cx_max_duration_reached');
        if (client.state === 'ready') this.closeClient(client, true);
        else if (client.state === 'busy') this.setState(client, 'draining');
      }, d);
      client.durationTimer.unref();
    }
    this.setState(client, 'ready');
    this.onUpstreamReady();
    if ((client.state as ClientState) === 'ready') this.armIdle(client);
  }

  private listOf(state: ClientState): ActiveClient[] | undefined {
    switch (state) {
      case 'connecting':
        return this.connecting;
      case 'ready':
        return this.ready;
      case 'busy':
      case 'draining':
        return this.busy;
      default:
        return undefined;
    }
  }

  private setState(client: ActiveClient, next: ClientState): void {
    const from = this.listOf(client.state);
    const to = this.listOf(next);
    if (from !== to) {
      if (from) {
        const i = from.indexOf(client);
        if (i >= 0) from.splice(i, 1);
      }
      to?.push(client);
    }
    client.state = next;
  }

  private closeClient(client: ActiveClient, local: boolean): void {
    if (client.state === 'closed') return;
    client.closedLocally = local;
    // Account synchronously so the next request already sees the freed connection.
    this.onClientClosed(client);
    client.conn?.destroy();
  }

  private onClientClosed(client: ActiveClient): void {
    if (client.state === 'closed') return;
    const wasConnecting = client.state === 'connecting';
    client.clearTimers();
    this.setState(client, 'closed');
    this.ctx.resources.connections.dec();
    this.host.cxActive--;
    const s = this.ctx.stats;
    s.inc('upstream_cx_destroy');
    s.inc(client.closedLocally ? 'upstream_cx_destroy_local' : 'upstream_cx_destroy_remote');
    if (client.streamActive) {
      s.inc('upstream_cx_destroy_with_active_rq');
      s.inc(client.closedLocally ? 'upstream_cx_destroy_local_with_active_rq' : 'upstream_cx_destroy_remote_with_active_rq');
    }
    if (wasConnecting && !this.shuttingDown && !client.closedLocally) {
      s.inc('upstream_cx_connect_fail');
      this.host.cxConnectFail++;
      if (client.timedOut) s.inc('upstream_cx_connect_timeout');
      // A failed connect fails every queued stream of this pool (they may be retried). The
      // router charges outlier detection once per failed request, not per connection
      // (router.cc onUpstreamReset, §8.7).
      const reason: ResetReason = client.timedOut ? 'connection timeout' : 'connection failure';
      for (const p of this.pending.splice(0)) {
        this.ctx.resources.pendingRequests.dec();
        s.inc('upstream_rq_pending_failure_eject');
        this.ctx.reportLocalOrigin(this.host, client.timedOut ? 'timeout' : 'connect-failed');
        p.cb.onPoolFailure(reason);
      }
    }
    if (this.pending.length > 0) this.tryCreateNewConnections();
  }
}
