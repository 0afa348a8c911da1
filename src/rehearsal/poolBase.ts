/**
 * What Envoy's HTTP/1.1 and HTTP/2 connection pools share: ConnPoolImplBase
 * (source/common/conn_pool/conn_pool_base.cc, envoy-circuit-breaking.md §2.2–2.5). Per
 * (worker lane × host): clients connecting / ready / busy / draining, a FIFO of pending streams
 * bounded by the pending breaker, the requests breaker at attach where the protocol enforces it,
 * the connections breaker with the rule that a pool with no connection may always open one, each
 * client's request budget (max_requests_per_connection) and stream capacity, idle / duration /
 * connect timers and the teardown stats. A protocol adds its transport and codec: how a client
 * connects, how a stream is sent on it and when a client must close after a stream.
 */
import type { ResourceManager } from './breaker.js';
import type { ClusterStats } from './clusterStats.js';
import type { ClusterConfig } from './envoyConfig.js';
import type { UpstreamHost } from './host.js';
import type { ResetReason } from './localReply.js';
import type { LocalOriginResult } from './outlier.js';
import { preciseDelay } from './preciseDelay.js';
import type { RawHeaders, ResponseHandlers } from './upstreamConn.js';

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
  /** abandon the stream (timeout, downstream gone); no handler is called */
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

export type ClientState = 'connecting' | 'ready' | 'busy' | 'draining' | 'closed';

/** ActiveClient: one upstream connection and its stream accounting. */
export abstract class PoolClient {
  state: ClientState = 'connecting';
  /** requests it may still carry (max_requests_per_connection) */
  remaining: number;
  /** concurrent streams it may carry (HTTP/1.1: one) */
  streamLimit: number;
  active = 0;
  timedOut = false;
  closedLocally = false;
  connectTimer: NodeJS.Timeout | undefined;
  handshake: { cancel(): void } | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  durationTimer: NodeJS.Timeout | undefined;
  constructor(maxRequests: number, streamLimit: number) {
    this.remaining = maxRequests > 0 ? maxRequests : Infinity;
    this.streamLimit = streamLimit;
  }
  /** ActiveClient::currentUnusedCapacity */
  get unused(): number {
    return Math.max(0, Math.min(this.remaining, this.streamLimit - this.active));
  }
  clearTimers(): void {
    clearTimeout(this.connectTimer);
    this.handshake?.cancel();
    clearTimeout(this.idleTimer);
    clearTimeout(this.durationTimer);
  }
  /** closes the transport; its close event follows */
  abstract destroy(): void;
}

interface PendingStream {
  cb: StreamCallbacks;
}

export abstract class PoolBase<C extends PoolClient> implements HostPool {
  protected readonly connecting: C[] = [];
  protected readonly ready: C[] = [];
  /** busy and draining clients (Envoy keeps both in one list, which matters for the exemption) */
  protected readonly busy: C[] = [];
  protected readonly pending: PendingStream[] = [];
  protected shuttingDown = false;

  constructor(
    protected readonly ctx: PoolContext,
    readonly host: UpstreamHost,
    readonly lane: number,
  ) {}

  /** Envoy's enforceMaxRequests(): the requests breaker is checked when a stream attaches */
  protected abstract readonly enforcesMaxRequests: boolean;
  /** upstream_cx_http1_total / upstream_cx_http2_total */
  protected abstract readonly codecStat: 'upstream_cx_http1_total' | 'upstream_cx_http2_total';
  /** A new client with its transport started: its connect calls transportUp, its close onClientClosed. */
  protected abstract newClient(): C;
  protected abstract makeStream(client: C): AttachedStream;
  /** the codec asks to close once the stream is over (HTTP/1.1 Connection: close) */
  protected mustCloseAfterStream(_client: C): boolean {
    return false;
  }

  get connectionCount(): number {
    return this.connecting.length + this.ready.length + this.busy.length;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

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

  closeIdle(): void {
    for (const c of [...this.ready]) if (c.active === 0) this.closeClient(c, true);
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const p of this.pending.splice(0)) {
      this.ctx.resources.pendingRequests.dec();
      p.cb.onPoolFailure('local reset');
    }
    for (const c of [...this.connecting, ...this.ready, ...this.busy]) this.closeClient(c, true);
  }

  /** conn_pool_base.cc attachStreamToClient */
  private attach(client: C, cb: StreamCallbacks): void {
    const r = this.ctx.resources;
    if (this.enforcesMaxRequests && !r.requests.canCreate()) {
      // Envoy charges the requests breaker to the *pending* overflow counter (§2.2) until 1.38 (§8.11, PR #44164).
      this.ctx.stats.inc(this.ctx.config.behaviour.activeOverflowStat ? 'upstream_rq_active_overflow' : 'upstream_rq_pending_overflow');
      cb.onPoolFailure('overflow');
      return;
    }
    clearTimeout(client.idleTimer);
    const capacity = client.unused;
    client.remaining--;
    client.active++;
    if (client.remaining <= 0) {
      this.ctx.stats.inc('upstream_cx_max_requests');
      this.setState(client, 'draining');
    } else if (capacity <= 1) {
      this.setState(client, 'busy');
    }
    r.requests.inc();
    this.host.rqTotal++;
    this.host.rqActive++;
    this.ctx.stats.inc('upstream_rq_total');
    cb.onPoolReady(this.makeStream(client));
  }

  /** A stream is over (answered or reset): its resources go back. */
  protected releaseStream(client: C): void {
    client.active--;
    this.ctx.resources.requests.dec();
    this.host.rqActive--;
  }

