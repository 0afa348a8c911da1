/**
 * The HTTP filter chain of the emulated sidecar for one request: fault filter (delay, then
 * abort), then Envoy's router — host selection, connection pool, route timeout over all
 * attempts, per-try timeout, retries bounded by the route policy and the cluster's retry
 * breaker, and Envoy's local replies (envoy-circuit-breaking.md §2.4, §2.8, §5.2–5.4).
 */
import { chance } from '../shared/random.js';
import type { Rng } from '../shared/random.js';
import type { Cluster } from './cluster.js';
import type { AttachedStream, Cancellable } from './poolBase.js';
import type { RetryPolicy, RouteConfig } from './envoyConfig.js';
import type { UpstreamHost } from './host.js';
import { faultAbort, NO_HEALTHY_UPSTREAM, NO_ROUTE, resetReply, UPSTREAM_TIMEOUT } from './localReply.js';
import type { LocalReply, ResetReason } from './localReply.js';
import { peerMetadataHeaders } from './peerMetadata.js';
import type { PeerMetadataHeaders } from './peerMetadata.js';
import { authorityMatches, decoratorOperation, downstreamResponseHeaders, newTrace, requestIdOf, upstreamRequestHeaders } from './envoyHeaders.js';
import type { TraceContext } from './envoyHeaders.js';
import type { StreamLog } from './accessLog.js';
import { matchRoute } from './routeMatch.js';
import type { StatStore } from './stats.js';
import type { RawHeaders } from './upstreamConn.js';

export interface DownstreamRequest {
  method: string;
  path: string;
  /** raw header pairs as received */
  headers: RawHeaders;
  body: Buffer;
  lane: number;
}

/** The downstream half of the stream, implemented by the listener. */
export interface DownstreamResponder {
  readonly started: boolean;
  readonly closed: boolean;
  sendHeaders(status: number, headers: RawHeaders): void;
  sendData(chunk: Buffer): void;
  /** the response is over; HTTP/2 downstreams forward the upstream's trailers */
  end(trailers?: RawHeaders): void;
  localReply(reply: LocalReply): void;
  /** abort the downstream connection (response already started) */
  reset(): void;
  /** called if the downstream goes away before end() */
  onClose(cb: () => void): void;
  /** the endpoint of the latest attempt (access log) */
  upstreamHost: string | undefined;
  /** what the access log reports of this stream */
  readonly log: StreamLog;
}

/** The VirtualService's virtual host: requests whose authority matches none of its domains take the service's default routes. */
export interface VirtualHost {
  domains: readonly string[];
  fallback: readonly RouteConfig[];
}

export class Router {
  private readonly faultPrefix: string;
  readonly decorator: string | undefined;
  readonly peerMetadata: PeerMetadataHeaders | undefined;

  constructor(
    readonly cluster: Cluster,
    readonly routes: readonly RouteConfig[],
    readonly rng: Rng,
    readonly store: StatStore,
    /** `http.<stat_prefix>.` of the listener, for fault filter stats */
    httpPrefix: string,
    /** time a request spends between this sidecar and the upstream app in a real mesh, ms */
    readonly hopLatencyMs: () => number = () => 0,
    readonly vhost?: VirtualHost,
  ) {
    this.faultPrefix = `${httpPrefix}fault.`;
    this.decorator = decoratorOperation(cluster.config.name);
    const mx = cluster.config.behaviour.peerMetadataFrom;
    this.peerMetadata = mx === undefined || cluster.config.meshExternal !== true ? undefined : peerMetadataHeaders(mx);
    for (const n of ['delays_injected', 'aborts_injected']) store.counter(this.faultPrefix + n);
  }

