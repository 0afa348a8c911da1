/**
 * Envoy's HTTP/2 connection pool for one (worker lane × host): source/common/http/http2/conn_pool.cc
 * on the shared core of source/common/conn_pool/conn_pool_base.cc. Streams share a connection up
 * to its stream limit (min of http2_protocol_options.max_concurrent_streams and the upstream's
 * SETTINGS_MAX_CONCURRENT_STREAMS) and its remaining max_requests_per_connection; a stream waits
 * as pending only while no connection has a free stream (one being set up, or all full); the
 * requests breaker (`http2MaxRequests`) is checked when a stream attaches, and rejects.
 */
import { connect, constants as h2 } from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { AttachedStream, Cancellable, HostPool, PoolContext, StreamCallbacks, UpstreamRequest } from './connPool.js';
import type { UpstreamHost } from './host.js';
import type { ResetReason } from './localReply.js';
import { preciseDelay } from './preciseDelay.js';
import { addHeaders } from './envoyHeaders.js';
import type { RawHeaders, ResponseHandlers } from './upstreamConn.js';

/** Envoy's default http2_protocol_options.max_concurrent_streams (what Istio leaves when the DR sets none). */
export const ENVOY_DEFAULT_MAX_CONCURRENT_STREAMS = 2147483647;

type ClientState = 'connecting' | 'ready' | 'busy' | 'draining' | 'closed';

class H2Client {
  state: ClientState = 'connecting';
  session: ClientHttp2Session | undefined;
  remaining: number;
  /** the effective concurrent stream limit: the configured one until the upstream's SETTINGS lower it */
  streamLimit: number;
  active = 0;
  timedOut = false;
  closedLocally = false;
  connectTimer: NodeJS.Timeout | undefined;
  handshake: { cancel(): void } | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  durationTimer: NodeJS.Timeout | undefined;
  constructor(
    maxRequests: number,
    readonly configuredLimit: number,
  ) {
    this.remaining = maxRequests > 0 ? maxRequests : Infinity;
    this.streamLimit = configuredLimit;
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
}

interface PendingStream {
  cb: StreamCallbacks;
}

function rawOf(h: IncomingHttpHeaders): RawHeaders {
  const out: RawHeaders = [];
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) out.push([k, String(x)]);
  }
  return out;
}

/** The router's request as HTTP/2 headers: Host becomes :authority (header_utility.cc / the h2 codec). */
function h2Headers(req: UpstreamRequest, secure: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': req.method, ':path': req.path, ':scheme': secure ? 'https' : 'http' };
  for (const [k, v] of req.headers) if (k === 'host') out[':authority'] = v;
  return addHeaders(out, req.headers.filter(([k]) => k !== 'host'));
}

