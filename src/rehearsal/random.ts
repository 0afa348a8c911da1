/**
 * Seeded randomness, so fault percentages, weighted statuses and worker assignment can be
 * replayed in tests. mulberry32: tiny, fast, good enough for percentages.
 */
export type Rng = () => number;

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

/**
 * setTimeout with sub-millisecond resolution: Node's timers round up to whole milliseconds,
 * while the delays the emulator models (a TLS handshake on a local network) are often below
 * one. The remainder is waited out with setImmediate turns, which yield to I/O in between.
 */
export function preciseDelay(ms: number, fn: () => void): { cancel(): void } {
  const until = performance.now() + ms;
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  let imm: NodeJS.Immediate | undefined;
  const spin = (): void => {
    if (cancelled) return;
    if (performance.now() >= until) fn();
    else imm = setImmediate(spin);
  };
  const whole = Math.floor(ms) - 1;
  if (whole >= 1) timer = setTimeout(spin, whole);
  else imm = setImmediate(spin);
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
      if (imm) clearImmediate(imm);
    },
  };
}
