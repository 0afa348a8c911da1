/**
 * The engine's HDR histogram without hdr-histogram-js: the same bucket layout (ns, 1 ns .. 1 h,
 * 3 significant digits) in a plain Float64Array, recorded with integer math, and the library's
 * compressed base64 wire format (V2, deflate) written and read with node:zlib. Strings are
 * byte-identical to hdr-histogram-js's encodeIntoCompressedBase64, so stats/hdr.ts decodes them.
 *
 * Why not the library: loading it (with pako and its WebAssembly build) costs ~11 MB of RSS in
 * every isolate, i.e. in each engine worker and in the main thread of `tripbench load`, and its
 * recordValue does Math.pow/log2 per call. The engine records millions of values per second.
 */
import { deflateSync, inflateSync } from 'node:zlib';

export const HDR_LOWEST_NS = 1;
export const HDR_HIGHEST_NS = 3_600_000_000_000; // 1 h
export const HDR_DIGITS = 3;

// Layout for lowest = 1 (unit magnitude 0) and 3 digits: 2048 sub-buckets, as the library derives it.
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const TWO_POW_32 = 4294967296;

function bucketsNeeded(highest: number): number {
  let smallestUntrackable = 2 * SUB_BUCKET_HALF_COUNT;
  let n = 1;
  while (smallestUntrackable <= highest) {
    smallestUntrackable *= 2;
    n++;
  }
  return n;
}
export const HDR_COUNTS_LENGTH = (bucketsNeeded(HDR_HIGHEST_NS) + 1) * SUB_BUCKET_HALF_COUNT;

export interface HdrRecorder {
  /** Count per HDR bucket index. Float64: a per-bucket count never wraps. */
  counts: Float64Array;
  total: number;
  /** Highest index with a count; -1 when empty. */
  maxIndex: number;
}

export function newHdrRecorder(): HdrRecorder {
  return { counts: new Float64Array(HDR_COUNTS_LENGTH), total: 0, maxIndex: -1 };
}

/** HDR counts index of an integer value in [1, HDR_HIGHEST_NS]: floor(log2) by clz32, no Math.log2. */
export function hdrIndexOf(v: number): number {
  if (v < TWO_POW_32) {
    const bucket = 31 - Math.clz32(v) - SUB_BUCKET_HALF_MAGNITUDE;
    if (bucket <= 0) return v;
    return (bucket << SUB_BUCKET_HALF_MAGNITUDE) + (v >>> bucket);
  }
  const bucket = 63 - Math.clz32(Math.floor(v / TWO_POW_32)) - SUB_BUCKET_HALF_MAGNITUDE;
  return bucket * SUB_BUCKET_HALF_COUNT + Math.floor(v / 2 ** bucket);
}

