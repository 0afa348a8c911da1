/**
 * One outbound cluster: endpoints, the cluster-wide resource manager and stats (shared by all
 * lanes, like Envoy's atomics shared by worker threads), outlier detection, per-lane load
 * balancers and one connection pool per (lane × host).
 */
import type { Rng } from '../shared/random.js';
import { registerBreakerGauges, ResourceManager } from './breaker.js';
import { ClusterStats } from './clusterStats.js';
import { ConnPool } from './connPool.js';
import type { HostPool, PoolContext } from './poolBase.js';
import { H2ConnPool } from './h2ConnPool.js';
import type { ClusterConfig } from './envoyConfig.js';
import { UpstreamHost } from './host.js';
import { OutlierDetector } from './outlier.js';
import type { LocalOriginResult } from './outlier.js';
import type { StatStore } from './stats.js';

export interface ClusterOptions {
  config: ClusterConfig;
  endpoints: ReadonlyArray<{ address: string; port: number }>;
  lanes: number;
  store: StatStore;
  rng: Rng;
  /** per-connection handshake time in ms (may be random) */
  handshakeMs: () => number;
}

export class Cluster implements PoolContext {
  readonly config: ClusterConfig;
  readonly hosts: UpstreamHost[];
  readonly resources: ResourceManager;
  readonly highResources: ResourceManager;
  readonly stats: ClusterStats;
  readonly outlier: OutlierDetector | undefined;
  private readonly pools: HostPool[][];
  private readonly rrNext: number[];
  private readonly rng: Rng;
  private readonly handshake: () => number;

  constructor(o: ClusterOptions) {
    this.config = o.config;
    this.rng = o.rng;
    this.handshake = o.handshakeMs;
    this.hosts = o.endpoints.map((e) => new UpstreamHost(e.address, e.port));
    this.resources = new ResourceManager(o.config.thresholds);
    this.highResources = new ResourceManager(o.config.highThresholds);
    const b = o.config.behaviour;
    this.stats = new ClusterStats(o.store, o.config.statName, b.activeOverflowStat);
    // Istio sets track_remaining on the DEFAULT threshold only (from 1.6): remaining_* exist for it alone.
    registerBreakerGauges(o.store, this.stats.prefix, 'default', this.resources, b.trackRemaining);
    registerBreakerGauges(o.store, this.stats.prefix, 'high', this.highResources, false);
    const r = this.resources;
    this.stats.gauge('upstream_cx_active', () => r.connections.count, () => r.connections.touched);
    this.stats.gauge('upstream_rq_active', () => r.requests.count, () => r.requests.touched);
    this.stats.gauge('upstream_rq_pending_active', () => r.pendingRequests.count, () => r.pendingRequests.touched);
    this.stats.gauge('membership_total', () => this.hosts.length);
    this.stats.gauge('membership_healthy', () => this.hosts.filter((h) => !h.ejected).length);
    this.stats.gauge('membership_degraded', () => 0);
    this.stats.gauge('membership_excluded', () => 0);
    this.stats.gauge('max_host_weight', () => 1);
    if (o.config.outlier) {
      this.outlier = new OutlierDetector(o.config.outlier, this.hosts, this.stats, o.rng, (h) => this.onHealthChange(h as UpstreamHost));
    }
    this.pools = [];
    this.rrNext = [];
    for (let lane = 0; lane < o.lanes; lane++) {
      // The cluster's upstream protocol picks the pool (Istio: http2_protocol_options → Envoy's HTTP/2 pool).
      this.pools.push(this.hosts.map((h) => (o.config.http2 ? new H2ConnPool(this, h, lane) : new ConnPool(this, h, lane))));
      this.rrNext.push(0);
    }
  }

  start(): void {
    this.outlier?.start();
  }

  close(): void {
    this.outlier?.stop();
    for (const lane of this.pools) for (const p of lane) p.shutdown();
  }

  handshakeMs(): number {
    return this.handshake();
  }

  pool(lane: number, host: UpstreamHost): HostPool {
    const i = this.hosts.indexOf(host);
    return (this.pools[lane] as HostPool[])[i] as HostPool;
  }

  reportLocalOrigin(host: UpstreamHost, result: LocalOriginResult): void {
    if (result === 'connect-failed' || result === 'timeout') host.rqError++;
    this.outlier?.putLocalOrigin(host, result);
  }

  reportHttpCode(host: UpstreamHost, code: number): void {
    if (code >= 500) host.rqError++;
    else host.rqSuccess++;
    this.outlier?.putHttpCode(host, code);
  }

  private onHealthChange(host: UpstreamHost): void {
    // An ejected host's idle connections are closed (busy ones finish their request).
    if (host.ejected) for (const lane of this.pools) lane[this.hosts.indexOf(host)]?.closeIdle();
  }

  /**
   * Picks a host for this lane, as Envoy's per-worker load balancer does: healthy hosts only,
   * unless the healthy share is below the panic threshold (then all hosts). `avoid` holds the
   * hosts already tried (retry predicate previous_hosts), given up after `attempts` picks.
   */
  chooseHost(lane: number, avoid: ReadonlySet<UpstreamHost>, attempts: number): UpstreamHost | undefined {
    const healthy = this.hosts.filter((h) => !h.ejected);
    let candidates = healthy;
    if (this.hosts.length > 0 && (100 * healthy.length) / this.hosts.length < this.config.healthyPanicThreshold) {
      candidates = this.hosts;
      this.stats.inc('lb_healthy_panic');
    }
    if (candidates.length === 0) return undefined;
    let pick: UpstreamHost | undefined;
    for (let i = 0; i < Math.max(1, attempts); i++) {
      pick = this.pickOne(lane, candidates);
      if (!avoid.has(pick)) return pick;
    }
    return pick;
  }

  private pickOne(lane: number, candidates: readonly UpstreamHost[]): UpstreamHost {
    if (candidates.length === 1) return candidates[0] as UpstreamHost;
    switch (this.config.lbPolicy) {
      case 'RANDOM':
        return candidates[Math.floor(this.rng() * candidates.length)] as UpstreamHost;
      case 'LEAST_REQUEST': {
        // Envoy's default: the better of two random choices by active requests.
        const a = candidates[Math.floor(this.rng() * candidates.length)] as UpstreamHost;
        const b = candidates[Math.floor(this.rng() * candidates.length)] as UpstreamHost;
        return b.rqActive < a.rqActive ? b : a;
      }
      default: {
        const i = (this.rrNext[lane] ?? 0) % candidates.length;
        this.rrNext[lane] = i + 1;
        return candidates[i] as UpstreamHost;
      }
    }
  }
}
