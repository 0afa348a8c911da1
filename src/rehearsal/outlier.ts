/**
 * Envoy outlier detection for consecutive errors (envoy-circuit-breaking.md §4, §8.3–8.4;
 * Envoy source/common/upstream/outlier_detection_impl.cc): per-host counters shared by all
 * lanes, detection when a counter *equals* its threshold, the max-ejection-percent check of
 * that Envoy version, the counter reset after every detection (onConsecutiveErrorWorker),
 * ejection time base × multiplier, un-ejection only at interval sweeps. Success-rate
 * detection is off because Istio always disables it.
 */
import { chance } from '../shared/random.js';
import type { Rng } from '../shared/random.js';
import type { OutlierConfig } from './envoyConfig.js';
import type { ClusterStats } from './clusterStats.js';

export interface OutlierHost {
  readonly key: string;
  ejected: boolean;
  ejectedAt: number;
  /** when the host last came back (0 = never ejected) */
  unejectedAt: number;
  /** ejections so far (legacy) or the decaying backoff multiplier (current Envoy) */
  multiplier: number;
  consecutive5xx: number;
  consecutiveGateway: number;
  consecutiveLocalOrigin: number;
}

export type LocalOriginResult = 'connect-failed' | 'timeout' | 'connect-success';

type EjectionType = 'consecutive_5xx' | 'consecutive_gateway_failure' | 'consecutive_local_origin_failure';

const isGatewayError = (code: number): boolean => code === 502 || code === 503 || code === 504;

export class OutlierDetector {
  private timer: NodeJS.Timeout | undefined;
  private activeEjections = 0;
  private everEjected = false;

  constructor(
    private readonly cfg: OutlierConfig,
    private readonly hosts: readonly OutlierHost[],
    private readonly stats: ClusterStats,
    private readonly rng: Rng,
    private readonly onChange: (host: OutlierHost) => void,
    private readonly now: () => number = Date.now,
  ) {
    const p = 'outlier_detection.';
    stats.gauge(`${p}ejections_active`, () => this.activeEjections, () => this.everEjected);
    for (const n of [
      'ejections_enforced_total',
      'ejections_overflow',
      'ejections_total',
      'ejections_consecutive_5xx',
      'ejections_enforced_consecutive_5xx',
      'ejections_detected_consecutive_5xx',
      'ejections_enforced_consecutive_gateway_failure',
      'ejections_detected_consecutive_gateway_failure',
      'ejections_enforced_consecutive_local_origin_failure',
      'ejections_detected_consecutive_local_origin_failure',
      'ejections_enforced_success_rate',
      'ejections_detected_success_rate',
      'ejections_enforced_local_origin_success_rate',
      'ejections_detected_local_origin_success_rate',
      'ejections_enforced_failure_percentage',
      'ejections_detected_failure_percentage',
      'ejections_enforced_failure_percentage_local_origin',
      'ejections_detected_failure_percentage_local_origin',
    ]) {
      stats.counter(p + n);
    }
  }

