/**
 * An expectation's accepted set as numbers, kept on every result so that charts and gauges draw
 * the range from data instead of reading it back from the `expected` text.
 */
import type { Condition } from './types.js';
import type { Bounds } from './results.js';

/** The accepted set as numbers; a reference needs its resolved value. */
export function boundsOf(c: Condition, resolved?: number): Bounds | undefined {
  if (c.kind === 'range') return { lo: c.lo, hi: c.hi, loInclusive: true, hiInclusive: true };
  const v = c.kind === 'cmp' ? c.value : resolved;
  if (v === undefined) return undefined;
  switch (c.op) {
    case '<':
      return { hi: v, loInclusive: false, hiInclusive: false };
    case '<=':
      return { hi: v, loInclusive: false, hiInclusive: true };
    case '>':
      return { lo: v, loInclusive: false, hiInclusive: false };
    case '>=':
      return { lo: v, loInclusive: true, hiInclusive: false };
    case '==':
      return { lo: v, hi: v, loInclusive: true, hiInclusive: true };
  }
}
