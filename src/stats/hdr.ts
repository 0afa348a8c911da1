/**
 * High-resolution latency recording with hdr-histogram-js, beside fortio's coarse buckets:
 * nanosecond units, 1 ns .. 1 h, 3 significant digits. Workers ship histograms to the main
 * thread as compressed base64 (encode/decode), so the merge is exact, never re-sampled.
 *
 * The package's index also loads its WebAssembly build (a base64 blob compiled at import) and
 * pako: ~8 MB of RSS and ~60 ms of CPU in every isolate that imports it (docs/benchmarks.md).
 * Only the Int32 histogram class (newHdr) and the codec (decodeHdr) are required, each on first
 * use; the codec is the same code index.js runs for a JS histogram
 * (`decodeFromCompressedBase64(s, 32, false)`). Encoding is ported (encodeHdr) and the engine
 * records with HdrRecorder, so a load run never loads the package; the encoded text is byte for
 * byte the package's.
 */
import { Module, createRequire } from 'node:module';
import type { Histogram } from 'hdr-histogram-js';
import { HDR_DIGITS, HDR_HIGHEST_NS, HDR_LOWEST_NS, type HdrRecorder } from './hdrRecorder.js';

export { HDR_DIGITS, HDR_HIGHEST_NS, HDR_LOWEST_NS };

const require = createRequire(import.meta.url);
type Int32HistogramClass = new (lowest: number, highest: number, digits: number) => HdrHistogram;
// Required on first use: a load run records with HdrRecorder and never needs the package.
let Int32Histogram: Int32HistogramClass | null = null;

export type HdrHistogram = Histogram;

interface Codec {
  toByteArray(b64: string): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
  doDecode(data: Uint8Array, bitBucketSize: number, minBarForHighestTrackableValue: number): HdrHistogram;
}

let codec: Codec | null = null;
function loadCodec(): Codec {
  if (codec === null) {
    const path = require.resolve('hdr-histogram-js/dist/JsHistogram.encoding.js');
    const pkgRequire = createRequire(path);
    // The codec requires pako at load but uses it only where node:zlib is missing (a browser);
    // loading it costs ~30 ms of CPU. An empty stand-in serves that one require, then goes.
    const pako = pkgRequire.resolve('pako');
    const standIn = require.cache[pako] === undefined;
    if (standIn) {
      const m = new Module(pako);
      m.filename = pako;
      m.loaded = true;
      require.cache[pako] = m;
    }
    let enc: Omit<Codec, 'toByteArray'>;
    try {
      enc = require(path) as Omit<Codec, 'toByteArray'>;
    } finally {
      if (standIn) delete require.cache[pako];
    }
    // the package's own base64 dependency, as index.js uses it
    const base64 = pkgRequire('base64-js') as Pick<Codec, 'toByteArray'>;
    codec = { toByteArray: base64.toByteArray, decompress: enc.decompress, doDecode: enc.doDecode };
  }
  return codec;
}

export function newHdr(): HdrHistogram {
  // what hdr.build({ bitBucketSize: 32, autoResize: false, useWebAssembly: false, ... }) makes
  Int32Histogram ??= (require('hdr-histogram-js/dist/Int32Histogram.js') as { default: Int32HistogramClass }).default;
  const h = new Int32Histogram(HDR_LOWEST_NS, HDR_HIGHEST_NS, HDR_DIGITS);
  h.autoResize = false;
  return h;
}

/** Records a latency in nanoseconds, clamped into the trackable range so a 2 h stall cannot throw. */
export function recordNs(h: HdrHistogram, ns: number): void {
  let v = Math.round(ns);
  if (v < HDR_LOWEST_NS) v = HDR_LOWEST_NS;
  else if (v > HDR_HIGHEST_NS) v = HDR_HIGHEST_NS;
  h.recordValue(v);
}

/** What the encoder reads of an Int32 histogram (JsHistogram / TypedArrayHistogram fields). */
interface HdrInternals {
  readonly maxValue: number;
  readonly numberOfSignificantValueDigits: number;
  readonly lowestDiscernibleValue: number;
  readonly highestTrackableValue: number;
  readonly _counts: ArrayLike<number>;
  countsArrayIndex(value: number): number;
}

