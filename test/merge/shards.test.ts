/**
 * The distributed-run promise: the JSON of two shards (`-shard 0/2`, `1/2`) merged gives the same
 * calls, codes and sizes as one process doing the whole `-n` against the same target, and the
 * same latency percentiles within histogram precision. Real loopback server, real runLoad.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUN_OPTIONS } from '../../src/engine/options.js';
import { runLoad } from '../../src/load/runLoad.js';
import type { Shard } from '../../src/load/shard.js';
import { mergeResults } from '../../src/merge/mergeResults.js';
import { encodeFortioJson, parseFortioJson } from '../../src/report/fortioJson.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { BUCKET_EDGES, calcPercentile } from '../../src/stats/fortioHistogram.js';
import { decodeHdr, hdrPercentileSeconds, mergeEncodedHdr } from '../../src/stats/hdr.js';
import { startSlowServer, type TestServer } from '../helpers/servers.js';

const QUIET = { write: () => undefined };
const CALLS = 60;
// Inside fortio's (250 ms, 300 ms] bucket: the whole run and the shards are two runs, and on a
// busy 2-core runner their tails differed by 23 ms at a 52 ms delay (two 10 ms buckets apart);
// here two buckets are 100 ms wide, so scheduling noise stays inside the precision compared.
const DELAY_MS = 260;

async function load(url: string, shard: Shard | null): Promise<FortioResult> {
  const out = await runLoad({
    run: { ...DEFAULT_RUN_OPTIONS, threads: 3, qps: 0, exactly: CALLS },
    http: { url, timeoutMs: 5000 },
    shard,
    log: QUIET,
  });
  // As the pods would hand them over: through the JSON file format.
  return parseFortioJson(encodeFortioJson(out.result), shard ? `shard-${shard.index}.json` : 'whole.json');
}

/** Width (s) of the fortio bucket holding v at resolution r: the precision of its percentiles. */
function bucketWidth(v: number, r: number): number {
  const s = v / r;
  for (let i = 1; i < BUCKET_EDGES.length; i++) {
    const hi = BUCKET_EDGES[i] as number;
    if (s <= hi) return (hi - (BUCKET_EDGES[i - 1] as number)) * r;
  }
  return Infinity;
}