/** Lowest value of the bucket at `index` (hdr-histogram-js valueFromIndex). */
export function hdrValueAt(index: number): number {
  let bucket = Math.floor(index / SUB_BUCKET_HALF_COUNT) - 1;
  let sub = (index % SUB_BUCKET_HALF_COUNT) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/** Records a latency in ns, rounded and clamped into the trackable range (a 2 h stall must not throw). */
export function recordHdrNs(r: HdrRecorder, ns: number): void {
  let v = Math.round(ns);
  if (v < HDR_LOWEST_NS) v = HDR_LOWEST_NS;
  else if (v > HDR_HIGHEST_NS) v = HDR_HIGHEST_NS;
  const i = hdrIndexOf(v);
  r.counts[i] = (r.counts[i] as number) + 1;
  r.total++;
  if (i > r.maxIndex) r.maxIndex = i;
}

export function mergeHdrRecorder(dst: HdrRecorder, src: HdrRecorder): void {
  const d = dst.counts;
  const s = src.counts;
  for (let i = 0; i <= src.maxIndex; i++) d[i] = (d[i] as number) + (s[i] as number);
  dst.total += src.total;
  if (src.maxIndex > dst.maxIndex) dst.maxIndex = src.maxIndex;
}

// ---- wire format: hdr-histogram-js V2 encoding, ZigZag LEB128 counts, zero runs as negatives ----

const V2_COOKIE = 0x1c849303 | 0x10;
const V2_COMPRESSED_COOKIE = 0x1c849304 | 0x10;
const HEADER_BYTES = 40;

function putZigZag(out: number[], value: number): void {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  // 7 bits per byte, at most 9 bytes (the 9th carries 8 bits), as the library writes them
  for (let k = 0; k < 8 && v >= 128; k++) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function getZigZag(b: Buffer, at: { pos: number }): number {
  let value = 0;
  let scale = 1;
  for (let k = 0; k < 9; k++) {
    const byte = b[at.pos++];
    if (byte === undefined) throw new Error('truncated HDR histogram payload');
    if (k === 8) {
      value += byte * scale;
      break;
    }
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) break;
    scale *= 128;
  }
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

export function encodeHdrRecorder(r: HdrRecorder): string {
  const payload: number[] = [];
  const limit = r.maxIndex + 1 > 0 ? r.maxIndex + 1 : 1; // an empty histogram still encodes index 0
  const c = r.counts;
  for (let i = 0; i < limit; ) {
    const n = c[i++] as number;
    if (n !== 0) {
      putZigZag(payload, n);
      continue;
    }
    let zeros = 1;
    while (i < limit && c[i] === 0) {
      zeros++;
      i++;
    }
    putZigZag(payload, zeros > 1 ? -zeros : 0);
  }
  const raw = Buffer.alloc(HEADER_BYTES + payload.length);
  raw.writeInt32BE(V2_COOKIE, 0);
  raw.writeInt32BE(payload.length, 4);
  raw.writeInt32BE(1, 8); // what the library writes for normalizingIndexOffset
  raw.writeInt32BE(HDR_DIGITS, 12);
  raw.writeUInt32BE(Math.floor(HDR_LOWEST_NS / TWO_POW_32), 16);
  raw.writeUInt32BE(HDR_LOWEST_NS % TWO_POW_32, 20);
  raw.writeUInt32BE(Math.floor(HDR_HIGHEST_NS / TWO_POW_32), 24);
  raw.writeUInt32BE(HDR_HIGHEST_NS % TWO_POW_32, 28);
  raw.writeUInt32BE(0, 32); // conversion ratio: the library writes the integer 1, not a double
  raw.writeUInt32BE(1, 36);
  Buffer.from(payload).copy(raw, HEADER_BYTES);
  const z = deflateSync(raw);
  // the library's 16-byte initial buffer: a short deflate output leaves zero padding behind
  const out = Buffer.alloc(Math.max(16, 8 + z.length));
  out.writeInt32BE(V2_COMPRESSED_COOKIE, 0);
  out.writeInt32BE(z.length, 4);
  z.copy(out, 8);
  return out.toString('base64');
}

/** Reads an encoding of this layout (ours or hdr-histogram-js's with the same lowest value and digits). */
export function decodeHdrRecorder(s: string): HdrRecorder {
  const outer = Buffer.from(s.trim(), 'base64');
  if (outer.length < 8 || (outer.readInt32BE(0) & ~0xf0) !== (V2_COMPRESSED_COOKIE & ~0xf0)) {
    throw new Error('not a compressed V2 HDR histogram');
  }
  const raw = inflateSync(outer.subarray(8, 8 + outer.readInt32BE(4)));
  if (raw.length < HEADER_BYTES || (raw.readInt32BE(0) & ~0xf0) !== (V2_COOKIE & ~0xf0)) throw new Error('not a V2 HDR histogram');
  const length = raw.readInt32BE(4);
  const digits = raw.readInt32BE(12);
  const lowest = raw.readUInt32BE(16) * TWO_POW_32 + raw.readUInt32BE(20);
  if (digits !== HDR_DIGITS || lowest !== HDR_LOWEST_NS) {
    throw new Error(`HDR histogram with ${digits} digits and lowest value ${lowest} (expected ${HDR_DIGITS} and ${HDR_LOWEST_NS})`);
  }
  const r = newHdrRecorder();
  const at = { pos: HEADER_BYTES };
  const end = HEADER_BYTES + length;
  let i = 0;
  while (at.pos < end) {
    const n = getZigZag(raw, at);
    if (n < 0) {
      i -= n;
      continue;
    }
    if (n > 0) {
      if (i >= HDR_COUNTS_LENGTH) throw new Error('HDR histogram value out of range');
      r.counts[i] = n;
      r.total += n;
      r.maxIndex = i;
    }
    i++;
  }
  return r;
}
