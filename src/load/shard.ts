/**
 * `-shard i/N`: one pod's share of a distributed run, split the way fortio splits -n across
 * threads (shard 0 takes the remainder) and -qps evenly, so N shards add up to the whole run.
 */
import type { RunOptions } from '../engine/options.js';

export interface Shard {
  index: number;
  count: number;
}

export function applyShard(o: RunOptions, s: Shard | null): RunOptions {
  if (!s || s.count <= 1) return o;
  const out = { ...o };
  if (o.exactly > 0) {
    const per = Math.floor(o.exactly / s.count);
    out.exactly = per + (s.index === 0 ? o.exactly % s.count : 0);
  }
  if (o.qps > 0) out.qps = o.qps / s.count;
  return out;
}