  handle(req: DownstreamRequest, res: DownstreamResponder): void {
    const headers = new Map<string, string>();
    for (const [k, v] of req.headers) {
      const l = k.toLowerCase();
      if (!headers.has(l)) headers.set(l, v);
    }
    const authority = headers.get('host') ?? '';
    const routes = this.vhost && !authorityMatches(this.vhost.domains, authority) ? this.vhost.fallback : this.routes;
    const route = matchRoute(routes, { method: req.method, path: req.path, authority, scheme: 'http', headers });
    // The connection manager sets x-request-id before any filter runs.
    const requestId = requestIdOf(headers);
    res.log.requestId = requestId;
    if (!route) {
      res.localReply(NO_ROUTE);
      return;
    }
    res.log.routeName = route.logName;
    res.log.cluster = this.cluster.config.name;
    const f = route.fault;
    const afterDelay = (): void => {
      if (res.closed) return;
      if (f?.abort && chance(this.rng, f.abort.percent)) {
        this.store.counter(`${this.faultPrefix}aborts_injected`).inc();
        res.localReply(faultAbort(f.abort.httpStatus));
        return;
      }
      // The router's timeout starts only now: an injected delay is not covered by it.
      new RouterRequest(this, route, req, headers, res, requestId).start();
    };
    if (f?.delay && f.delay.fixedDelayMs > 0 && chance(this.rng, f.delay.percent)) {
      this.store.counter(`${this.faultPrefix}delays_injected`).inc();
      res.log.flags.add('DI');
      const t = setTimeout(afterDelay, f.delay.fixedDelayMs);
      res.onClose(() => clearTimeout(t));
      return;
    }
    afterDelay();
  }
}

class RouterRequest {
  private readonly policy: RetryPolicy | undefined;
  private retriesLeft: number;
  private readonly tried = new Set<UpstreamHost>();
  private attempts = 0;
  private retried = false;
  private holdingRetry = false;
  private done = false;
  private pending: Cancellable | undefined;
  private stream: AttachedStream | undefined;
  private host: UpstreamHost | undefined;
  private globalTimer: NodeJS.Timeout | undefined;
  private perTryTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private hopTimer: NodeJS.Timeout | undefined;
  private readonly timeoutMs: number;
  private readonly trace: TraceContext;

  constructor(
    private readonly router: Router,
    route: RouteConfig,
    private readonly req: DownstreamRequest,
    private readonly headers: ReadonlyMap<string, string>,
    private readonly res: DownstreamResponder,
    private readonly requestId: string,
  ) {
    this.policy = route.retry;
    this.retriesLeft = route.retry?.numRetries ?? 0;
    const hdr = headers.get('x-envoy-upstream-rq-timeout-ms');
    this.timeoutMs = hdr !== undefined && /^\d+$/.test(hdr) ? Number(hdr) : route.timeoutMs;
    this.trace = newTrace(router.rng);
  }

  private get cluster(): Cluster {
    return this.router.cluster;
  }

  start(): void {
    if (this.timeoutMs > 0) this.globalTimer = setTimeout(() => this.onGlobalTimeout(), this.timeoutMs);
    this.res.onClose(() => this.onDownstreamGone());
    this.attempt();
  }

  private attempt(): void {
    if (this.done) return;
    const avoid = this.policy?.avoidPreviousHosts ? this.tried : new Set<UpstreamHost>();
    const host = this.cluster.chooseHost(this.req.lane, avoid, this.policy?.hostSelectionMaxAttempts ?? 1);
    if (!host) {
      this.cluster.stats.inc('upstream_cx_none_healthy');
      this.finishLocal(NO_HEALTHY_UPSTREAM);
      return;
    }
    this.tried.add(host);
    this.host = host;
    this.attempts++;
    this.pending = this.cluster.pool(this.req.lane, host).newStream({
      onPoolReady: (s) => {
        this.pending = undefined;
        this.onPoolReady(s);
      },
      onPoolFailure: (r) => {
        this.pending = undefined;
        this.onReset(r);
      },
    });
  }

