/**
 * Wilson score interval for a binomial proportion. Chosen over the textbook (Wald) interval
 * p ± z·sqrt(p(1-p)/n) because that one collapses to [0, 0] at 0/20 and [1, 1] at 20/20 and
 * undercovers badly at the small n of circuit-breaker runs (20–30 calls); Wilson stays inside
 * [0, 1] and keeps close to its nominal coverage there (Brown, Cai & DasGupta 2001).
 */

/** Two-sided 95 %: the 0.975 quantile of the standard normal. */
export const Z95 = 1.959963984540054;

/** [lower, upper] of the Wilson score interval for k successes in n trials; undefined for n = 0. */
export function wilson(k: number, n: number, z: number = Z95): [number, number] | undefined {
  if (!(n > 0) || k < 0 || k > n) return undefined;
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At k = 0 and k = n the bounds are exactly 0 and 1; rounding would otherwise leave 1e-17 crumbs.
  const lo = k === 0 ? 0 : Math.max(0, centre - half);
  const hi = k === n ? 1 : Math.min(1, centre + half);
  return [lo, hi];
}

/**
 * Smallest n at which k = n successes give a lower bound >= p (and symmetrically for "<= 1 - p"
 * with zero successes): how many calls a perfect run needs before `confident` can say PASS.
 * From n/(n+z²) >= p.
 */
export function callsForPerfectRun(p: number, z: number = Z95): number {
  if (p <= 0) return 1;
  if (p >= 1) return Infinity;
  return Math.ceil((p * z * z) / (1 - p));
}