const V2_COOKIE = 0x1c849303 | 0x10; // the low bit of the word-size nibble: zero runs encoded
const V2_COMPRESSED_COOKIE = 0x1c849304 | 0x10;
const TWO_POW_32 = 2 ** 32;
let deflateSync: ((data: Uint8Array) => Buffer) | null = null;

/**
 * The package's V2 "compressed base64" (JsHistogram.encoding.js doEncodeIntoCompressedBase64),
 * ported so that encoding needs neither its codec module (~50 ms of CPU to load: it loads every
 * histogram class and pako) nor its byte-at-a-time buffer: the same bytes, checked against the
 * package in test/stats/hdr.test.ts. Layout: cookie, payload length, normalizing offset (1),
 * significant digits, lowest, highest (int64), conversion ratio (int64 1), then the counts up to
 * the max value's bucket as ZigZag LEB128, a run of zeros as its negated length; all deflated
 * (zlib, default level) behind the compressed cookie and the deflated length.
 */
export function encodeHdr(h: HdrHistogram | HdrRecorder): string {
  const x = h as unknown as HdrInternals;
  const counts = x._counts;
  const limit = x.countsArrayIndex(x.maxValue) + 1;
  let buf = Buffer.allocUnsafe(40 + 64);
  let pos = 40;
  const put = (v: number): void => {
    if (pos === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, pos);
      buf = bigger;
    }
    buf[pos++] = v;
  };
  const putZigZag = (value: number): void => {
    let v = value >= 0 ? value * 2 : -value * 2 - 1;
    for (let i = 0; i < 8 && v >= 128; i++) {
      put((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    put(v);
  };
  for (let i = 0; i < limit; ) {
    const count = counts[i++] as number;
    if (count < 0) throw new Error(`Cannot encode histogram containing negative counts (${count}) at index ${i}`);
    let zeros = 0;
    if (count === 0) {
      zeros = 1;
      while (i < limit && counts[i] === 0) {
        zeros++;
        i++;
      }
    }
    putZigZag(zeros > 1 ? -zeros : count);
  }
  const putInt64 = (v: number, at: number): void => {
    buf.writeUInt32BE(Math.floor(v / TWO_POW_32) >>> 0, at);
    buf.writeUInt32BE(v >>> 0, at + 4);
  };
  buf.writeUInt32BE(V2_COOKIE >>> 0, 0);
  buf.writeUInt32BE((pos - 40) >>> 0, 4);
  buf.writeUInt32BE(1, 8);
  buf.writeUInt32BE(x.numberOfSignificantValueDigits >>> 0, 12);
  putInt64(x.lowestDiscernibleValue, 16);
  putInt64(x.highestTrackableValue, 24);
  putInt64(1, 32);
  deflateSync ??= (require('node:zlib') as typeof import('node:zlib')).deflateSync;
  const deflated = deflateSync(buf.subarray(0, pos));
  // the package's 16-byte starting buffer: a shorter result would keep its zero tail
  const out = Buffer.alloc(Math.max(16, 8 + deflated.length));
  out.writeUInt32BE(V2_COMPRESSED_COOKIE >>> 0, 0);
  out.writeUInt32BE(deflated.length, 4);
  deflated.copy(out, 8);
  return out.toString('base64');
}

export function decodeHdr(s: string): HdrHistogram {
  const c = loadCodec();
  return c.doDecode(c.decompress(c.toByteArray(s.trim())), 32, 0);
}

/** Decodes and adds every encoded histogram into a fresh one. */
export function mergeEncodedHdr(encoded: readonly string[]): HdrHistogram {
  const total = newHdr();
  for (const e of encoded) {
    const h = decodeHdr(e);
    total.add(h);
    h.destroy();
  }
  return total;
}

/** Percentile in seconds (HDR values are ns). */
export function hdrPercentileSeconds(h: HdrHistogram, p: number): number {
  return h.getValueAtPercentile(p) / 1e9;
}
