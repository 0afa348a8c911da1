/**
 * Envoy's cluster resource manager: plain counters shared by every worker lane, each admitting
 * when `current < max` at the moment of the check (envoy-circuit-breaking.md §2.1). The
 * connection count may exceed its max (the one-connection-per-pool exemption), which is why
 * `remaining_*` clamps at 0.
 */
import type { Thresholds } from './envoyConfig.js';
import type { StatStore } from './stats.js';

export class Resource {
  count = 0;
  /** taken at least once (Envoy first sets the gauges that follow it then: ?usedonly) */
  touched = false;
  constructor(readonly max: number) {}
  canCreate(): boolean {
    return this.count < this.max;
  }
  inc(): void {
    this.count++;
    this.touched = true;
  }
  dec(): void {
    if (this.count > 0) this.count--;
  }
  remaining(): number {
    return Math.max(0, this.max - this.count);
  }
  open(): number {
    return this.canCreate() ? 0 : 1;
  }
}

export class ResourceManager {
  readonly connections: Resource;
  readonly pendingRequests: Resource;
  readonly requests: Resource;
  readonly retries: Resource;
  constructor(t: Thresholds) {
    this.connections = new Resource(t.maxConnections);
    this.pendingRequests = new Resource(t.maxPendingRequests);
    this.requests = new Resource(t.maxRequests);
    this.retries = new Resource(t.maxRetries);
  }
}

/** circuit_breakers.<priority>.{cx,rq_pending,rq,rq_retry,cx_pool}_open and remaining_* gauges */
export function registerBreakerGauges(store: StatStore, clusterPrefix: string, priority: 'default' | 'high', rm: ResourceManager, trackRemaining: boolean): void {
  const p = `${clusterPrefix}circuit_breakers.${priority}.`;
  // The open gauges are first set when their resource is taken; remaining_* at creation.
  store.gauge(`${p}cx_open`, () => rm.connections.open(), () => rm.connections.touched);
  store.gauge(`${p}cx_pool_open`, () => 0, () => false);
  store.gauge(`${p}rq_pending_open`, () => rm.pendingRequests.open(), () => rm.pendingRequests.touched);
  store.gauge(`${p}rq_open`, () => rm.requests.open(), () => rm.requests.touched);
  store.gauge(`${p}rq_retry_open`, () => rm.retries.open(), () => rm.retries.touched);
  // Envoy creates remaining_* only for a threshold with track_remaining (resource_manager_impl.h).
  if (!trackRemaining) return;
  store.gauge(`${p}remaining_cx`, () => rm.connections.remaining());
  store.gauge(`${p}remaining_pending`, () => rm.pendingRequests.remaining());
  store.gauge(`${p}remaining_rq`, () => rm.requests.remaining());
  store.gauge(`${p}remaining_retries`, () => rm.retries.remaining());
}