describe('merging two shards of one run', () => {
  let srv: TestServer;
  let whole: FortioResult;
  let shard0: FortioResult;
  let shard1: FortioResult;

  beforeAll(async () => {
    srv = await startSlowServer(DELAY_MS);
    whole = await load(srv.url, null);
    // The shards run at the same time, like the pods of an Indexed Job.
    [shard0, shard1] = await Promise.all([load(srv.url, { index: 0, count: 2 }), load(srv.url, { index: 1, count: 2 })]);
  }, 120_000);

  afterAll(async () => {
    await srv?.close();
  });

  it('splits -n exactly between the shards', () => {
    expect(shard0.Exactly + shard1.Exactly).toBe(CALLS);
    expect(shard0.DurationHistogram.Count + shard1.DurationHistogram.Count).toBe(CALLS);
    expect(shard0.Tripbench?.Shard).toBe('0/2');
    expect(shard1.Tripbench?.Shard).toBe('1/2');
  });

  it('gives the same counts as the whole run, exactly', () => {
    const { result, exact, notes } = mergeResults([
      { source: 'shard-0.json', result: shard0 },
      { source: 'shard-1.json', result: shard1 },
    ]);
    expect(exact).toBe(true);
    expect(notes).toEqual([]);
    expect(result.DurationHistogram.Count).toBe(whole.DurationHistogram.Count);
    expect(result.RetCodes).toEqual(whole.RetCodes);
    expect(result.Exactly).toBe(whole.Exactly);
    expect(result.RequestedDuration).toBe(whole.RequestedDuration);
    expect(result.Sizes.Count).toBe(whole.Sizes.Count);
    expect(result.Sizes.Sum).toBe(whole.Sizes.Sum);
    expect(result.HeaderSizes.Sum).toBe(whole.HeaderSizes.Sum);
    expect(result.ErrorsDurationHistogram.Count).toBe(0);
    expect(result.NumThreads).toBe(shard0.NumThreads + shard1.NumThreads);
    expect(result.SocketCount).toBe(shard0.SocketCount + shard1.SocketCount);
    expect(result.Tripbench?.ThreadCalls.reduce((a, b) => a + b, 0)).toBe(CALLS);
    // Buckets add: the merged counts per bucket sum to the calls.
    expect((result.DurationHistogram.Data ?? []).reduce((a, b) => a + b.Count, 0)).toBe(CALLS);
    expect(result.DurationHistogram.Min).toBe(Math.min(shard0.DurationHistogram.Min, shard1.DurationHistogram.Min));
    expect(result.DurationHistogram.Max).toBe(Math.max(shard0.DurationHistogram.Max, shard1.DurationHistogram.Max));
    expect(result.DurationHistogram.Sum).toBeCloseTo(shard0.DurationHistogram.Sum + shard1.DurationHistogram.Sum, 12);
  });

  it('gives the same percentiles as the whole run within histogram precision', () => {
    const { result, hdrPercentiles } = mergeResults([
      { source: 'shard-0.json', result: shard0 },
      { source: 'shard-1.json', result: shard1 },
    ]);
    const r = whole.Resolution;
    const wholeHdr = decodeHdr(whole.Tripbench?.DurationHdr as string);
    for (const p of [50, 75, 90]) {
      const m = calcPercentile(result.DurationHistogram, p);
      const w = calcPercentile(whole.DurationHistogram, p);
      // Two different runs: each value is interpolated inside its fortio bucket, and a percentile
      // near an edge may land in the neighbouring one, so they agree to the two buckets' widths.
      expect(Math.abs(m - w)).toBeLessThanOrEqual(bucketWidth(m, r) + bucketWidth(w, r) + 1e-9);
      const hm = hdrPercentiles?.find((x) => x.Percentile === p)?.Value as number;
      const hw = hdrPercentileSeconds(wholeHdr, p);
      expect(Math.abs(hm - hw)).toBeLessThanOrEqual(bucketWidth(hm, r) + bucketWidth(hw, r) + 1e-9);
    }
    wholeHdr.destroy();
    // The listed fortio percentiles are the ones computed from the merged buckets.
    for (const x of result.DurationHistogram.Percentiles ?? []) {
      expect(x.Value).toBe(calcPercentile(result.DurationHistogram, x.Percentile));
    }
  });

  it('merges the HDR histograms exactly (same as adding the decoded shards)', () => {
    const { result, hdrPercentiles } = mergeResults([
      { source: 'a', result: shard0 },
      { source: 'b', result: shard1 },
    ]);
    const ref = mergeEncodedHdr([shard0.Tripbench?.DurationHdr as string, shard1.Tripbench?.DurationHdr as string]);
    const got = decodeHdr(result.Tripbench?.DurationHdr as string);
    expect(got.totalCount).toBe(CALLS);
    for (const p of [1, 50, 90, 99, 99.9, 100]) expect(got.getValueAtPercentile(p)).toBe(ref.getValueAtPercentile(p));
    // the shown percentiles are HDR's, clamped into the calls' [min, max] (src/report/latencyPercentiles.ts)
    const { Min, Max } = result.DurationHistogram;
    for (const x of hdrPercentiles ?? []) expect(x.Value).toBe(Math.min(Max, Math.max(Min, hdrPercentileSeconds(ref, x.Percentile))));
    ref.destroy();
    got.destroy();
  });

  it('computes duration and qps from the union of the shards\' time ranges', () => {
    const { result } = mergeResults([
      { source: 'a', result: shard0 },
      { source: 'b', result: shard1 },
    ]);
    const longest = Math.max(shard0.ActualDuration, shard1.ActualDuration);
    // Concurrent shards overlap: the union is at least the longer one and less than their sum.
    expect(result.ActualDuration).toBeGreaterThanOrEqual(longest - 1);
    expect(result.ActualDuration).toBeLessThan(shard0.ActualDuration + shard1.ActualDuration);
    expect(result.ActualQPS).toBeCloseTo(CALLS / (result.ActualDuration / 1e9), 9);
    const earliest = [shard0, shard1].map((s) => s.StartTime).sort()[0];
    expect(result.StartTime).toBe(earliest);
  });
});
