/**
 * The cluster stats Envoy registers at cluster creation (so `/stats` lists them at 0 like a
 * real sidecar), typed for the hot paths. Names: envoy-circuit-breaking.md §3.1.
 */
import type { Counter, Gauge, StatStore } from './stats.js';

const COUNTERS = [
  'upstream_cx_total',
  'upstream_cx_http1_total',
  'upstream_cx_http2_total',
  'upstream_cx_connect_fail',
  'upstream_cx_connect_timeout',
  'upstream_cx_overflow',
  'upstream_cx_pool_overflow',
  'upstream_cx_max_requests',
  'upstream_cx_max_duration_reached',
  'upstream_cx_idle_timeout',
  'upstream_cx_none_healthy',
  'upstream_cx_destroy',
  'upstream_cx_destroy_local',
  'upstream_cx_destroy_remote',
  'upstream_cx_destroy_with_active_rq',
  'upstream_cx_destroy_local_with_active_rq',
  'upstream_cx_destroy_remote_with_active_rq',
  'upstream_rq_total',
  'upstream_rq_pending_total',
  'upstream_rq_pending_overflow',
  'upstream_rq_active_overflow',
  'upstream_rq_pending_failure_eject',
  'upstream_rq_cancelled',
  'upstream_rq_completed',
  'upstream_rq_timeout',
  'upstream_rq_per_try_timeout',
  'upstream_rq_rx_reset',
  'upstream_rq_tx_reset',
  'upstream_rq_retry',
  'upstream_rq_retry_success',
  'upstream_rq_retry_overflow',
  'upstream_rq_retry_limit_exceeded',
  'upstream_rq_maintenance_mode',
  'lb_healthy_panic',
] as const;

export type ClusterCounterName = (typeof COUNTERS)[number];

export class ClusterStats {
  readonly prefix: string;
  private readonly counters = new Map<string, Counter>();

  constructor(
    readonly store: StatStore,
    /** the cluster's stat name (alt_stat_name when Istio sets one) */
    statName: string,
    activeOverflow = false,
  ) {
    this.prefix = `cluster.${statName}.`;
    for (const n of COUNTERS) {
      // Envoy >= 1.38 only has upstream_rq_active_overflow; the name may not exist before.
      if (n === 'upstream_rq_active_overflow' && !activeOverflow) continue;
      this.counters.set(n, store.counter(this.prefix + n));
    }
    // Response-code counters exist from the start for the classes Envoy pre-creates.
    for (const c of ['upstream_rq_1xx', 'upstream_rq_2xx', 'upstream_rq_3xx', 'upstream_rq_4xx', 'upstream_rq_5xx']) store.counter(this.prefix + c);
  }

  inc(name: ClusterCounterName, n = 1): void {
    (this.counters.get(name) ?? this.counter(name)).inc(n);
  }

  get(name: string): number {
    return this.store.get(this.prefix + name) ?? 0;
  }

  gauge(name: string, read: () => number, usedWhen?: () => boolean): Gauge {
    return this.store.gauge(this.prefix + name, read, usedWhen);
  }

  counter(name: string): Counter {
    return this.store.counter(this.prefix + name);
  }

  /** upstream_rq_<code>, upstream_rq_<N>xx, upstream_rq_completed; `retry.` prefix for retried attempts */
  chargeCode(code: number, retried: boolean): void {
    const p = retried ? 'retry.' : '';
    this.counter(`${p}upstream_rq_${code}`).inc();
    this.counter(`${p}upstream_rq_${Math.floor(code / 100)}xx`).inc();
    this.counter(`${p}upstream_rq_completed`).inc();
  }
}
