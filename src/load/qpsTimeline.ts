/**
 * qps over time, from the engine's progress reports: one point per second of the run (the rate
 * over the last second), so a report can show ramp-ups, stalls and breaker trips in time. A run
 * longer than MAX_POINTS seconds is thinned to keep the JSON small.
 */
import type { EngineProgress } from '../engine/index.js';

export interface QpsPoint {
  /** seconds since the start of the timed run */
  t: number;
  qps: number;
}

const MAX_POINTS = 3600;

export class QpsTimeline {
  #lastT = 0;
  #lastCalls = 0;
  #points: QpsPoint[] = [];

  add(p: EngineProgress): void {
    const t = p.elapsedNs / 1e9;
    if (t - this.#lastT < 1) return;
    const qps = (p.calls - this.#lastCalls) / (t - this.#lastT);
    this.#points.push({ t: Math.round(t * 1000) / 1000, qps: Math.round(qps * 10) / 10 });
    this.#lastT = t;
    this.#lastCalls = p.calls;
  }

  points(): QpsPoint[] {
    const pts = this.#points;
    if (pts.length <= MAX_POINTS) return pts;
    const step = Math.ceil(pts.length / MAX_POINTS);
    return pts.filter((_, i) => i % step === 0);
  }
}
