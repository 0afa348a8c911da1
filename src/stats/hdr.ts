/**
 * High-resolution latency recording with hdr-histogram-js, beside fortio's coarse buckets:
 * nanosecond units, 1 ns .. 1 h, 3 significant digits. Workers ship histograms to the main
 * thread as compressed base64 (encode/decode), so the merge is exact, never re-sampled.
 *
 * The package's index also loads its WebAssembly build (a base64 blob compiled at import) and
 * pako: ~8 MB of RSS and ~60 ms of CPU in every isolate that imports it (docs/benchmarks.md).
 * Recording needs only the Int32 histogram class; the codec is required on first use, and is
 * the same code index.js runs for a JS histogram (`encodeIntoCompressedBase64` and
 * `decodeFromCompressedBase64(s, 32, false)`), so the encoded text is byte for byte the same.
 */
import { Module, createRequire } from 'node:module';
import type { Histogram } from 'hdr-histogram-js';

const require = createRequire(import.meta.url);
type Int32HistogramClass = new (lowest: number, highest: number, digits: number) => HdrHistogram;
// required on the first histogram: a run that records none (EngineSpec.hdr) never loads the package
let Int32Histogram: Int32HistogramClass | null = null;

export const HDR_LOWEST_NS = 1;
export const HDR_HIGHEST_NS = 3_600_000_000_000; // 1 h
export const HDR_DIGITS = 3;

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
      // also installs JsHistogram.prototype.encodeIntoCompressedBase64
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

export function encodeHdr(h: HdrHistogram): string {
  loadCodec();
  return (h as HdrHistogram & { encodeIntoCompressedBase64(level?: number): string }).encodeIntoCompressedBase64();
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
