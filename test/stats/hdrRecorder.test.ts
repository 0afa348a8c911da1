import { describe, expect, it } from 'vitest';
import { HDR_HIGHEST_NS, decodeHdr, encodeHdr, newHdr, recordNs, type HdrHistogram } from '../../src/stats/hdr.js';
import {
  HDR_COUNTS_LENGTH,
  decodeHdrRecorder,
  encodeHdrRecorder,
  hdrIndexOf,
  hdrValueAt,
  mergeHdrRecorder,
  newHdrRecorder,
  recordHdrNs,
  type HdrRecorder,
} from '../../src/stats/hdrRecorder.js';

/** Deterministic values (LCG) spread log-uniformly over 1 ns … 1 h, plus the edges of the range. */
function valuesNs(n: number, seed: number): number[] {
  let x = seed;
  const out = [1, 2, 2047, 2048, 2049, 4095, 4096, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, HDR_HIGHEST_NS];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(Math.round(Math.pow(HDR_HIGHEST_NS, x / 2147483648)));
  }
  return out;
}

function both(values: readonly number[]): { lib: HdrHistogram; rec: HdrRecorder } {
  const lib = newHdr();
  const rec = newHdrRecorder();
  for (const v of values) {
    recordNs(lib, v);
    recordHdrNs(rec, v);
  }
  return { lib, rec };
}

describe('HDR recorder (the engine side of stats/hdr.ts, without hdr-histogram-js)', () => {
  it('puts every value in the bucket hdr-histogram-js uses', () => {
    const lib = newHdr() as HdrHistogram & { countsArrayIndex(v: number): number; countsArrayLength: number };
    expect(HDR_COUNTS_LENGTH).toBe(lib.countsArrayLength);
    for (const v of valuesNs(20000, 7)) expect(hdrIndexOf(v)).toBe(lib.countsArrayIndex(v));
    for (let k = 1; k < 42; k++) {
      for (const v of [2 ** k - 1, 2 ** k, 2 ** k + 1]) expect(hdrIndexOf(v)).toBe(lib.countsArrayIndex(v));
    }
  });

  it('maps an index back to the lowest value of its bucket', () => {
    for (const v of valuesNs(2000, 3)) {
      const i = hdrIndexOf(v);
      expect(hdrIndexOf(hdrValueAt(i))).toBe(i);
      expect(hdrValueAt(i)).toBeLessThanOrEqual(v);
    }
  });

  it('encodes byte for byte like encodeIntoCompressedBase64', () => {
    for (const values of [[], [1], [1500], valuesNs(5000, 11), valuesNs(50, 12).map((v) => Math.min(v, 1e6))]) {
      const { lib, rec } = both(values);
      expect(encodeHdrRecorder(rec)).toBe(encodeHdr(lib));
    }
  });

  it('clamps and rounds like recordNs', () => {
    const { lib, rec } = both([0, -5, 1.4, 2 * 3600e9, 999.5]);
    expect(encodeHdrRecorder(rec)).toBe(encodeHdr(lib));
  });

  it('decodes the library encoding and its own, and the library decodes its strings', () => {
    const { lib, rec } = both(valuesNs(3000, 5));
    const fromLib = decodeHdrRecorder(encodeHdr(lib));
    expect(fromLib.total).toBe(3011);
    expect(encodeHdrRecorder(fromLib)).toBe(encodeHdr(lib));
    const back = decodeHdr(encodeHdrRecorder(rec));
    for (const p of [0, 1, 50, 90, 99, 99.9, 100]) expect(back.getValueAtPercentile(p)).toBe(lib.getValueAtPercentile(p));
    expect(back.totalCount).toBe(lib.totalCount);
  });

  it('merges exactly: the sum of parts encodes like one histogram fed everything', () => {
    const a = valuesNs(1000, 1);
    const b = valuesNs(700, 2);
    const total = newHdrRecorder();
    mergeHdrRecorder(total, decodeHdrRecorder(encodeHdrRecorder(both(a).rec)));
    mergeHdrRecorder(total, both(b).rec);
    mergeHdrRecorder(total, newHdrRecorder());
    expect(encodeHdrRecorder(total)).toBe(encodeHdr(both([...a, ...b]).lib));
  });

  it('refuses an encoding of another layout', () => {
    expect(() => decodeHdrRecorder('AAAA')).toThrow();
    expect(() => decodeHdrRecorder(Buffer.from('not a histogram at all').toString('base64'))).toThrow(/HDR/);
  });
});