  /** conn_pool_base.cc onStreamClosed: a full client has room again, a draining one closes when empty */
  protected onStreamClosed(client: C): void {
    if (client.state === 'closed') return;
    if (client.state === 'draining' || this.shuttingDown || this.mustCloseAfterStream(client)) {
      if (client.active === 0) this.closeClient(client, true);
      return;
    }
    if (client.state === 'busy' && client.unused > 0) this.setState(client, 'ready');
    this.onUpstreamReady();
    if (client.state === 'ready' && client.active === 0) this.armIdle(client);
  }

  private armIdle(client: C): void {
    const t = this.ctx.config.idleTimeoutMs;
    if (t <= 0) return;
    clearTimeout(client.idleTimer);
    client.idleTimer = setTimeout(() => {
      if (client.state !== 'ready' || client.active > 0) return;
      this.ctx.stats.inc('upstream_cx_idle_timeout');
      this.closeClient(client, true);
    }, t);
    client.idleTimer.unref();
  }

  /** Pending streams take the free streams of ready clients, oldest first. */
  protected onUpstreamReady(): void {
    while (this.pending.length > 0 && this.ready.length > 0) {
      const p = this.pending.shift() as PendingStream;
      this.ctx.resources.pendingRequests.dec();
      this.attach(this.ready[0] as C, p.cb);
    }
  }

  private tryCreateNewConnections(): void {
    // Envoy caps the connections opened per trigger at 3.
    for (let i = 0; i < 3; i++) {
      if (this.tryCreateNewConnection() !== 'created') break;
    }
  }

  /** Streams the connections being set up will carry (conn_pool_base.cc connecting_stream_capacity_). */
  private get connectingCapacity(): number {
    let n = 0;
    for (const c of this.connecting) n += c.unused;
    return n;
  }

  private tryCreateNewConnection(): 'created' | 'created-past-limit' | 'no' {
    if (this.shuttingDown) return 'no';
    // shouldCreateNewConnection with the default preconnect ratio 1: only when the pending streams exceed what is on its way.
    if (this.pending.length <= this.connectingCapacity) return 'no';
    const can = this.ctx.resources.connections.canCreate();
    if (!can) this.ctx.stats.inc('upstream_cx_overflow');
    if (can || this.connectionCount === 0) {
      this.createClient();
      return can ? 'created' : 'created-past-limit';
    }
    return 'no';
  }

  private createClient(): void {
    const client = this.newClient();
    this.connecting.push(client);
    this.ctx.resources.connections.inc();
    this.ctx.stats.inc('upstream_cx_total');
    this.ctx.stats.inc(this.codecStat);
    this.host.cxTotal++;
    this.host.cxActive++;
    client.connectTimer = setTimeout(() => {
      client.timedOut = true;
      client.destroy();
    }, this.ctx.config.connectTimeoutMs);
    client.connectTimer.unref();
  }

  /** The transport is up (TLS origination: handshake and certificate check done); the mesh's handshake delay follows. */
  protected transportUp(client: C): void {
    if (this.ctx.config.tls) this.ctx.stats.counter('ssl.handshake').inc();
    const h = this.ctx.handshakeMs();
    if (h <= 0) this.onConnected(client);
    else client.handshake = preciseDelay(h, () => this.onConnected(client));
  }

  private onConnected(client: C): void {
    if (client.state !== 'connecting') return;
    clearTimeout(client.connectTimer);
    this.ctx.reportLocalOrigin(this.host, 'connect-success');
    const d = this.ctx.config.maxConnectionDurationMs;
    if (d > 0) {
      client.durationTimer = setTimeout(() => {
        this.ctx.stats.inc('upstream_cx_max_duration_reached');
        if (client.active === 0) this.closeClient(client, true);
        else this.setState(client, 'draining');
      }, d);
      client.durationTimer.unref();
    }
    this.setState(client, client.unused > 0 ? 'ready' : 'busy');
    this.onUpstreamReady();
    if ((client.state as ClientState) === 'ready' && client.active === 0) this.armIdle(client);
  }

  private listOf(state: ClientState): C[] | undefined {
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

  protected setState(client: C, next: ClientState): void {
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

  protected closeClient(client: C, local: boolean): void {
    if (client.state === 'closed') return;
    client.closedLocally = local;
    // Account synchronously so the next request already sees the freed connection.
    this.onClientClosed(client);
    client.destroy();
  }

  protected onClientClosed(client: C): void {
    if (client.state === 'closed') return;
    const wasConnecting = client.state === 'connecting';
    const withActive = client.active > 0;
    client.clearTimers();
    this.setState(client, 'closed');
    this.ctx.resources.connections.dec();
    this.host.cxActive--;
    const s = this.ctx.stats;
    s.inc('upstream_cx_destroy');
    s.inc(client.closedLocally ? 'upstream_cx_destroy_local' : 'upstream_cx_destroy_remote');
    if (withActive) {
      s.inc('upstream_cx_destroy_with_active_rq');
      s.inc(client.closedLocally ? 'upstream_cx_destroy_local_with_active_rq' : 'upstream_cx_destroy_remote_with_active_rq');
    }
    if (wasConnecting && !this.shuttingDown && !client.closedLocally) {
      s.inc('upstream_cx_connect_fail');
      this.host.cxConnectFail++;
      if (client.timedOut) s.inc('upstream_cx_connect_timeout');
      // A failed connect fails every queued stream of this pool (purgePendingStreams; they may
      // be retried). The router charges outlier detection once per failed request, not per
      // connection (router.cc onUpstreamReset, §8.7).
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
