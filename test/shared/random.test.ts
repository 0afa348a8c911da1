import { describe, expect, it } from 'vitest';
import { chance, makeRng, seededRng } from '../../src/shared/random.js';

describe('seeded randomness', () => {
  it('replays the same [0, 1) sequence for the same seed, another for another seed', () => {
    const a = seededRng(42);
    const b = seededRng(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRng(43)()).not.toBe(xs[0]);
    expect(makeRng(42)()).toBe(xs[0]);
  });

  it('chance: never at 0 %, always at 100 %, about right in between', () => {
    const r = seededRng(7);
    expect(Array.from({ length: 100 }, () => chance(r, 0)).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => chance(r, 100)).every(Boolean)).toBe(true);
    const hits = Array.from({ length: 10_000 }, () => chance(r, 25)).filter(Boolean).length;
    expect(hits).toBeGreaterThan(2300);
    expect(hits).toBeLessThan(2700);
  });
});
