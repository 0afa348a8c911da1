/**
 * Array helpers that take any length. `a.push(...xs)` and `Math.max(...xs)` pass every item as
 * a call argument and throw "Maximum call stack size exceeded" past ~100k items, so nothing
 * that grows with input (file lines, problems, threads, results) goes through a spread.
 */
export function pushAll<T>(to: T[], items: Iterable<T>): T[] {
  for (const x of items) to.push(x);
  return to;
}

/** Largest value; -Infinity for none (as Math.max()). */
export function maxOf(xs: Iterable<number>): number {
  let m = -Infinity;
  for (const x of xs) if (x > m || Number.isNaN(x)) m = x;
  return m;
}

/** Smallest value; Infinity for none (as Math.min()). */
export function minOf(xs: Iterable<number>): number {
  let m = Infinity;
  for (const x of xs) if (x < m || Number.isNaN(x)) m = x;
  return m;
}
