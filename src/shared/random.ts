/**
 * Seeded randomness, so fault percentages, weighted statuses, worker assignment and randomised
 * tests can be replayed. mulberry32: tiny, fast, good enough for percentages.
 */
export type Rng = () => number;

/** Uniform in [0, 1), the same sequence for the same seed. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** seed 0 = a fresh random seed (a run differs from the last, as a real mesh does). */
export function makeRng(seed: number | undefined): Rng {
  if (seed === undefined || seed === 0) return seededRng((Math.random() * 2 ** 32) >>> 0);
  return seededRng(seed);
}

/** true with probability percent/100 */
export function chance(rng: Rng, percent: number): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return rng() * 100 < percent;
}