  private upstreamHeaders(): RawHeaders {
    return upstreamRequestHeaders({
      method: this.req.method,
      path: this.req.path,
      headers: this.req.headers,
      bodyLength: this.req.body.length,
      attempt: this.attempts,
      timeoutMs: this.timeoutMs,
      trace: this.trace,
      decorator: this.router.decorator,
      requestId: this.requestId,
      peerMetadata: this.router.peerMetadata,
    });
  }

  private onPoolReady(stream: AttachedStream): void {
    if (this.done) {
      stream.reset();
      return;
    }
    this.stream = stream;
    this.res.upstreamHost = stream.host.key;
    const perTry = this.policy?.perTryTimeoutMs ?? 0;
    if (perTry > 0) this.perTryTimer = setTimeout(() => this.onPerTryTimeout(), perTry);
    const sentAt = performance.now();
    const hop = this.router.hopLatencyMs();
    if (hop > 0) {
      // The request crosses the network and the server-side sidecar first; the connection is busy meanwhile.
      const t = setTimeout(() => {
        if (this.stream === stream) this.send(stream, sentAt);
      }, hop);
      this.hopTimer = t;
      return;
    }
    this.send(stream, sentAt);
  }

  private send(stream: AttachedStream, sentAt: number): void {
    let forwarding = false;
    let trailers: RawHeaders | undefined;
    stream.send({ method: this.req.method, path: this.req.path, headers: this.upstreamHeaders(), body: this.req.body, isHead: this.req.method === 'HEAD' }, {
      onHeaders: (status, headers) => {
        const host = stream.host;
        this.cluster.reportHttpCode(host, status);
        if (this.wouldRetryStatus(status) && this.scheduleRetry()) {
          this.cluster.stats.chargeCode(status, true);
          // Envoy resets an unfinished upstream response it retries (HTTP/1.1: the connection goes).
          this.stream = undefined;
          clearTimeout(this.perTryTimer);
          stream.reset();
          return;
        }
        forwarding = true;
        clearTimeout(this.perTryTimer);
        this.cluster.stats.chargeCode(status, false);
        const serviceTime = performance.now() - sentAt;
        this.res.log.serviceTimeMs = serviceTime;
        this.res.log.details = 'via_upstream';
        this.res.sendHeaders(status, downstreamResponseHeaders(headers, serviceTime, new Date()));
      },
      onData: (chunk) => {
        if (forwarding) this.res.sendData(chunk);
      },
      onTrailers: (t) => {
        if (forwarding) trailers = t;
      },
      onEnd: () => {
        if (!forwarding) return;
        this.stream = undefined;
        this.complete();
        this.res.end(trailers);
      },
      onReset: (reason: ResetReason = 'connection termination') => {
        this.stream = undefined;
        if (forwarding) {
          this.complete();
          this.res.reset();
          return;
        }
        this.cluster.reportLocalOrigin(stream.host, 'connect-failed');
        this.onReset(reason);
      },
    });
  }

  /** A reset before response headers: pool overflow, connect failure, upstream disconnect or stream reset. */
  private onReset(reason: ResetReason): void {
    if (this.done) return;
    clearTimeout(this.perTryTimer);
    // The access log names a host for connect failures, none for a pool overflow (§2.4).
    if (reason !== 'overflow' && this.host) this.res.upstreamHost = this.host.key;
    if (reason !== 'overflow' && this.wouldRetryReset(reason) && this.scheduleRetry()) return;
    this.cluster.stats.chargeCode(503, false);
    this.finishLocal(resetReply(reason, this.retried, this.cluster.config.behaviour));
  }

  private onPerTryTimeout(): void {
    if (this.done || !this.stream) return;
    this.cluster.stats.inc('upstream_rq_per_try_timeout');
    const s = this.stream;
    this.stream = undefined;
    s.host.rqTimeout++;
    this.cluster.reportLocalOrigin(s.host, 'timeout');
    s.reset();
    if (this.wouldRetryReset('local reset') && this.scheduleRetry()) return;
    this.cluster.stats.chargeCode(504, false);
    this.finishLocal(UPSTREAM_TIMEOUT);
  }

