/**
 * Per-thread HTTP statistics (fortio's per-client RetCodes, sizes, sockets, connection timing and
 * IP usage), as plain data so a worker can post them, and their exact merge.
 */
import {
  type FortioHistogramState,
  cloneFortioHistogram,
  mergeFortioHistogram,
  newFortioHistogram,
} from '../stats/fortioHistogram.js';
import { HEADER_SIZES_SHAPE, LATENCY_SHAPE, SIZES_SHAPE } from '../stats/fortioShapes.js';

/** What a client records about its connections (also what curl's throwaway stats hold). */
export interface ConnectionStats {
  /** Connect attempts, successful or failed (fortio's "Sockets used"). */
  sockets: number;
  /** Seconds per connect attempt: fortio histogram with -offset / -r. */
  connectionTime: FortioHistogramState;
  /** "ip:port" → connections made to it (current fortio: one per connection). */
  addresses: Record<string, number>;
}

export interface HttpThreadStats extends ConnectionStats {
  threadId: number;
  /** Status code (as a string, "-1" for transport failures) → timed calls. */
  retCodes: Record<string, number>;
  /** Bytes read per call (headers + body): offset 0, divider 100. */
  sizes: FortioHistogramState;
  /** Response header bytes per call: offset 0, divider 5. */
  headerSizes: FortioHistogramState;
  /** Transport failure kind behind each timed -1. */
  errorKinds: Record<string, number>;
}

export const SIZES_DIVIDER = SIZES_SHAPE.divider;
export const HEADER_SIZES_DIVIDER = HEADER_SIZES_SHAPE.divider;

/** `offset` and `resolution` are fortio's -offset and -r, in seconds. */
export function newHttpThreadStats(threadId: number, offset: number, resolution: number): HttpThreadStats {
  return {
    threadId,
    retCodes: {},
    sizes: newFortioHistogram(SIZES_SHAPE.offset, SIZES_SHAPE.divider),
    headerSizes: newFortioHistogram(HEADER_SIZES_SHAPE.offset, HEADER_SIZES_SHAPE.divider),
    sockets: 0,
    connectionTime: newFortioHistogram(offset, resolution),
    addresses: {},
    errorKinds: {},
  };
}

export interface ThreadConnections {
  thread: number;
  sockets: number;
  addresses: Record<string, number>;
  connectionTime: FortioHistogramState;
}

export interface MergedHttpStats {
  retCodes: Record<string, number>;
  sizes: FortioHistogramState;
  headerSizes: FortioHistogramState;
  /** Sockets per thread, in thread id order (fortio's `Sockets`). */
  sockets: number[];
  socketCount: number;
  connectionTime: FortioHistogramState;
  /** fortio's IPCountMap. */
  ipCountMap: Record<string, number>;
  errorKinds: Record<string, number>;
  /** One entry per thread, thread id order, for the "# Socket and IP used for each connection" block. */
  connections: ThreadConnections[];
}

function addCounts(dst: Record<string, number>, src: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(src)) dst[k] = (dst[k] ?? 0) + v;
}

/**
 * Exact merge. `offset`/`resolution` only matter when `stats` is empty (the connection-time
 * histogram still needs its scale).
 */
export function mergeHttpStats(stats: readonly HttpThreadStats[], offset = LATENCY_SHAPE.offset, resolution = LATENCY_SHAPE.divider): MergedHttpStats {
  const sorted = [...stats].sort((a, b) => a.threadId - b.threadId);
  const first = sorted[0];
  const merged: MergedHttpStats = {
    retCodes: {},
    sizes: newFortioHistogram(SIZES_SHAPE.offset, SIZES_SHAPE.divider),
    headerSizes: newFortioHistogram(HEADER_SIZES_SHAPE.offset, HEADER_SIZES_SHAPE.divider),
    sockets: [],
    socketCount: 0,
    connectionTime: first
      ? newFortioHistogram(first.connectionTime.offset, first.connectionTime.divider)
      : newFortioHistogram(offset, resolution),
    ipCountMap: {},
    errorKinds: {},
    connections: [],
  };
  for (const s of sorted) {
    addCounts(merged.retCodes, s.retCodes);
    mergeFortioHistogram(merged.sizes, s.sizes);
    mergeFortioHistogram(merged.headerSizes, s.headerSizes);
    merged.sockets.push(s.sockets);
    merged.socketCount += s.sockets;
    mergeFortioHistogram(merged.connectionTime, s.connectionTime);
    addCounts(merged.ipCountMap, s.addresses);
    addCounts(merged.errorKinds, s.errorKinds);
    merged.connections.push({
      thread: s.threadId,
      sockets: s.sockets,
      addresses: { ...s.addresses },
      connectionTime: cloneFortioHistogram(s.connectionTime),
    });
  }
  return merged;
}
