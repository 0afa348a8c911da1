/**
 * Newcombe's hybrid score interval for the difference of two independent proportions (method 10
 * of Newcombe 1998, "Interval estimation for the difference between independent proportions",
 * Statistics in Medicine 17:873–890), built from each side's Wilson limits. Chosen for the same
 * reason as Wilson: at 20–30 calls the Wald interval for a difference undercovers and can leave
 * [−1, 1]; Newcombe's stays inside it and keeps close to 95 % coverage (his Table I).
 */
import { Z95, wilson } from './wilson.js';

export interface RatioChange {
  /** kB/nB − kA/nA: the later run minus the baseline */
  diff: number;
  /** 95 % interval of the difference */
  interval: [number, number];
  /** the interval excludes 0: the data say the ratio moved */
  changed: boolean;
}

/** Change of a ratio from kA/nA (baseline) to kB/nB; undefined when either side made no calls. */
export function ratioChange(kA: number, nA: number, kB: number, nB: number, z: number = Z95): RatioChange | undefined {
  const a = wilson(kA, nA, z);
  const b = wilson(kB, nB, z);
  if (!a || !b) return undefined;
  const pA = kA / nA;
  const pB = kB / nB;
  const diff = pB - pA;
  // δ: how far B can sit below its estimate and A above its own; ε the other way round.
  const delta = Math.sqrt((pB - b[0]) ** 2 + (a[1] - pA) ** 2);
  const eps = Math.sqrt((b[1] - pB) ** 2 + (pA - a[0]) ** 2);
  const lo = Math.max(-1, diff - delta);
  const hi = Math.min(1, diff + eps);
  return { diff, interval: [lo, hi], changed: lo > 0 || hi < 0 };
}

function signed(v: number): string {
  // −0.000 would read as a change
  const s = Math.abs(v).toFixed(3);
  return `${v < 0 && s !== '0.000' ? '−' : '+'}${s}`;
}

/** "+0.133 [+0.021, +0.236] changed" / "+0.133 [−0.050, +0.310]": the difference, its interval, the call. */
export function formatRatioChange(c: RatioChange): string {
  return `${signed(c.diff)} [${signed(c.interval[0])}, ${signed(c.interval[1])}]${c.changed ? ' changed' : ''}`;
}