  private onGlobalTimeout(): void {
    if (this.done) return;
    this.cluster.stats.inc('upstream_rq_timeout');
    if (this.stream) {
      const s = this.stream;
      this.stream = undefined;
      s.host.rqTimeout++;
      this.cluster.reportLocalOrigin(s.host, 'timeout');
      s.reset();
    }
    if (this.res.started) {
      this.complete();
      this.res.reset();
      return;
    }
    this.cluster.stats.chargeCode(504, false);
    this.finishLocal(UPSTREAM_TIMEOUT);
  }

  private onDownstreamGone(): void {
    if (this.done) return;
    this.complete();
  }

  private wouldRetryStatus(status: number): boolean {
    const p = this.policy;
    if (!p) return false;
    if (p.retryOn.has('5xx') && status >= 500) return true;
    if (p.retryOn.has('gateway-error') && (status === 502 || status === 503 || status === 504)) return true;
    if (p.retryOn.has('retriable-4xx') && status === 409) return true;
    if (p.retryOn.has('retriable-status-codes') && p.retriableStatusCodes.has(status)) return true;
    return false;
  }

  private wouldRetryReset(reason: ResetReason): boolean {
    const p = this.policy;
    if (!p || reason === 'overflow') return false;
    if (p.retryOn.has('reset') || p.retryOn.has('5xx') || p.retryOn.has('gateway-error')) return true;
    // Istio's default policy has refused-stream: an HTTP/2 upstream's REFUSED_STREAM is retried
    if (p.retryOn.has('refused-stream') && reason === 'remote refused stream reset') return true;
    return p.retryOn.has('connect-failure') && (reason === 'connection failure' || reason === 'connection timeout');
  }

  /** Envoy's RetryStateImpl::shouldRetry for an attempt that wants a retry. */
  private scheduleRetry(): boolean {
    this.releaseRetry(false);
    const stats = this.cluster.stats;
    if (this.retriesLeft <= 0) {
      stats.inc('upstream_rq_retry_limit_exceeded');
      if (this.policy !== undefined && this.policy.numRetries > 0) this.res.log.flags.add('URX');
      return false;
    }
    this.retriesLeft--;
    const retries = this.cluster.resources.retries;
    if (!retries.canCreate()) {
      stats.inc('upstream_rq_retry_overflow');
      this.res.log.flags.add('UO');
      return false;
    }
    retries.inc();
    this.holdingRetry = true;
    this.retried = true;
    stats.inc('upstream_rq_retry');
    const p = this.policy as RetryPolicy;
    // Fully jittered exponential backoff: [0, (2^n - 1) × base), capped at max.
    const n = this.attempts;
    const ceiling = Math.min(p.maxIntervalMs, (2 ** n - 1) * p.baseIntervalMs);
    const wait = Math.floor(this.router.rng() * ceiling);
    this.backoffTimer = setTimeout(() => this.attempt(), wait);
    return true;
  }

  private releaseRetry(success: boolean): void {
    if (!this.holdingRetry) return;
    this.holdingRetry = false;
    this.cluster.resources.retries.dec();
    if (success) this.cluster.stats.inc('upstream_rq_retry_success');
  }

  /** Ends the router's part: timers, pending stream, attached stream, retry slot. */
  private complete(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.globalTimer);
    clearTimeout(this.perTryTimer);
    clearTimeout(this.backoffTimer);
    clearTimeout(this.hopTimer);
    this.pending?.cancel();
    this.pending = undefined;
    this.stream?.reset();
    this.stream = undefined;
    this.releaseRetry(this.retried);
  }

  private finishLocal(reply: LocalReply): void {
    this.complete();
    if (!this.res.closed) this.res.localReply(reply);
  }
}
