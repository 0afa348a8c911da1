import { describe, expect, it } from 'vitest';
import { formatDuration as formatGoDuration, formatG, formatPrecG, formatRfc3339Nano } from '../../src/shared/goFormat.js';

const formatG9 = (x: number): string => formatPrecG(x, 9);

describe('formatGoDuration (Go %v of time.Duration)', () => {
  it.each([
    [0, '0s'],
    [999, '999ns'],
    [1500, '1.5µs'],
    [726_543, '726.543µs'],
    [1_000_000, '1ms'],
    [48_551_417, '48.551417ms'],
    [1e9, '1s'],
    [1_001_258_553, '1.001258553s'],
    [5_059_691_387, '5.059691387s'],
    [60e9, '1m0s'],
    [60_020_510_523, '1m0.020510523s'],
    [3600e9, '1h0m0s'],
    [3723.5e9, '1h2m3.5s'],
    [-1.5e9, '-1.5s'],
  ])('%d ns → %s', (ns, s) => {
    expect(formatGoDuration(ns)).toBe(s);
  });
});

describe('formatG / formatG9', () => {
  it.each([
    [1000000, '1e+06'],
    [1234567, '1.234567e+06'],
    [123456.7, '123456.7'],
    [0.0001, '0.0001'],
    [0.00001234, '1.234e-05'],
    [9.987430289646674, '9.987430289646674'],
    [13763.810263122761, '13763.810263122761'],
    [0, '0'],
    [-2.5, '-2.5'],
    [100, '100'],
  ])('%g of %d → %s', (x, s) => {
    expect(formatG(x)).toBe(s);
  });

  it.each([
    [8, '8'],
    [0.5, '0.5'],
    [1000, '1000'],
    [1 / 3, '0.333333333'],
    [123456789, '123456789'],
    [1e9, '1e+09'],
    [1234567891234, '1.23456789e+12'],
    [0.00001, '1e-05'],
  ])('%.9g of %d → %s', (x, s) => {
    expect(formatG9(x)).toBe(s);
  });
});

describe('formatRfc3339Nano', () => {
  it('local offset (Z when zero), fraction trimmed', () => {
    const ms = Date.UTC(2026, 10, 25, 18, 20, 1, 91);
    const s = formatRfc3339Nano(ms);
    const off = -new Date(ms).getTimezoneOffset();
    if (off === 0) expect(s).toBe('2026-11-25T18:20:01.091Z');
    expect(s).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.091(Z|[+-]\d\d:\d\d)$/);
    expect(formatRfc3339Nano(ms - 91)).toMatch(/:01(Z|[+-]\d\d:\d\d)$/);
    expect(formatRfc3339Nano(ms + 0.5)).toMatch(/\.0915(Z|[+-])/);
    expect(new Date(formatRfc3339Nano(ms + 0.123456)).getTime()).toBe(ms);
  });
});
