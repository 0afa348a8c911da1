/**
 * The shapes (offset, divider) of the fortio histograms a load result carries, and fortio's
 * default -p list: declared here once, because the engine records with them, the HTTP stats and
 * merge rebuild with them, and the text report reads bucket 0 of the sleep histogram by them.
 */

/** A fortio histogram's bucket shape: values are (v - offset) / divider before bucketing. */
export interface HistogramShape {
  readonly offset: number;
  readonly divider: number;
}

/** Call latency and connection time, seconds: fortio's -offset 0 and -r 0.001 defaults. */
export const LATENCY_SHAPE: HistogramShape = Object.freeze({ offset: 0, divider: 0.001 });

/** -r when unset or <= 0 (fortio). */
export const DEFAULT_RESOLUTION = LATENCY_SHAPE.divider;

/** Pacing sleeps, seconds: a negative offset so every late sleep lands in bucket 0 ("falling behind"). */
export const SLEEP_SHAPE: HistogramShape = Object.freeze({ offset: -0.001, divider: 0.001 });

/** Bytes read per call (headers + body). */
export const SIZES_SHAPE: HistogramShape = Object.freeze({ offset: 0, divider: 100 });

/** Response header bytes per call. */
export const HEADER_SIZES_SHAPE: HistogramShape = Object.freeze({ offset: 0, divider: 5 });

/** fortio's -p default. */
export const DEFAULT_PERCENTILES: readonly number[] = Object.freeze([50, 75, 90, 99, 99.9]);

/** -r as fortio uses it: <= 0 (or absent) is the default. */
export function effectiveResolution(r: number | undefined): number {
  return r !== undefined && r > 0 ? r : DEFAULT_RESOLUTION;
}
