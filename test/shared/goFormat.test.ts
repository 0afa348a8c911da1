import { describe, expect, it } from 'vitest';
import { formatD, formatDuration, formatF, formatG, formatPrecG, formatT } from '../../src/shared/goFormat.js';

// Expected strings come from fortio-compat.md §3.1 / §11.2 and the real fortio 1.33 samples
// (fortio-samples/*.txt next to the JSON value they were printed from), or from Go's documented
// behaviour (exact binary value, ties to even).

describe('%g (shortest, exponent when exp < -4 or >= 6)', () => {
  it.each([
    [1000000, '1e+06'],
    [1234567, '1.234567e+06'],
    [123456.7, '123456.7'],
    [123456, '123456'],
    [100000, '100000'],
    [0.0001, '0.0001'],
    [0.00001234, '1.234e-05'],
    [9.987430289646674, '9.987430289646674'],
    [3047.251287920757, '3047.251287920757'], // sample T001 qps=
    [4.1388e-5, '4.1388e-05'], // "min 4.1388e-05 max 0.000323537"
    [0.000323537, '0.000323537'],
    [8.8527e-5, '8.8527e-05'],
    [-0.532082459, '-0.532082459'],
    [0, '0'],
    [50, '50'],
    [99.9, '99.9'],
    [99.99, '99.99'],
    [0.5, '0.5'],
    [-1, '-1'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [1e100, '1e+100'],
    [1.5e-10, '1.5e-10'],
  ])('%s → %s', (x, want) => {
    expect(formatG(x)).toBe(want);
  });

  it('prints -0, NaN and infinities like Go', () => {
    expect(formatG(-0)).toBe('-0');
    expect(formatG(Number.NaN)).toBe('NaN');
    expect(formatG(Infinity)).toBe('+Inf');
    expect(formatG(-Infinity)).toBe('-Inf');
  });
});

describe('%.Ng (N significant digits, exponent decided after rounding)', () => {
  it.each([
    [103012.5, 5, '1.0301e+05'],
    [4.9404876e-5, 8, '4.9404876e-05'],
    [0.0015816, 4, '0.001582'],
    [207, 8, '207'],
    [14299.5644352673, 5, '14300'], // refused sample: "qps=14300"
    [94.10043633956306, 5, '94.1'], // qps200-behind: "qps=94.1"
    [2954.961801947527, 5, '2955'], // 503 sample: "qps=2955"
    [432.34989707078427, 5, '432.35'],
    [0.0072010043, 8, '0.0072010043'], // multibucket counter line
    [0.013940140566655686, 4, '0.01394'],
    [1.44020086, 9, '1.44020086'],
    [0.0004897587999999999, 8, '0.0004897588'], // 503 sample avg
    [0.0002828841115666626, 4, '0.0002829'],
    [0.061333523, 6, '0.0613335'],
    [(8.8527e-5 + 0.001) / 2, 6, '0.000544263'], // mid point of ">= 8.8527e-05 <= 0.001"
    [0.0005, 6, '0.0005'],
    [0.018000000000000002, 6, '0.018'],
    [100000, 6, '100000'],
    [1234567, 6, '1.23457e+06'],
    [999999.5, 6, '1e+06'], // rounding carries into a new digit, then the exponent rule applies
    [9.99995, 4, '10'],
    [0.000099999999, 4, '0.0001'], // exponent -5 before rounding, -4 after: fixed form
    [0.00001, 6, '1e-05'],
    [-0.005656111, 6, '-0.00565611'],
    [-0.27031714526315787, 8, '-0.27031715'],
    [0, 8, '0'],
    [75, 8, '75'],
    [1.7976931348623157e308, 6, '1.79769e+308'],
  ])('%s %%.%dg → %s', (x, n, want) => {
    expect(formatPrecG(x, n)).toBe(want);
  });

  it('breaks exact ties to even (0.125 and 0.375 are exact doubles)', () => {
    expect(formatPrecG(0.125, 2)).toBe('0.12');
    expect(formatPrecG(0.375, 2)).toBe('0.38');
    expect(formatPrecG(2.5, 1)).toBe('2');
    expect(formatPrecG(3.5, 1)).toBe('4');
    // 0.15 is really 0.1499999999999999944…: not a tie, rounds down in Go and here.
    expect(formatPrecG(0.15, 1)).toBe('0.1');
  });
});

describe('%.Nf (exact binary value, ties to even)', () => {
  it.each([
    [0.25, 1, '0.2'], // §3.1: JS toFixed gives 0.3
    [0.35, 1, '0.3'], // not a tie (0.34999…)
    [6.25, 1, '6.2'], // 1 of 16 calls: "(6.2 %)"
    [3.125, 2, '3.12'], // 1 of 32 calls in a bucket: cumulative "3.12"
    [0.375, 2, '0.38'],
    [12.5, 0, '12'],
    [13.5, 0, '14'],
    [2954.961801947527, 1, '2955.0'], // "2955.0 qps"
    [14299.5644352673, 1, '14299.6'],
    [100, 1, '100.0'],
    [(100 * 31) / 90, 2, '34.44'],
    [72.5, 2, '72.50'],
    [(100 * 5) / 6, 2, '83.33'],
    [1000 * 0.0004897587999999999, 3, '0.490'],
    [1000 * 0.0072010043, 3, '7.201'],
    [0.1, 20, '0.10000000000000000555'],
    [1e21, 0, '1000000000000000000000'],
    [-0.0004, 2, '-0.00'],
    [0.6, 0, '1'],
    [9.995, 2, '9.99'], // 9.99499999…
    [0, 3, '0.000'],
  ])('%s %%.%df → %s', (x, n, want) => {
    expect(formatF(x, n)).toBe(want);
  });

  it('prints NaN like Go (a percentage of 0 calls)', () => {
    expect(formatF(Number.NaN, 1)).toBe('NaN');
    expect(formatF(Infinity, 1)).toBe('+Inf');
  });
});

describe('%3d and %t', () => {
  it('pads to the width', () => {
    expect(formatD(-1, 3)).toBe(' -1');
    expect(formatD(200, 3)).toBe('200');
    expect(formatD(5, 3)).toBe('  5');
    expect(formatD(1000, 3)).toBe('1000');
    expect(formatD(42)).toBe('42');
    expect(formatD(12345678901234567890n)).toBe('12345678901234567890');
  });
  it('prints booleans', () => {
    expect(formatT(true)).toBe('true');
    expect(formatT(false)).toBe('false');
  });
});

describe('time.Duration %v', () => {
  it.each([
    [0, '0s'],
    [1, '1ns'],
    [999, '999ns'],
    [1000, '1µs'],
    [1500, '1.5µs'],
    [699322, '699.322µs'],
    [726543, '726.543µs'],
    [746200, '746.2µs'],
    [1_000_000, '1ms'],
    [48551417, '48.551417ms'],
    [462588291, '462.588291ms'],
    [5123456, '5.123456ms'],
    [1e9, '1s'],
    [2002867729, '2.002867729s'],
    [5059691387, '5.059691387s'],
    [60e9, '1m0s'],
    [60020510523, '1m0.020510523s'],
    [3600e9, '1h0m0s'],
    [3661e9 + 1, '1h1m1.000000001s'],
    [-1500, '-1.5µs'],
    [-2e9, '-2s'],
  ])('%s ns → %s', (ns, want) => {
    expect(formatDuration(ns)).toBe(want);
  });

  it('uses U+00B5 MICRO SIGN, not U+03BC', () => {
    expect(formatDuration(1500).codePointAt(3)).toBe(0xb5);
  });

  it('handles bigint nanoseconds past 2^53 (Go max duration)', () => {
    expect(formatDuration(9223372036854775807n)).toBe('2562047h47m16.854775807s');
  });
});