export class H2ConnPool implements HostPool {
  private readonly connecting: H2Client[] = [];
  private readonly ready: H2Client[] = [];
  /** busy and draining clients, as Envoy keeps them */
  private readonly busy: H2Client[] = [];
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
  private attach(client: H2Client, cb: StreamCallbacks): void {
    const r = this.ctx.resources;
    if (!r.requests.canCreate()) {
      // The requests breaker is charged to the pending overflow counter until Envoy 1.38 (§8.11, PR #44164).
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

  private makeStream(client: H2Client): AttachedStream {
    let done = false;
    let stream: ClientHttp2Stream | undefined;
    const finish = (): void => {
      done = true;
      this.ctx.resources.requests.dec();
      this.host.rqActive--;
      this.onStreamClosed(client);
    };
    return {
      host: this.host,
      send: (req, h) => {
        const session = client.session;
        if (!session || session.closed || session.destroyed || client.state === 'closed') {
          finish();
          h.onReset();
          return;
        }
        const noBody = req.body.length === 0;
        try {
          stream = session.request(h2Headers(req, this.ctx.config.tls !== undefined), { endStream: noBody });
        } catch {
          finish();
          h.onReset();
          return;
        }
        this.wire(stream, req.isHead, {
          onHeaders: (s, hd) => {
            if (!done) h.onHeaders(s, hd);
          },
          onData: (d) => {
            if (!done) h.onData(d);
          },
          onTrailers: (t) => {
            if (!done) h.onTrailers?.(t);
          },
          onEnd: () => {
            if (done) return;
            // The stream's slot is free before the router answers downstream, as in Envoy.
            finish();
            h.onEnd();
          },
          onReset: (reason = 'connection termination') => {
            if (done) return;
            // node closes a lost session's streams before the session: account the connection
            // first, with this stream still active, as Envoy's connection event resets its streams
            if (reason === 'connection termination') this.onClientClosed(client);
            finish();
            // MultiplexedActiveClientBase::onStreamReset: a stream lost with its connection is a
            // pending failure eject, a RST_STREAM an rx reset; REFUSED_STREAM counts neither.
            if (reason === 'remote reset') this.ctx.stats.inc('upstream_rq_rx_reset');
            else if (reason === 'connection termination') this.ctx.stats.inc('upstream_rq_pending_failure_eject');
            h.onReset(reason);
          },
        });
        if (!noBody) stream.end(req.body);
      },
      reset: () => {
        if (done) return;
        finish();
        this.ctx.stats.inc('upstream_rq_tx_reset');
        // An HTTP/2 stream reset leaves the connection and its other streams alone.
        if (stream && !stream.closed) stream.close(h2.NGHTTP2_CANCEL);
      },
    };
  }

  private wire(stream: ClientHttp2Stream, _isHead: boolean, h: ResponseHandlers): void {
    let ended = false;
    // node:http2 unlinks a stream from its session when it closes: keep the session to ask it then
    const session = stream.session;
    let headers = false;
    stream.on('response', (hd) => {
      headers = true;
      h.onHeaders(Number(hd[':status'] ?? 0), rawOf(hd));
    });
    stream.on('data', (d: Buffer) => h.onData(d));
    stream.on('trailers', (t) => h.onTrailers?.(rawOf(t)));
    stream.on('end', () => {
      // node:http2 also ends the readable side of a stream its session lost: without response
      // headers that is no response, and 'close' says why
      if (!headers) return;
      ended = true;
      h.onEnd();
    });
    stream.on('error', () => {
      /* 'close' follows */
    });
    stream.on('close', () => {
      if (ended) return;
      // node:http2 destroys a session's streams after marking the session destroyed, so a stream
      // that closes on a live (even draining) session was reset by an RST_STREAM, or refused by a
      // GOAWAY (nghttp2 closes those with REFUSED_STREAM, as Envoy's codec sees them).
      if (session === undefined || session.destroyed) h.onReset('connection termination');
      else h.onReset(stream.rstCode === h2.NGHTTP2_REFUSED_STREAM ? 'remote refused stream reset' : 'remote reset');
    });
  }

  /** conn_pool_base.cc onStreamClosed: a full client has room again, a draining one closes when empty */
  private onStreamClosed(client: H2Client): void {
    client.active--;
    if (client.state === 'closed') return;
    if (client.state === 'draining' || this.shuttingDown) {
      if (client.active === 0) this.closeClient(client, true);
      return;
    }
    if (client.state === 'busy' && client.unused > 0) this.setState(client, 'ready');
    this.onUpstreamReady();
    if (client.state === 'ready' && client.active === 0) this.armIdle(client);
  }

  private armIdle(client: H2Client): void {
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

  /** Pending streams take free streams of ready clients, oldest first. */
  private onUpstreamReady(): void {
    while (this.pending.length > 0 && this.ready.length > 0) {
      const p = this.pending.shift() as PendingStream;
      this.ctx.resources.pendingRequests.dec();
      this.attach(this.ready[0] as H2Client, p.cb);
    }
  }

  private tryCreateNewConnections(): void {
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
    const cfg = this.ctx.config;
    const configured = cfg.maxConcurrentStreams > 0 ? cfg.maxConcurrentStreams : ENVOY_DEFAULT_MAX_CONCURRENT_STREAMS;
    const client = new H2Client(cfg.maxRequestsPerConnection, configured);
    this.connecting.push(client);
    this.ctx.resources.connections.inc();
    this.ctx.stats.inc('upstream_cx_total');
    this.ctx.stats.inc('upstream_cx_http2_total');
    this.host.cxTotal++;
    this.host.cxActive++;
    const tls = cfg.tls;
    const authority = `${tls ? 'https' : 'http'}://${this.host.key}`;
    const session = connect(authority, {
      settings: { enablePush: false },
      ...(tls ? { servername: tls.sni, ALPNProtocols: ['h2'], ...(tls.caPem !== undefined ? { ca: tls.caPem } : {}) } : {}),
    });
    client.session = session;
    session.on('error', () => {
      /* 'close' follows */
    });
    client.connectTimer = setTimeout(() => {
      client.timedOut = true;
      session.destroy();
    }, cfg.connectTimeoutMs);
    client.connectTimer.unref();
    session.once('connect', () => {
      if (tls) this.ctx.stats.counter('ssl.handshake').inc();
      const h = this.ctx.handshakeMs();
      if (h <= 0) this.onConnected(client);
      else client.handshake = preciseDelay(h, () => this.onConnected(client));
    });
    // Http2 ActiveClient::onSettings: the upstream's limit lowers (never raises) the configured one.
    session.on('remoteSettings', (s) => this.onSettings(client, s.maxConcurrentStreams));
    // A GOAWAY drains the connection: its streams finish, no new one starts on it.
    session.on('goaway', () => {
      if (client.state !== 'closed' && client.state !== 'connecting') this.setState(client, 'draining');
      if (client.active === 0) this.closeClient(client, false);
    });
    session.on('close', () => this.onClientClosed(client));
  }

  private onSettings(client: H2Client, max: number | undefined): void {
    if (max === undefined || client.state === 'closed') return;
    client.streamLimit = Math.min(max, client.configuredLimit);
    if (client.state === 'ready' && client.unused === 0) this.setState(client, 'busy');
    else if (client.state === 'busy' && client.unused > 0) {
      this.setState(client, 'ready');
      this.onUpstreamReady();
    }
  }

  private onConnected(client: H2Client): void {
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

  private listOf(state: ClientState): H2Client[] | undefined {
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

  private setState(client: H2Client, next: ClientState): void {
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

  private closeClient(client: H2Client, local: boolean): void {
    if (client.state === 'closed') return;
    client.closedLocally = local;
    this.onClientClosed(client);
    client.session?.destroy();
  }

  private onClientClosed(client: H2Client): void {
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
      const reason: ResetReason = client.timedOut ? 'connection timeout' : 'connection failure';
      // A failed connect fails every queued stream of this pool (conn_pool_base.cc purgePendingStreams).
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