  start(): void {
    this.timer = setInterval(() => this.sweep(), this.cfg.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get ejectionsActive(): number {
    return this.activeEjections;
  }

  /** A response code that came from the host. */
  putHttpCode(host: OutlierHost, code: number): void {
    if (code >= 500 && code <= 599) {
      if (isGatewayError(code)) {
        if (++host.consecutiveGateway === this.cfg.consecutiveGatewayFailure) this.detected(host, 'consecutive_gateway_failure');
      } else {
        host.consecutiveGateway = 0;
      }
      if (++host.consecutive5xx === this.cfg.consecutive5xx) this.detected(host, 'consecutive_5xx');
    } else {
      host.consecutive5xx = 0;
      host.consecutiveGateway = 0;
    }
  }

  /** A failure (or connect success) Envoy itself saw on the way to the host. */
  putLocalOrigin(host: OutlierHost, result: LocalOriginResult): void {
    if (!this.cfg.splitExternalLocalOriginErrors) {
      // Non-split mode: connect failures count as 503 and timeouts as 504; a connect success is
      // not mapped, so it does not reset the counters (the HTTP response will).
      if (result === 'connect-failed') this.putHttpCode(host, 503);
      else if (result === 'timeout') this.putHttpCode(host, 504);
      return;
    }
    if (result === 'connect-success') {
      host.consecutiveLocalOrigin = 0;
      return;
    }
    if (++host.consecutiveLocalOrigin === this.cfg.consecutiveLocalOriginFailure) this.detected(host, 'consecutive_local_origin_failure');
  }

  private enforcing(type: EjectionType): number {
    switch (type) {
      case 'consecutive_5xx':
        return this.cfg.enforcingConsecutive5xx;
      case 'consecutive_gateway_failure':
        return this.cfg.enforcingConsecutiveGatewayFailure;
      case 'consecutive_local_origin_failure':
        return this.cfg.enforcingConsecutiveLocalOriginFailure;
    }
  }

  private detected(host: OutlierHost, type: EjectionType): void {
    // onConsecutiveErrorWorker: an already ejected host is ignored, counters left as they are.
    if (host.ejected) return;
    const p = 'outlier_detection.';
    this.stats.counter(`${p}ejections_detected_${type}`).inc();
    this.eject(host, type);
    // Reset after every detection, ejected or not (refused by max %, or not enforced), so a
    // host that keeps failing needs N fresh errors per detection.
    if (type === 'consecutive_5xx') {
      this.stats.counter(`${p}ejections_consecutive_5xx`).inc();
      host.consecutive5xx = 0;
    } else if (type === 'consecutive_gateway_failure') {
      host.consecutiveGateway = 0;
    } else {
      host.consecutiveLocalOrigin = 0;
    }
  }

  /** DetectorImpl::ejectHost's max_ejection_percent check, as this Envoy version has it. */
  private mayEject(): boolean {
    const n = this.hosts.length;
    const active = this.activeEjections;
    const max = Math.min(100, this.cfg.maxEjectionPercent);
    switch (this.cfg.ejectionRule) {
      case 'before-lt':
        return (100 * active) / n < max;
      case 'after-le-or-first':
        return (100 * (active + 1)) / n <= max || active === 0;
      case 'after-le':
        return (100 * (active + 1)) / n <= max;
    }
  }

  private eject(host: OutlierHost, type: EjectionType): void {
    const p = 'outlier_detection.';
    if (!this.mayEject()) {
      this.stats.counter(`${p}ejections_overflow`).inc();
      return;
    }
    // Deprecated ejections_total: every 5xx (or success-rate) detection that passes the max-%
    // check, enforced or not.
    if (type === 'consecutive_5xx') this.stats.counter(`${p}ejections_total`).inc();
    if (!chance(this.rng, this.enforcing(type))) return;
    this.stats.counter(`${p}ejections_enforced_total`).inc();
    this.stats.counter(`${p}ejections_enforced_${type}`).inc();
    host.ejected = true;
    host.ejectedAt = this.now();
    if (this.cfg.legacyBackoff) {
      host.multiplier++;
    } else if (host.multiplier * this.cfg.baseEjectionTimeMs < this.cfg.maxEjectionTimeMs + this.cfg.baseEjectionTimeMs) {
      // ejectTimeBackoff grows while base × backoff < max + base; the duration is capped at max.
      host.multiplier++;
    }
    this.activeEjections++;
    this.everEjected = true;
    this.onChange(host);
  }

  ejectionDurationMs(host: OutlierHost): number {
    const d = this.cfg.baseEjectionTimeMs * host.multiplier;
    return this.cfg.legacyBackoff ? d : Math.min(d, this.cfg.maxEjectionTimeMs);
  }

  /** The interval timer: un-eject hosts whose time is up; decay multipliers of healthy hosts. */
  sweep(): void {
    const now = this.now();
    for (const h of this.hosts) {
      if (h.ejected) {
        if (now >= h.ejectedAt + this.ejectionDurationMs(h)) {
          h.ejected = false;
          h.consecutive5xx = 0;
          h.consecutiveGateway = 0;
          h.consecutiveLocalOrigin = 0;
          h.unejectedAt = now;
          this.activeEjections--;
          this.onChange(h);
        }
      } else if (!this.cfg.legacyBackoff && h.multiplier > 0 && h.unejectedAt > 0 && now - h.unejectedAt >= this.cfg.intervalMs) {
        // Current Envoy: each interval a returned host stays healthy takes one step off its backoff.
        h.multiplier--;
      }
    }
  }
}
